// Owns FileSource: a read-only PieceReader over user-picked File objects (a share seeded from disk, not copied).
//
// The share's bytes are the files concatenated in order (empty files allowed); a read may span several
// files. Reads slice the Files and read one composed Blob, so only the requested range is ever in
// memory. Used on the main thread (seeding) and in hash-worker.ts (hashing).
import { StorageError } from '../engine/errors';
import { checkRange, closedError, type PieceReader } from './piece-store';

export class FileSource implements PieceReader {
  readonly totalSize: number;
  readonly shareId: string;
  readonly #files: readonly Blob[];
  readonly #starts: number[]; // absolute offset of each file's first byte
  #closed = false;

  constructor(files: readonly Blob[], shareId = 'files') {
    this.#files = [...files];
    this.shareId = shareId;
    this.#starts = [];
    let total = 0;
    for (const file of this.#files) {
      this.#starts.push(total);
      total += file.size;
    }
    if (!Number.isSafeInteger(total)) throw new RangeError('the files are too large together');
    this.totalSize = total;
  }

  get files(): readonly Blob[] {
    return this.#files;
  }

  // The blob of bytes offset..offset+length, composed from slices of the files (nothing is read yet).
  slice(offset: number, length: number): Blob {
    checkRange(offset, length, this.totalSize);
    const end = offset + length;
    const parts: Blob[] = [];
    for (let i = this.#fileAt(offset); i < this.#files.length && this.#starts[i]! < end; i++) {
      const file = this.#files[i]!;
      const start = this.#starts[i]!;
      if (file.size === 0) continue;
      parts.push(file.slice(Math.max(offset, start) - start, Math.min(end, start + file.size) - start));
    }
    return parts.length === 1 ? parts[0]! : new Blob(parts);
  }

  async read(offset: number, length: number): Promise<Uint8Array<ArrayBuffer>> {
    this.#check();
    checkRange(offset, length, this.totalSize);
    if (length === 0) return new Uint8Array(0);
    let buffer: ArrayBuffer;
    try {
      buffer = await this.slice(offset, length).arrayBuffer();
    } catch (error) {
      const name = error instanceof Error || error instanceof DOMException ? error.name : '';
      throw new StorageError(
        'storage_unavailable',
        name === 'NotReadableError' || name === 'NotFoundError'
          ? 'a shared file was changed, moved or deleted after it was picked; pick it again'
          : `could not read the shared files: ${String(error)}`,
        { cause: error },
      );
    }
    if (buffer.byteLength !== length) {
      throw new StorageError('storage_corrupt', `read ${buffer.byteLength} of ${length} bytes from the shared files`);
    }
    return new Uint8Array(buffer);
  }

  async blob(): Promise<Blob> {
    this.#check();
    return this.#files.length === 1 ? this.#files[0]! : new Blob([...this.#files]);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  // Index of the last file starting at or before `offset`: the file holding that byte (when offset < totalSize).
  #fileAt(offset: number): number {
    let lo = 0;
    let hi = this.#files.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.#starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  #check(): void {
    if (this.#closed) throw closedError(this.shareId);
  }
}
