// Owns the OPFS storage Worker: the one place that opens shares/<shareId>/{data,have} with sync access handles.
//
// One dedicated module Worker serves every share of the page (opfs-store.ts creates it and is its only
// client). Requests are {id, op, ...} messages; each gets exactly one response {id, ok, value | error}.
// Calls for one share run strictly in arrival order (a per-share queue); calls for different shares
// interleave only while one of them awaits a directory operation. Memory stays flat: the worker holds
// only the buffers of the messages in flight (write buffers arrive transferred, read buffers leave
// transferred).
//
// On disk, under the origin's OPFS root:
//   shares/<shareId>/data  the share's concatenated bytes, truncated to totalSize when opened
//   shares/<shareId>/have  resume state: two slots, each "PSHV" | seq u32 | length u32 | crc32 u32 | bitfield,
//                          written alternately so that a crash during saveHave leaves the previous slot
//                          intact; loadHave returns the valid slot with the highest seq.
// saveHave() flushes the data file before it writes the have slot, so a saved bitfield never marks
// bytes that are not on disk. write() does not flush: one flush per resume-state save, not per
// piece, is what keeps writing cheap (a flush reaches the disk).
import type { StorageErrorCode } from '../engine/errors';

// ---- Messages (shared with opfs-store.ts) ----

export type StorageRequest =
  | { id: number; op: 'open'; shareId: string; totalSize: number }
  | { id: number; op: 'close'; shareId: string }
  | { id: number; op: 'write'; shareId: string; offset: number; data: ArrayBuffer }
  | { id: number; op: 'read'; shareId: string; offset: number; length: number }
  | { id: number; op: 'saveHave'; shareId: string; bitfield: ArrayBuffer }
  | { id: number; op: 'loadHave'; shareId: string }
  | { id: number; op: 'file'; shareId: string }
  | { id: number; op: 'remove'; shareId: string }
  | { id: number; op: 'list' };

export type StorageValue = undefined | null | ArrayBuffer | File | string[];

export type StorageResponse =
  | { id: number; ok: true; value: StorageValue }
  | { id: number; ok: false; error: { code: StorageErrorCode; name: string; message: string } };

// ---- Types the DOM lib lacks (sync access handles exist only in workers) ----

