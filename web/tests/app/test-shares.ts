// Shares for app tests: pseudo-random bytes as one file, with their metadata bytes and id.
import { decodeMetadata, encodeMetadata, resourceIdOf, sha256, type ShareMetadata } from '../../src/engine/metadata';
import type { ShareId } from '../../src/engine/ids';
import { randomBytes } from '../engine/swarm-harness';

export interface AppShare {
  readonly resource: ShareId;
  readonly bytes: Uint8Array; // the metadata
  readonly meta: ShareMetadata;
  readonly data: Uint8Array;
  readonly file: File;
}

export async function appShare(totalSize: number, { seed = 0x1234567, name = 'data.bin' } = {}): Promise<AppShare> {
  const data = randomBytes(totalSize, seed);
  const pieceSize = 256 * 1024; // the piece size rule's for every share these tests use
  const pieceHashes: Uint8Array[] = [];
  for (let offset = 0; offset < totalSize; offset += pieceSize) pieceHashes.push(await sha256(data.subarray(offset, Math.min(totalSize, offset + pieceSize))));
  const bytes = encodeMetadata({ name, files: [{ path: name, size: totalSize }], pieceHashes });
  return { resource: await resourceIdOf(bytes), bytes, meta: decodeMetadata(bytes), data, file: new File([data as Uint8Array<ArrayBuffer>], name) };
}
