// Owns the hashing Worker: SHA-256 of every piece of a list of Files, one piece in memory at a time.
//
// Started by hashing.ts (one worker per hashFiles call, terminated when it ends or is aborted). It gets
// one request {files, pieceSize}, reads piece after piece across file boundaries (FileSource), hashes
// each whole piece with crypto.subtle.digest, posts progress at most every PROGRESS_INTERVAL_MS and
// finally the hashes as one transferred buffer of 32 bytes per piece.
import { FileSource } from './file-source';

export interface HashRequest {
  files: Blob[];
  pieceSize: number;
}

export type HashMessage =
  | { type: 'progress'; bytesDone: number }
  | { type: 'done'; hashes: ArrayBuffer }
  | { type: 'error'; name: string; code: string | null; message: string };

interface WorkerScope {
  onmessage: ((event: MessageEvent<HashRequest>) => void) | null;
  postMessage(message: HashMessage, transfer: Transferable[]): void;
}

const PROGRESS_INTERVAL_MS = 100;
const scope = self as unknown as WorkerScope;

async function hashAll({ files, pieceSize }: HashRequest): Promise<void> {
  const source = new FileSource(files);
  const total = source.totalSize;
  const count = Math.ceil(total / pieceSize);
  const hashes = new Uint8Array(count * 32);
  let lastReport = performance.now();
  for (let piece = 0; piece < count; piece++) {
    const offset = piece * pieceSize;
    const bytes = await source.read(offset, Math.min(pieceSize, total - offset));
    hashes.set(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), piece * 32);
    const now = performance.now();
    if (now - lastReport >= PROGRESS_INTERVAL_MS) {
      lastReport = now;
      scope.postMessage({ type: 'progress', bytesDone: offset + bytes.length }, []);
    }
  }
  scope.postMessage({ type: 'done', hashes: hashes.buffer }, [hashes.buffer]);
}

scope.onmessage = (event: MessageEvent<HashRequest>) => {
  hashAll(event.data).catch((error: unknown) => {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : null;
    const name = error instanceof Error || error instanceof DOMException ? error.name : 'Error';
    const message = error instanceof Error || error instanceof DOMException ? error.message : String(error);
    scope.postMessage({ type: 'error', name, code, message }, []);
  });
};
