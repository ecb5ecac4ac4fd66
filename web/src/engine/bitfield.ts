// Which pieces a peer holds, packed as docs/protocol.md §5.2 sends it: piece i is bit 7 - i % 8 of
// byte i / 8 (most significant bit first), spare bits of the last byte zero.

import { WireError } from './errors';
import { knownPieceIndex, type PieceIndex } from './ids';

export class Bitfield {
  readonly size: number;
  private readonly bits: Uint8Array;
  private setCount = 0;

  // A bitfield of `size` pieces, all clear, or a copy of `bytes` (validated like fromBytes).
  constructor(size: number, bytes?: Uint8Array) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid bitfield size ${size}`);
    this.size = size;
    const length = Bitfield.byteLength(size);
    if (bytes === undefined) {
      this.bits = new Uint8Array(length);
      return;
    }
    if (bytes.length !== length)
      throw new WireError(`bitfield of ${size} pieces needs ${length} bytes, got ${bytes.length}`);
    const spare = length * 8 - size;
    // The spare bits are the low `spare` bits of the last byte.
    if (spare > 0 && (bytes[length - 1] & ((1 << spare) - 1)) !== 0)
      throw new WireError('bitfield has spare bits set');
    this.bits = bytes.slice();
    for (const byte of this.bits) this.setCount += popcount(byte);
  }

  // Reads a bitfield received from a peer; throws WireError on a wrong length or spare bits set.
  static fromBytes(size: number, bytes: Uint8Array): Bitfield {
    return new Bitfield(size, bytes);
  }

  // A bitfield with every piece set (a seeder's).
  static full(size: number): Bitfield {
    const field = new Bitfield(size);
    for (let i = 0; i < size; i++) field.set(knownPieceIndex(i));
    return field;
  }

  static byteLength(size: number): number {
    return Math.ceil(size / 8);
  }

  has(index: PieceIndex): boolean {
    this.check(index);
    return (this.bits[index >> 3] & (0x80 >> (index & 7))) !== 0;
  }

  set(index: PieceIndex): void {
    if (this.has(index)) return;
    this.bits[index >> 3] |= 0x80 >> (index & 7);
    this.setCount += 1;
  }

  clear(index: PieceIndex): void {
    if (!this.has(index)) return;
    this.bits[index >> 3] &= ~(0x80 >> (index & 7));
    this.setCount -= 1;
  }

  // Number of pieces set.
  count(): number {
    return this.setCount;
  }

  isComplete(): boolean {
    return this.setCount === this.size;
  }

  // Indices of the clear pieces, ascending.
  *missing(): IterableIterator<PieceIndex> {
    for (let i = 0; i < this.size; i++) if (!this.has(knownPieceIndex(i))) yield knownPieceIndex(i);
  }

  // The wire form (a copy).
  toBytes(): Uint8Array {
    return this.bits.slice();
  }

  clone(): Bitfield {
    return new Bitfield(this.size, this.bits);
  }

  private check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size)
      throw new RangeError(`piece ${index} outside a bitfield of ${this.size}`);
  }
}

function popcount(byte: number): number {
  let n = 0;
  for (let b = byte; b !== 0; b &= b - 1) n++;
  return n;
}
