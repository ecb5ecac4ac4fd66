// Covers engine/bitfield: the MSB-first packing of docs/protocol.md §5.2 and its validation.
import { describe, expect, it } from 'vitest';
import { Bitfield } from '../../src/engine/bitfield';
import { WireError } from '../../src/engine/errors';
import type { PieceIndex } from '../../src/engine/ids';
import { pieceAt } from './test-ids';

describe('Bitfield', () => {
  it('packs piece i into bit 7 - i % 8 of byte i / 8', () => {
    const field = new Bitfield(10);
    field.set(pieceAt(0));
    field.set(pieceAt(7));
    field.set(pieceAt(9));
    expect([...field.toBytes()]).toEqual([0b1000_0001, 0b0100_0000]);
  });

  it('reads the same packing back', () => {
    const field = Bitfield.fromBytes(10, Uint8Array.of(0b1010_0000, 0b1000_0000));
    expect([0, 1, 2, 8, 9].map((i) => field.has(pieceAt(i)))).toEqual([true, false, true, true, false]);
    expect(field.count()).toBe(3);
  });

  it('counts set and clear operations, ignoring repeats', () => {
    const field = new Bitfield(3);
    field.set(pieceAt(1));
    field.set(pieceAt(1));
    expect(field.count()).toBe(1);
    field.clear(pieceAt(1));
    field.clear(pieceAt(1));
    expect(field.count()).toBe(0);
    expect(field.has(pieceAt(1))).toBe(false);
  });

  it('is complete when every piece is set, and an empty bitfield always is', () => {
    const field = new Bitfield(2);
    expect(field.isComplete()).toBe(false);
    field.set(pieceAt(0));
    field.set(pieceAt(1));
    expect(field.isComplete()).toBe(true);
    expect(new Bitfield(0).isComplete()).toBe(true);
    expect(new Bitfield(0).toBytes().length).toBe(0);
    expect(Bitfield.full(9).isComplete()).toBe(true);
    expect([...Bitfield.full(9).toBytes()]).toEqual([0xff, 0x80]);
  });

  it('lists the missing pieces in ascending order', () => {
    const field = Bitfield.fromBytes(11, Uint8Array.of(0b1101_1111, 0b1000_0000));
    expect([...field.missing()]).toEqual([2, 9, 10]);
  });

  it('refuses a byte length that does not match the size', () => {
    expect(() => Bitfield.fromBytes(9, Uint8Array.of(0))).toThrow(WireError);
    expect(() => Bitfield.fromBytes(8, Uint8Array.of(0, 0))).toThrow(WireError);
    expect(() => Bitfield.fromBytes(0, Uint8Array.of(0))).toThrow(WireError);
  });

  it('refuses spare bits that are set', () => {
    expect(() => Bitfield.fromBytes(9, Uint8Array.of(0, 0b0100_0000))).toThrow(/spare bits/);
    expect(() => Bitfield.fromBytes(15, Uint8Array.of(0, 0b0000_0001))).toThrow(WireError);
    expect(Bitfield.fromBytes(16, Uint8Array.of(0, 1)).has(pieceAt(15))).toBe(true);
  });

  it('copies the bytes it is given and the bytes it returns', () => {
    const bytes = Uint8Array.of(0);
    const field = Bitfield.fromBytes(8, bytes);
    bytes[0] = 0xff;
    expect(field.count()).toBe(0);
    field.toBytes()[0] = 0xff;
    expect(field.has(pieceAt(0))).toBe(false);
    const copy = field.clone();
    copy.set(pieceAt(0));
    expect(field.has(pieceAt(0))).toBe(false);
  });

  it('throws RangeError for a piece outside the field', () => {
    const field = new Bitfield(8);
    expect(() => field.has(8 as PieceIndex)).toThrow(RangeError);
    expect(() => field.set(-1 as PieceIndex)).toThrow(RangeError);
    expect(() => field.clear(1.5 as PieceIndex)).toThrow(RangeError);
    expect(() => new Bitfield(-1)).toThrow(RangeError);
  });
});
