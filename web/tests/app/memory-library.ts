// In-memory backends of the share library for unit tests: one MemoryOrigin is what the tabs of
// one origin share (the index, metadata, file handles, piece data, Web Locks); each ShareLibrary
// made from it is one tab. Index reads and writes yield to other tasks, as a browser's storage may
// let another tab in between, so that an unlocked read-modify-write can be seen to race.
import type { ShareId } from '../../src/engine/ids';
import type { KeyedStore, LibraryBackends, LockManagerLike } from '../../src/app/share-library';
import { ShareLibrary } from '../../src/app/share-library';
import type { ReadableHandle } from '../../src/app/file-handles';
import { MemoryStorage } from '../../src/storage/memory-store';

const yieldTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class MemoryKeyed<T> implements KeyedStore<T> {
  readonly values = new Map<string, T>();
  async save(id: ShareId, value: T): Promise<void> {
    this.values.set(id, value);
  }
  async load(id: ShareId): Promise<T | null> {
    return this.values.get(id) ?? null;
  }
  async list(): Promise<string[]> {
    return [...this.values.keys()];
  }
  async remove(id: string): Promise<void> {
    this.values.delete(id);
  }
}

// One exclusive lock per name, granted in request order, like navigator.locks.
export class MemoryLocks implements LockManagerLike {
  private readonly tails = new Map<string, Promise<unknown>>();
  held = 0;
  async request<T>(name: string, run: () => Promise<T>): Promise<T> {
    const before = this.tails.get(name) ?? Promise.resolve();
    const mine = before.then(async () => {
      this.held++;
      try {
        return await run();
      } finally {
        this.held--;
      }
    });
    this.tails.set(name, mine.catch(() => undefined));
    return mine;
  }
}

export class MemoryOrigin {
  index: string | null = null;
  readonly metadata = new MemoryKeyed<Uint8Array>();
  readonly handles = new MemoryKeyed<readonly ReadableHandle[]>();
  readonly pieces = new MemoryStorage();
  readonly locks = new MemoryLocks();
  // Piece data of these shares cannot be deleted (a tab holds its files open).
  readonly lockedPieces = new Set<string>();
  // Timers the sweep set, run by the test.
  readonly timers: Array<{ run: () => void; ms: number }> = [];

  backends({ withLocks = true } = {}): LibraryBackends {
    return {
      index: {
        read: async () => {
          await yieldTask();
          return this.index;
        },
        write: async (text) => {
          await yieldTask();
          this.index = text;
        },
      },
      metadata: this.metadata,
      handles: this.handles,
      pieces: {
        listStoredShares: () => this.pieces.listStoredShares(),
        removeStoredShare: async (id) => {
          if (this.lockedPieces.has(id)) throw new DOMException('held by another tab', 'NoModificationAllowedError');
          await this.pieces.removeStoredShare(id);
        },
      },
      locks: withLocks ? this.locks : null,
      setTimer: (run, ms) => this.timers.push({ run, ms }),
    };
  }

  tab(options?: { withLocks?: boolean }): ShareLibrary {
    return new ShareLibrary(this.backends(options));
  }
}
