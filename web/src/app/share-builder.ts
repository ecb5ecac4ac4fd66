// Turns files picked from disk into a share: the paths of its files (naming.ts), the piece hashes
// (hashed in a Worker in the page: storage/hashing.ts), the metadata bytes of docs/protocol.md §1
// and the id they hash to.
import type { ShareId } from '../engine/ids';
import { decodeMetadata, encodeMetadata, pieceSizeFor, resourceIdOf, type ShareMetadata } from '../engine/metadata';
import { uniquePaths } from './naming';

// Hashes the pieces of the files' concatenation (storage/hashing.ts hashFiles in the page).
export type Hasher = (
  files: readonly File[],
  pieceSize: number,
  onProgress: (bytesDone: number, total: number) => void,
  signal?: AbortSignal,
) => Promise<Uint8Array[]>;

export interface BuiltShare {
  readonly resource: ShareId;
  readonly bytes: Uint8Array;
  readonly meta: ShareMetadata;
}

// `onProgress` gets the fraction hashed, 0..1.
export async function buildShare(
  files: readonly File[],
  name: string,
  hash: Hasher,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<BuiltShare> {
  const paths = uniquePaths(files);
  const total = files.reduce((n, f) => n + f.size, 0);
  const hashes = await hash(files, pieceSizeFor(total), (done, all) => onProgress(all === 0 ? 1 : done / all), signal);
  const bytes = encodeMetadata({ name, files: files.map((f, i) => ({ path: paths[i]!, size: f.size })), pieceHashes: hashes });
  return { resource: await resourceIdOf(bytes), bytes, meta: decodeMetadata(bytes) };
}