interface SyncAccessHandle {
  read(buffer: Uint8Array, options?: { at: number }): number;
  write(buffer: Uint8Array, options?: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

interface SyncFileHandle extends FileSystemFileHandle {
  createSyncAccessHandle(): Promise<SyncAccessHandle>;
}

interface ListableDirectory extends FileSystemDirectoryHandle {
  entries(): AsyncIterableIterator<[string, FileSystemHandle]>;
}

interface WorkerScope {
  onmessage: ((event: MessageEvent<StorageRequest>) => void) | null;
  postMessage(message: StorageResponse, transfer: Transferable[]): void;
}

// ---- Errors ----

class WorkerStorageError extends Error {
  readonly code: StorageErrorCode;
  constructor(code: StorageErrorCode, message: string) {
    super(message);
    this.name = 'StorageError';
    this.code = code;
  }
}

function describeError(error: unknown): { code: StorageErrorCode; name: string; message: string } {
  if (error instanceof WorkerStorageError) return { code: error.code, name: error.name, message: error.message };
  const name = error instanceof Error || error instanceof DOMException ? error.name : 'Error';
  const message = error instanceof Error || error instanceof DOMException ? error.message : String(error);
  switch (name) {
    case 'QuotaExceededError':
      return { code: 'storage_full', name, message: `browser storage is full: ${message}` };
    case 'NoModificationAllowedError':
      return {
        code: 'storage_unavailable',
        name,
        message: `the share's files are in use by another tab or window: ${message}`,
      };
    default:
      return { code: 'storage_unavailable', name, message: `browser storage failed: ${message}` };
  }
}

// ---- Have file: two crash-safe slots ----

const HAVE_MAGIC = 0x50534856; // "PSHV"
const HAVE_HEADER = 16;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(...parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const bytes of parts) {
    for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

// A slot is the header followed by the bitfield; the crc covers seq, length and the bitfield.
function encodeSlot(seq: number, bitfield: Uint8Array): Uint8Array {
  const slot = new Uint8Array(HAVE_HEADER + bitfield.length);
  const view = new DataView(slot.buffer);
  view.setUint32(0, HAVE_MAGIC);
  view.setUint32(4, seq >>> 0);
  view.setUint32(8, bitfield.length);
  slot.set(bitfield, HAVE_HEADER);
  view.setUint32(12, crc32(slot.subarray(4, 12), bitfield));
  return slot;
}

function decodeSlot(slot: Uint8Array): { seq: number; bitfield: Uint8Array } | null {
  if (slot.length < HAVE_HEADER) return null;
  const view = new DataView(slot.buffer, slot.byteOffset, slot.byteLength);
  if (view.getUint32(0) !== HAVE_MAGIC) return null;
  const length = view.getUint32(8);
  if (length !== slot.length - HAVE_HEADER) return null;
  if (view.getUint32(12) !== crc32(slot.subarray(4, 12), slot.subarray(HAVE_HEADER))) return null;
  return { seq: view.getUint32(4), bitfield: slot.slice(HAVE_HEADER) };
}

// True when sequence number a is newer than b (u32, wrapping).
function newer(a: number, b: number): boolean {
  return ((a - b) >>> 0) !== 0 && ((a - b) >>> 0) < 0x80000000;
}

interface HaveState {
  seq: number; // seq of the newest valid slot
  slot: number; // which slot (0 or 1) holds it, -1 when none
  length: number; // bitfield length the file is laid out for, -1 when the file is not laid out
}

function readHave(handle: SyncAccessHandle): { state: HaveState; bitfield: Uint8Array | null } {
  const size = handle.getSize();
  const none = { state: { seq: 0, slot: -1, length: -1 }, bitfield: null };
  if (size < 2 * HAVE_HEADER || size % 2 !== 0) return none;
  const stride = size / 2;
  let best: { seq: number; bitfield: Uint8Array; slot: number } | null = null;
  for (let slot = 0; slot < 2; slot++) {
    const bytes = new Uint8Array(stride);
    if (handle.read(bytes, { at: slot * stride }) !== stride) continue;
    const decoded = decodeSlot(bytes);
    if (decoded && (!best || newer(decoded.seq, best.seq))) best = { ...decoded, slot };
  }
  if (!best) return { state: { seq: 0, slot: -1, length: stride - HAVE_HEADER }, bitfield: null };
  return { state: { seq: best.seq, slot: best.slot, length: stride - HAVE_HEADER }, bitfield: best.bitfield };
}

function writeHave(handle: SyncAccessHandle, state: HaveState, bitfield: Uint8Array): void {
  const seq = (state.seq + 1) >>> 0;
  const slot = encodeSlot(seq, bitfield);
  if (state.length !== bitfield.length || state.slot < 0) {
    // New layout: both slots get the new bitfield (a crash in here loses only the resume state).
    handle.truncate(2 * slot.length);
    writeAll(handle, slot, 0);
    writeAll(handle, slot, slot.length);
    handle.flush();
    Object.assign(state, { seq, slot: 1, length: bitfield.length });
    return;
  }
  const target = state.slot === 0 ? 1 : 0;
  writeAll(handle, slot, target * slot.length);
  handle.flush();
  Object.assign(state, { seq, slot: target });
}

function writeAll(handle: SyncAccessHandle, bytes: Uint8Array, at: number): void {
  const written = handle.write(bytes, { at });
  if (written !== bytes.length) {
    throw new WorkerStorageError('storage_full', `wrote ${written} of ${bytes.length} bytes: storage is full`);
  }
}

// ---- Shares ----

interface OpenShare {
  readonly dir: FileSystemDirectoryHandle;
  readonly dataFile: SyncFileHandle;
  data: SyncAccessHandle | null; // null after file() had to release it; reopened on demand
  readonly have: SyncAccessHandle;
  readonly haveState: HaveState;
  readonly totalSize: number;
  refs: number;
}

const open = new Map<string, OpenShare>();
const queues = new Map<string, Promise<unknown>>();
let sharesDirPromise: Promise<FileSystemDirectoryHandle> | null = null;

function sharesDir(): Promise<FileSystemDirectoryHandle> {
  if (!sharesDirPromise) {
    sharesDirPromise = (async () => {
      if (!navigator.storage || typeof navigator.storage.getDirectory !== 'function') {
        throw new WorkerStorageError('storage_unavailable', 'this browser has no origin private file system');
      }
      const root = await navigator.storage.getDirectory();
      return root.getDirectoryHandle('shares', { create: true });
    })();
    sharesDirPromise.catch(() => {
      sharesDirPromise = null;
    });
  }
  return sharesDirPromise;
}

function requireOpen(shareId: string): OpenShare {
  const share = open.get(shareId);
  if (!share) throw new WorkerStorageError('storage_unavailable', `share ${shareId} is not open (it was closed or removed)`);
  return share;
}

// A page that was just reloaded (or a worker that was just stopped) can hold its handles a moment longer:
// retry a locked file for about 0.8 s in all before reporting it in use elsewhere.
const LOCK_RETRY_DELAYS_MS = [25, 50, 100, 200, 400];

async function whileLocked<T>(attemptOnce: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await attemptOnce();
    } catch (error) {
      const locked = error instanceof DOMException && error.name === 'NoModificationAllowedError';
      const delay = LOCK_RETRY_DELAYS_MS[attempt];
      if (!locked || delay === undefined) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function lockHandle(file: SyncFileHandle): Promise<SyncAccessHandle> {
  return whileLocked(() => file.createSyncAccessHandle());
}

async function dataHandle(share: OpenShare): Promise<SyncAccessHandle> {
  if (!share.data) share.data = await lockHandle(share.dataFile);
  return share.data;
}

async function openShare(shareId: string, totalSize: number): Promise<void> {
  const existing = open.get(shareId);
  if (existing) {
    if (existing.totalSize !== totalSize) {
      throw new WorkerStorageError('storage_corrupt', `share ${shareId} is already open with another size`);
    }
    existing.refs++;
    return;
  }
  const dir = await (await sharesDir()).getDirectoryHandle(shareId, { create: true });
  const dataFile = (await dir.getFileHandle('data', { create: true })) as SyncFileHandle;
  const haveFile = (await dir.getFileHandle('have', { create: true })) as SyncFileHandle;
  const data = await lockHandle(dataFile);
  let have: SyncAccessHandle;
  try {
    have = await lockHandle(haveFile);
  } catch (error) {
    data.close();
    throw error;
  }
  let fresh = false;
  try {
    const size = data.getSize();
    fresh = size === 0 && have.getSize() === 0;
    if (size !== totalSize) {
      // A new share, or one stored with another size (it cannot be the same share): start afresh, and
      // drop the resume state before the data it describes changes.
      if (have.getSize() !== 0) {
        have.truncate(0);
        have.flush();
      }
      data.truncate(totalSize); // QuotaExceededError here when the share does not fit
      data.flush();
    }
    const { state } = readHave(have);
    open.set(shareId, { dir, dataFile, data, have, haveState: state, totalSize, refs: 1 });
  } catch (error) {
    data.close();
    have.close();
    // Leave nothing behind for a share that held no data (listStoredShares must not offer it).
    if (fresh) await (await sharesDir()).removeEntry(shareId, { recursive: true }).catch(() => {});
    throw error;
  }
}

function release(share: OpenShare): void {
  try {
    share.data?.flush();
  } finally {
    share.data?.close();
    share.data = null;
    share.have.close();
  }
}

async function removeShare(shareId: string): Promise<void> {
  const share = open.get(shareId);
  if (share) {
    open.delete(shareId);
    release(share);
  }
  try {
    const dir = await sharesDir();
    await whileLocked(() => dir.removeEntry(shareId, { recursive: true }));
  } catch (error) {
    if (!(error instanceof DOMException && error.name === 'NotFoundError')) throw error;
  }
}

async function listShares(): Promise<string[]> {
  const dir = (await sharesDir()) as ListableDirectory;
  const ids: string[] = [];
  for await (const [name, handle] of dir.entries()) {
    if (handle.kind === 'directory') ids.push(name);
  }
  return ids;
}

async function perform(request: StorageRequest): Promise<{ value: StorageValue; transfer: Transferable[] }> {
  const done = (value: StorageValue = undefined, transfer: Transferable[] = []) => ({ value, transfer });
  switch (request.op) {
    case 'open':
      await openShare(request.shareId, request.totalSize);
      return done();
    case 'close': {
      const share = open.get(request.shareId);
      if (share && --share.refs === 0) {
        open.delete(request.shareId);
        release(share);
      }
      return done();
    }
    case 'write': {
      const share = requireOpen(request.shareId);
      const handle = await dataHandle(share);
      writeAll(handle, new Uint8Array(request.data), request.offset);
      return done();
    }
    case 'read': {
      const share = requireOpen(request.shareId);
      const handle = await dataHandle(share);
      const bytes = new Uint8Array(request.length);
      const got = request.length === 0 ? 0 : handle.read(bytes, { at: request.offset });
      if (got !== request.length) {
        throw new WorkerStorageError(
          'storage_corrupt',
          `share ${request.shareId}: read ${got} of ${request.length} bytes at ${request.offset}; the data file is short`,
        );
      }
      return done(bytes.buffer, [bytes.buffer]);
    }
    case 'saveHave': {
      const share = requireOpen(request.shareId);
      share.data?.flush(); // every piece the bitfield marks is on disk before the bitfield is
      writeHave(share.have, share.haveState, new Uint8Array(request.bitfield));
      return done();
    }
    case 'loadHave': {
      const share = requireOpen(request.shareId);
      const { state, bitfield } = readHave(share.have);
      Object.assign(share.haveState, state);
      return bitfield ? done(bitfield.buffer as ArrayBuffer, [bitfield.buffer]) : done(null);
    }
    case 'file': {
      const share = requireOpen(request.shareId);
      share.data?.flush();
      try {
        // Chromium allows getFile() while this worker holds the sync handle; browsers that refuse it
        // get the handle released first (write/read reopen it on demand).
        return done(await share.dataFile.getFile());
      } catch {
        share.data?.close();
        share.data = null;
        return done(await share.dataFile.getFile());
      }
    }
    case 'remove':
      await removeShare(request.shareId);
      return done();
    case 'list':
      return done(await listShares());
  }
}

const scope = self as unknown as WorkerScope;

scope.onmessage = (event: MessageEvent<StorageRequest>) => {
  const request = event.data;
  const key = request.op === 'list' ? '' : request.shareId;
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.then(() => perform(request));
  const settled = run.then(
    ({ value, transfer }) => scope.postMessage({ id: request.id, ok: true, value }, transfer),
    (error: unknown) => scope.postMessage({ id: request.id, ok: false, error: describeError(error) }, []),
  );
  queues.set(key, settled);
  void settled.finally(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
};
