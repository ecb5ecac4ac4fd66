// Owns the page side of the OPFS storage: OpfsStorage (one storage Worker for every share) and OpfsPieceStore.
//
// All methods run on the page's main thread; each call becomes one request to storage-worker.ts, which
// does the I/O with sync access handles. Write buffers are transferred to the worker, read buffers are
// transferred back, so nothing is copied or buffered beyond the messages in flight. blob() returns the
// data file's disk-backed File (the worker's getFile()), safe to hand to an <a download> object URL.
import { StorageError } from '../engine/errors';
import {
  checkRange,
  checkShareId,
  checkTotalSize,
  closedError,
  type PieceStorage,
  type PieceStore,
} from './piece-store';
import type { StorageRequest, StorageResponse, StorageValue } from './storage-worker';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type RequestBody = DistributiveOmit<StorageRequest, 'id'>;

interface Pending {
  resolve: (value: StorageValue) => void;
  reject: (error: StorageError) => void;
}

// True when this browser has what the OPFS store needs (sync access handles are checked on open).
export function isOpfsSupported(): boolean {
  return (
    typeof Worker !== 'undefined' &&
    typeof navigator !== 'undefined' &&
    !!navigator.storage &&
    typeof navigator.storage.getDirectory === 'function'
  );
}

export class OpfsStorage implements PieceStorage {
  #worker: Worker | null = null;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  readonly open = async (shareId: string, totalSize: number): Promise<PieceStore> => {
    checkShareId(shareId);
    checkTotalSize(totalSize);
    await this.call({ op: 'open', shareId, totalSize });
    return new OpfsPieceStore(this, shareId, totalSize);
  };

  async listStoredShares(): Promise<string[]> {
    return (await this.call({ op: 'list' })) as string[];
  }

  // Deletes a share's data, closing it first if this page has it open. Fails with storage_unavailable
  // while another tab has the share open (the browser keeps its files locked).
  async removeStoredShare(shareId: string): Promise<void> {
    checkShareId(shareId);
    await this.call({ op: 'remove', shareId });
  }

  // Stops the worker (the browser releases its file handles); requests in flight fail with
  // storage_unavailable. The next call starts a new worker, in which stores opened before are no longer
  // open (their calls fail with storage_unavailable until opened again). For tests and page shutdown.
  terminate(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#failAll('the storage worker was stopped');
  }

  // Sends one request; `transfer` lists buffers handed to the worker (detached here).
  call(body: RequestBody, transfer: Transferable[] = []): Promise<StorageValue> {
    const worker = this.#ensureWorker();
    const id = this.#nextId++;
    return new Promise<StorageValue>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        worker.postMessage({ ...body, id } as StorageRequest, transfer);
      } catch (error) {
        this.#pending.delete(id);
        reject(new StorageError('storage_unavailable', `could not reach the storage worker: ${String(error)}`));
      }
    });
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    let worker: Worker;
    try {
      worker = new Worker(new URL('./storage-worker.ts', import.meta.url), {
        type: 'module',
        name: 'peershare-storage',
      });
    } catch (error) {
      throw new StorageError('storage_unavailable', `could not start the storage worker: ${String(error)}`);
    }
    worker.onmessage = (event: MessageEvent<StorageResponse>) => {
      const response = event.data;
      const pending = this.#pending.get(response.id);
      if (!pending) return;
      this.#pending.delete(response.id);
      if (response.ok) pending.resolve(response.value);
      else pending.reject(new StorageError(response.error.code, response.error.message));
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      if (this.#worker === worker) this.#worker = null;
      worker.terminate();
      this.#failAll(`the storage worker failed: ${event.message || 'could not load it'}`);
    };
    this.#worker = worker;
    return worker;
  }

  #failAll(message: string): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(new StorageError('storage_unavailable', message));
  }
}

export class OpfsPieceStore implements PieceStore {
  readonly shareId: string;
  readonly totalSize: number;
  readonly #storage: OpfsStorage;
  #closed = false;

  // Use OpfsStorage.open (or openOpfsStore): it opens the share in the worker first.
  constructor(storage: OpfsStorage, shareId: string, totalSize: number) {
    this.#storage = storage;
    this.shareId = shareId;
    this.totalSize = totalSize;
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.#check();
    checkRange(offset, data.length, this.totalSize);
    if (data.length === 0) return;
    // Transfer the caller's buffer when the view covers it; otherwise copy just the view.
    const whole =
      data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    const buffer: ArrayBuffer = whole ? (data.buffer as ArrayBuffer) : data.slice().buffer;
    await this.#storage.call({ op: 'write', shareId: this.shareId, offset, data: buffer }, [buffer]);
  }

  async read(offset: number, length: number): Promise<Uint8Array<ArrayBuffer>> {
    this.#check();
    checkRange(offset, length, this.totalSize);
    if (length === 0) return new Uint8Array(0);
    const buffer = (await this.#storage.call({ op: 'read', shareId: this.shareId, offset, length })) as ArrayBuffer;
    return new Uint8Array(buffer);
  }

  async saveHave(bitfield: Uint8Array): Promise<void> {
    this.#check();
    const copy = bitfield.slice().buffer;
    await this.#storage.call({ op: 'saveHave', shareId: this.shareId, bitfield: copy }, [copy]);
  }

  async loadHave(): Promise<Uint8Array<ArrayBuffer> | null> {
    this.#check();
    const value = await this.#storage.call({ op: 'loadHave', shareId: this.shareId });
    return value instanceof ArrayBuffer ? new Uint8Array(value) : null;
  }

  async blob(): Promise<Blob> {
    this.#check();
    const file = (await this.#storage.call({ op: 'file', shareId: this.shareId })) as File;
    if (file.size !== this.totalSize) {
      throw new StorageError(
        'storage_corrupt',
        `share ${this.shareId}: the data file has ${file.size} bytes, expected ${this.totalSize}`,
      );
    }
    return file;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#storage.call({ op: 'close', shareId: this.shareId });
  }

  async destroy(): Promise<void> {
    this.#closed = true;
    await this.#storage.call({ op: 'remove', shareId: this.shareId });
  }

  #check(): void {
    if (this.#closed) throw closedError(this.shareId);
  }
}

let shared: OpfsStorage | null = null;

// The page's OPFS storage: one worker for all shares.
export function opfsStorage(): OpfsStorage {
  shared ??= new OpfsStorage();
  return shared;
}

export const openOpfsStore = (shareId: string, totalSize: number): Promise<PieceStore> =>
  opfsStorage().open(shareId, totalSize);

export const listStoredShares = (): Promise<string[]> => opfsStorage().listStoredShares();

export const removeStoredShare = (shareId: string): Promise<void> => opfsStorage().removeStoredShare(shareId);
