// What survives a reload: the list of shares this browser offers or downloads (a small index of
// records), each share's metadata bytes and, for shares from disk, handles to their files; and the
// start-up sweep of what a removal cut short left behind. Piece data lives in the piece stores
// (storage/); the library only lists and deletes it.
//
// Several tabs of one origin share this storage. Every read-modify-write of the index, and the
// sweep, runs under one Web Lock (navigator.locks) so that two tabs never interleave them; where
// the browser has no Web Locks they run without one. Each tab writes only its own records, so a
// tab's change merges with the others' instead of overwriting them. The order that keeps storage
// consistent: a share is listed before anything is stored for it, and unlisted before its data is
// deleted; the sweep lists what is stored first and reads the index second, so whatever was stored
// by then was listed first.
//
// The backends are injected: localStorage, OPFS and IndexedDB in the page (library-backends.ts),
// in-memory ones in unit tests.
import { isShareId, type ShareId } from '../engine/ids';
import type { PieceStorage } from '../storage/piece-store';
import type { ReadableHandle } from './file-handles';

// seed: files picked from disk (not copied into the browser); download: bytes kept in OPFS.
export type ShareKind = 'seed' | 'download';
export type ShareRecordState = 'active' | 'paused';

export interface ShareRecord {
  readonly resource: ShareId;
  readonly name: string;
  readonly size: number;
  readonly kind: ShareKind;
  readonly state: ShareRecordState;
  readonly addedAt: number;
}

// The name of the Web Lock around the index and the sweep, shared by every tab of the origin.
export const LIBRARY_LOCK = 'peershare.library';
// Leftover data the sweep could not delete because a page still holds its files (the page a
// reload replaced lets go within moments; another tab only when it closes) is tried again this
// often, this many times.
export const SWEEP_RETRY_MS = 2000;
export const SWEEP_RETRIES = 5;

// The index: one text value (JSON) read and written whole.
export interface IndexBackend {
  read(): Promise<string | null> | string | null;
  write(text: string): Promise<void> | void;
}

// Values kept per share id. load() gives null for none (or unreadable); list() the ids kept;
// remove() of an id not kept does nothing.
export interface KeyedStore<T> {
  save(id: ShareId, value: T): Promise<void>;
  load(id: ShareId): Promise<T | null>;
  list(): Promise<string[]>;
  remove(id: string): Promise<void>;
}

// What the library needs of navigator.locks.
export interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

export interface LibraryBackends {
  readonly index: IndexBackend;
  readonly metadata: KeyedStore<Uint8Array>;
  readonly handles: KeyedStore<readonly ReadableHandle[]>;
  readonly pieces: Pick<PieceStorage, 'listStoredShares' | 'removeStoredShare'>;
  readonly locks: LockManagerLike | null;
  readonly setTimer?: (run: () => void, ms: number) => void;
}

function isRecord(r: unknown): r is ShareRecord {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as Record<string, unknown>;
  return (
    isShareId(o.resource) &&
    typeof o.name === 'string' &&
    typeof o.size === 'number' &&
    (o.kind === 'seed' || o.kind === 'download') &&
    (o.state === 'active' || o.state === 'paused')
  );
}

export function parseIndex(text: string | null): ShareRecord[] {
  if (!text) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter(isRecord) : [];
  } catch {
    return [];
  }
}

export class ShareLibrary {
  // Shares this page removed: a late put() (a download whose lookup finished after its removal)
  // must not list them again.
  private readonly forgotten = new Set<string>();

  constructor(private readonly backends: LibraryBackends) {}

  async records(): Promise<ShareRecord[]> {
    return parseIndex(await this.backends.index.read());
  }

  // Lists a share, or updates its record.
  put(record: ShareRecord): Promise<void> {
    return this.update((records) => {
      if (this.forgotten.has(record.resource)) return records;
      return [...records.filter((r) => r.resource !== record.resource), record];
    });
  }

  // Unlists a share for good (for this page).
  forget(resource: ShareId): Promise<void> {
    this.forgotten.add(resource);
    return this.update((records) => records.filter((r) => r.resource !== resource));
  }

  saveMetadata(resource: ShareId, bytes: Uint8Array): Promise<void> {
    return this.backends.metadata.save(resource, bytes);
  }
  loadMetadata(resource: ShareId): Promise<Uint8Array | null> {
    return this.backends.metadata.load(resource);
  }
  saveHandles(resource: ShareId, handles: readonly ReadableHandle[]): Promise<void> {
    return this.backends.handles.save(resource, handles);
  }
  loadHandles(resource: ShareId): Promise<readonly ReadableHandle[] | null> {
    return this.backends.handles.load(resource);
  }
  removeHandles(resource: ShareId): Promise<void> {
    return this.backends.handles.remove(resource);
  }

  // Deletes what the page stored for a share besides its piece data: metadata and file handles.
  async discard(resource: ShareId): Promise<void> {
    await this.backends.metadata.remove(resource);
    await this.backends.handles.remove(resource);
  }

  // Deletes stored piece data, metadata and file handles of shares neither the index nor `held`
  // (the shares this page has open) names: what a removal left when the page was closed or
  // crashed part way through it. Piece data another tab still holds open cannot be deleted yet;
  // the sweep tries again later (SWEEP_RETRY_MS, SWEEP_RETRIES times).
  sweep(held: () => Iterable<string>, attempt = 0): Promise<void> {
    return this.locked(async () => {
      const { metadata, handles, pieces } = this.backends;
      const [stored, metadataIds, handleIds] = await Promise.all([
        pieces.listStoredShares().catch(() => [] as string[]),
        metadata.list(),
        handles.list(),
      ]);
      const listed = new Set([...(await this.records()).map((r) => r.resource as string), ...held()]);
      let locked = false;
      for (const id of stored) {
        if (listed.has(id)) continue;
        await pieces.removeStoredShare(id).catch((e: unknown) => {
          locked = true;
          if (attempt === SWEEP_RETRIES) console.warn('peershare: cannot delete leftover data of', id, e);
        });
      }
      for (const id of metadataIds) if (!listed.has(id)) await metadata.remove(id);
      for (const id of handleIds) if (!listed.has(id)) await handles.remove(id);
      if (locked && attempt < SWEEP_RETRIES) {
        const setTimer = this.backends.setTimer ?? ((run, ms) => void setTimeout(run, ms));
        setTimer(() => void this.sweep(held, attempt + 1), SWEEP_RETRY_MS);
      }
    });
  }

  private update(change: (records: ShareRecord[]) => ShareRecord[]): Promise<void> {
    return this.locked(async () => {
      await this.backends.index.write(JSON.stringify(change(await this.records())));
    });
  }

  private locked<T>(run: () => Promise<T>): Promise<T> {
    const locks = this.backends.locks;
    return locks ? locks.request(LIBRARY_LOCK, run) : run();
  }
}
