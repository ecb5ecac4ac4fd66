// Owns hashFiles: the page-side API that hashes the pieces of user-picked files in a Worker (hash-worker.ts).
//
// Called on the main thread when a user picks files to share. Files are posted to the worker (structured
// clone passes a reference to the file on disk, not its bytes); the worker reads one piece at a time, so
// memory stays at about one piece whatever the size of the files.
import { StorageError, type StorageErrorCode } from '../engine/errors';
import type { HashMessage, HashRequest } from './hash-worker';

const STORAGE_CODES: readonly string[] = ['storage_full', 'storage_unavailable', 'storage_corrupt'];

// Returns the SHA-256 of each piece of the concatenation of `files` (pieces of `pieceSize` bytes, the
// last one possibly short; none for empty input). onProgress gets (bytesDone, total) at most every
// ~100 ms and once with (total, total) before the promise resolves. Aborting `signal` stops the worker
// and rejects with signal.reason (an AbortError DOMException by default). A file that cannot be read
// (changed or deleted since it was picked) rejects with StorageError 'storage_unavailable'.
export function hashFiles(
  files: readonly File[],
  pieceSize: number,
  onProgress: (bytesDone: number, total: number) => void,
  signal?: AbortSignal,
): Promise<Uint8Array[]> {
  if (!Number.isSafeInteger(pieceSize) || pieceSize <= 0) {
    return Promise.reject(new RangeError(`invalid piece size ${pieceSize}`));
  }
  const total = files.reduce((sum, file) => sum + file.size, 0);
  if (signal?.aborted) return Promise.reject(signal.reason);

  return new Promise<Uint8Array[]>((resolve, reject) => {
    const worker = new Worker(new URL('./hash-worker.ts', import.meta.url), { type: 'module', name: 'peershare-hash' });
    const finish = (): void => {
      worker.terminate();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      finish();
      reject(signal?.reason ?? new DOMException('hashing was aborted', 'AbortError'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    worker.onmessage = (event: MessageEvent<HashMessage>) => {
      const message = event.data;
      switch (message.type) {
        case 'progress':
          onProgress(message.bytesDone, total);
          return;
        case 'done': {
          finish();
          const all = new Uint8Array(message.hashes);
          const hashes: Uint8Array[] = [];
          for (let at = 0; at < all.length; at += 32) hashes.push(all.slice(at, at + 32));
          onProgress(total, total);
          resolve(hashes);
          return;
        }
        case 'error':
          finish();
          reject(
            message.code !== null && STORAGE_CODES.includes(message.code)
              ? new StorageError(message.code as StorageErrorCode, message.message)
              : new StorageError('storage_unavailable', `hashing failed: ${message.name}: ${message.message}`),
          );
          return;
      }
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      finish();
      reject(new StorageError('storage_unavailable', `the hashing worker failed: ${event.message || 'could not load it'}`));
    };
    const request: HashRequest = { files: [...files], pieceSize };
    worker.postMessage(request);
  });
}
