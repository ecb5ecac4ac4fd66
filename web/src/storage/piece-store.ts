// Owns the storage interfaces (PieceStore, PieceReader, PieceStorage) and the range checks every store shares.
//
// Threads: every method here is called on the page's main thread by the transfer engine (swarm) and the
// UI. An implementation may do its I/O elsewhere: the OPFS store forwards each call as one message to its
// dedicated storage Worker (storage-worker.ts), the only place that holds OPFS sync access handles.
import { StorageError } from '../engine/errors';

// Read access to the concatenated bytes of a share. A FileSource (user-picked files) is only this.
export interface PieceReader {
  readonly totalSize: number;
  // Returns exactly `length` bytes starting at absolute `offset` in a fresh buffer the caller owns
  // (it may transfer it). Rejects with RangeError when the range is not inside 0..totalSize.
  read(offset: number, length: number): Promise<Uint8Array<ArrayBuffer>>;
  // The share's bytes as a disk-backed File/Blob (no whole-file buffer), for saving to the user's disk.
  blob(): Promise<Blob>;
  // Releases handles; further calls reject with StorageError 'storage_unavailable'.
  close(): Promise<void>;
}

export interface PieceStore extends PieceReader {
  readonly shareId: string;
  readonly totalSize: number;
  // Writes bytes at an absolute offset of the share's concatenated data. Used only for verified
  // pieces. The bytes are durable once a later saveHave() resolves (it flushes them first). The store may take ownership of `data`: the OPFS
  // store transfers `data.buffer` to its worker when `data` spans the whole buffer (it is detached
  // afterwards), so never use `data` after calling write(). A view into part of a larger buffer is copied.
  write(offset: number, data: Uint8Array): Promise<void>;
  read(offset: number, length: number): Promise<Uint8Array<ArrayBuffer>>;
  // Resume state: the bitfield bytes of verified pieces. Flushes every write() made before it, then
  // persists the bitfield durably. Only mark pieces whose write() has resolved: then a crash never
  // leaves a marked piece whose bytes are not on disk. Calls for one store are carried out in the
  // order they are made.
  saveHave(bitfield: Uint8Array): Promise<void>;
  // The last bitfield saved (a copy), or null when none was ever saved (or it did not survive intact).
  loadHave(): Promise<Uint8Array<ArrayBuffer> | null>;
  blob(): Promise<Blob>;
  close(): Promise<void>;
  // Deletes all data of this share (bytes and resume state); the store is closed afterwards.
  destroy(): Promise<void>;
}

// Opens (creating when absent) the store of one share. Unwritten bytes read as zeros. Re-opening a
// share that is already stored keeps its bytes and resume state.
export type PieceStoreFactory = (shareId: string, totalSize: number) => Promise<PieceStore>;

// A whole storage back end: opens shares and lists/removes the ones kept from earlier sessions.
export interface PieceStorage {
  readonly open: PieceStoreFactory;
  // Ids of every share with stored data, in no particular order (resumable downloads, re-seedable shares).
  listStoredShares(): Promise<string[]>;
  // Deletes one share's data; no-op when it is not stored.
  removeStoredShare(shareId: string): Promise<void>;
}

// Share ids become directory names, so they are kept to a safe alphabet (real ids are 64 hex digits).
const SHARE_ID = /^[A-Za-z0-9_-]{1,128}$/;

export function checkShareId(shareId: string): void {
  if (typeof shareId !== 'string' || !SHARE_ID.test(shareId)) {
    throw new RangeError(`invalid share id ${JSON.stringify(shareId)}: expected 1..128 of [A-Za-z0-9_-]`);
  }
}

export function checkTotalSize(totalSize: number): void {
  if (!Number.isSafeInteger(totalSize) || totalSize < 0) {
    throw new RangeError(`invalid total size ${totalSize}: expected a safe integer >= 0`);
  }
}

// Throws RangeError unless offset..offset+length lies inside 0..totalSize.
export function checkRange(offset: number, length: number, totalSize: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`invalid offset ${offset}`);
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`invalid length ${length}`);
  if (offset + length > totalSize) {
    throw new RangeError(`range ${offset}+${length} is past the end of the share (${totalSize} bytes)`);
  }
}

export function closedError(shareId: string): StorageError {
  return new StorageError('storage_unavailable', `the store of share ${shareId} is closed`);
}
