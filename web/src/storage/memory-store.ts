// Owns the in-memory PieceStore (MemoryPieceStore) and PieceStorage (MemoryStorage) used by unit tests.
// Everything runs on the calling thread; a share's bytes live in one Uint8Array of totalSize.
import { StorageError } from '../engine/errors';
import {
  checkRange,
  checkShareId,
  checkTotalSize,
  closedError,
  type PieceStorage,
  type PieceStore,
} from './piece-store';

interface MemoryShare {
  readonly data: Uint8Array;
  have: Uint8Array | null;
}

export class MemoryPieceStore implements PieceStore {
  readonly shareId: string;
  readonly totalSize: number;
  #share: MemoryShare;
  #closed = false;
  readonly #onDestroy: () => void;

  // Stands alone when `share` is omitted; MemoryStorage passes the share it keeps across opens.
  constructor(shareId: string, totalSize: number, share?: MemoryShare, onDestroy?: () => void) {
    checkShareId(shareId);
    checkTotalSize(totalSize);
    if (share && share.data.length !== totalSize) {
      throw new StorageError('storage_corrupt', `share ${shareId} is stored with another size`);
    }
    this.shareId = shareId;
    this.totalSize = totalSize;
    this.#share = share ?? { data: new Uint8Array(totalSize), have: null };
    this.#onDestroy = onDestroy ?? (() => {});
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.#check();
    checkRange(offset, data.length, this.totalSize);
    this.#share.data.set(data, offset);
  }

  async read(offset: number, length: number): Promise<Uint8Array<ArrayBuffer>> {
    this.#check();
    checkRange(offset, length, this.totalSize);
    return this.#share.data.slice(offset, offset + length);
  }

  async saveHave(bitfield: Uint8Array): Promise<void> {
    this.#check();
    this.#share.have = bitfield.slice();
  }

  async loadHave(): Promise<Uint8Array<ArrayBuffer> | null> {
    this.#check();
    return this.#share.have ? this.#share.have.slice() : null;
  }

  async blob(): Promise<Blob> {
    this.#check();
    return new Blob([this.#share.data.slice()]);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async destroy(): Promise<void> {
    this.#closed = true;
    this.#onDestroy();
  }

  #check(): void {
    if (this.#closed) throw closedError(this.shareId);
  }
}

// Keeps shares across close/open like the OPFS storage does across reloads.
export class MemoryStorage implements PieceStorage {
  readonly #shares = new Map<string, MemoryShare>();

  readonly open = async (shareId: string, totalSize: number): Promise<PieceStore> => {
    checkShareId(shareId);
    checkTotalSize(totalSize);
    let share = this.#shares.get(shareId);
    // Like the OPFS storage: a share stored with another size is started afresh.
    if (!share || share.data.length !== totalSize) {
      share = { data: new Uint8Array(totalSize), have: null };
      this.#shares.set(shareId, share);
    }
    const kept = share;
    return new MemoryPieceStore(shareId, totalSize, kept, () => {
      if (this.#shares.get(shareId) === kept) this.#shares.delete(shareId);
    });
  };

  async listStoredShares(): Promise<string[]> {
    return [...this.#shares.keys()];
  }

  async removeStoredShare(shareId: string): Promise<void> {
    checkShareId(shareId);
    this.#shares.delete(shareId);
  }
}
