// Ids for engine tests: short peer names (S, D1, a) as valid peer ids (their bytes in hex, padded
// to 32 digits) and back, so that tests and their failure messages keep the names.
import { peerId, pieceIndex, type PeerId, type PieceIndex } from '../../src/engine/ids';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function testPeerId(name: string): PeerId {
  const hex = [...encoder.encode(name)].map((b) => b.toString(16).padStart(2, '0')).join('');
  if (hex.length > 32) throw new RangeError(`test peer name ${name} is longer than 16 bytes`);
  return peerId(hex.padEnd(32, '0'));
}

export function testPeerName(id: PeerId): string {
  const hex = id.replace(/(00)+$/, '');
  return decoder.decode(Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16)));
}

export const pieceAt = (n: number): PieceIndex => pieceIndex(n);
