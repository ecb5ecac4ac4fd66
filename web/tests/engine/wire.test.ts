// Covers engine/wire: the exact bytes of every message of docs/protocol.md §5.2, round trips, and
// every malformed message the decoder must refuse.
import { describe, expect, it } from 'vitest';
import { Bitfield } from '../../src/engine/bitfield';
import { BLOCK_SIZE } from '../../src/engine/constants';
import { WireError } from '../../src/engine/errors';
import { shareId, type PieceIndex, type ShareId } from '../../src/engine/ids';
import { fromHex, toHex } from '../../src/engine/metadata';
import { decode, encode, encodeData, type WireLimits, type WireMessage } from '../../src/engine/wire';
import { pieceAt } from './test-ids';

const ID = shareId('1ac032bd3e2e7814bc47c70a46001662acb652c376e5a608db6d65615e37356e');
const limits: WireLimits = { pieceCount: 10 };

const hex = (buf: ArrayBuffer) => toHex(new Uint8Array(buf));
const buf = (h: string) => fromHex(h.replace(/\s/g, '')).buffer as ArrayBuffer;

function violation(h: string, l: WireLimits = limits): string {
  try {
    decode(buf(h), l);
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    expect((e as WireError).code).toBe('wire_violation');
    return (e as WireError).message;
  }
  throw new Error(`decoded ${h}`);
}

describe('wire encoding', () => {
  it('writes a handshake: type, version, raw id, piece count, MSB-first bitfield', () => {
    const bitfield = new Bitfield(10);
    bitfield.set(pieceAt(0));
    bitfield.set(pieceAt(9));
    expect(hex(encode({ type: 'handshake', resource: ID, bitfield }))).toBe(`0101${ID}0000000a8040`);
  });

  it('writes have, request, cancel and reject as big-endian integers', () => {
    expect(hex(encode({ type: 'have', piece: pieceAt(0x01020304) }))).toBe('0201020304');
    expect(hex(encode({ type: 'request', piece: pieceAt(7), offset: 0x10000, length: 0x10000 }))).toBe('03000000070001000000010000');
    expect(hex(encode({ type: 'cancel', piece: pieceAt(1), offset: 2, length: 3 }))).toBe('05000000010000000200000003');
    expect(hex(encode({ type: 'reject', piece: pieceAt(1), offset: 2, length: 3 }))).toBe('06000000010000000200000003');
  });

  it('writes data as piece, offset and the bytes, the same from encode and encodeData', () => {
    const bytes = Uint8Array.of(0xaa, 0xbb);
    expect(hex(encodeData(pieceAt(3), 0x20000, bytes))).toBe('040000000300020000aabb');
    expect(hex(encode({ type: 'data', piece: pieceAt(3), offset: 0x20000, data: bytes }))).toBe('040000000300020000aabb');
    // A view into a larger buffer is copied from its own offset.
    const big = Uint8Array.of(1, 2, 3, 4);
    expect(hex(encodeData(pieceAt(0), 0, big.subarray(1, 3)))).toBe('0400000000000000000203');
  });

  it('refuses to write what the decoder would refuse', () => {
    expect(() => encode({ type: 'request', piece: pieceAt(0), offset: 0, length: 0 })).toThrow(RangeError);
    expect(() => encode({ type: 'request', piece: pieceAt(0), offset: 0, length: BLOCK_SIZE + 1 })).toThrow(RangeError);
    expect(() => encode({ type: 'have', piece: -1 as PieceIndex })).toThrow(RangeError);
    expect(() => encode({ type: 'have', piece: (2 ** 32) as PieceIndex })).toThrow(RangeError);
    expect(() => encodeData(pieceAt(0), 0, new Uint8Array(0))).toThrow(RangeError);
    expect(() => encodeData(pieceAt(0), 0, new Uint8Array(BLOCK_SIZE + 1))).toThrow(RangeError);
    expect(() => encode({ type: 'handshake', resource: ID.toUpperCase() as ShareId, bitfield: new Bitfield(1) })).toThrow(RangeError);
    expect(() => encode({ type: 'handshake', resource: 'ab' as ShareId, bitfield: new Bitfield(1) })).toThrow(RangeError);
  });
});

describe('wire decoding', () => {
  it('round trips every message', () => {
    const bitfield = new Bitfield(10);
    bitfield.set(pieceAt(3));
    const messages: WireMessage[] = [
      { type: 'have', piece: pieceAt(9) },
      { type: 'request', piece: pieceAt(1), offset: 65536, length: 65536 },
      { type: 'cancel', piece: pieceAt(2), offset: 0, length: 1 },
      { type: 'reject', piece: pieceAt(3), offset: 5, length: 7 },
    ];
    for (const m of messages) expect(decode(encode(m), limits)).toEqual(m);
    const hs = decode(encode({ type: 'handshake', resource: ID, bitfield }), limits);
    expect(hs.type === 'handshake' && hs.resource).toBe(ID);
    expect(hs.type === 'handshake' && [...hs.bitfield.toBytes()]).toEqual([...bitfield.toBytes()]);
    const data = decode(encodeData(pieceAt(4), 8, Uint8Array.of(1, 2, 3)), limits);
    expect(data).toEqual({ type: 'data', piece: pieceAt(4), offset: 8, data: Uint8Array.of(1, 2, 3) });
  });

  it('returns the data payload as a view into the received buffer, not a copy', () => {
    const received = encodeData(pieceAt(0), 0, new Uint8Array(BLOCK_SIZE).fill(7));
    const m = decode(received, limits);
    if (m.type !== 'data') throw new Error('not data');
    expect(m.data.buffer).toBe(received);
    expect(m.data.byteOffset).toBe(9);
    expect(m.data.length).toBe(BLOCK_SIZE);
  });

  it('decodes a handshake of an empty share', () => {
    const m = decode(encode({ type: 'handshake', resource: ID, bitfield: new Bitfield(0) }), { pieceCount: 0 });
    expect(m.type === 'handshake' && m.bitfield.size).toBe(0);
  });

  it('refuses an empty message and unknown types', () => {
    expect(violation('')).toMatch(/empty/);
    for (const type of ['00', '07', 'ff']) expect(violation(`${type}00000000`)).toMatch(/unknown message type/);
  });

  it('refuses truncated messages', () => {
    expect(violation('02000000')).toMatch(/truncated have/);
    expect(violation('03 00000001 00000000 000001')).toMatch(/truncated request/);
    expect(violation('05 00000001')).toMatch(/truncated cancel/);
    expect(violation('06')).toMatch(/truncated reject/);
    expect(violation('04 00000001 000000')).toMatch(/truncated data/);
    expect(violation(`01 01 ${ID}`)).toMatch(/truncated handshake/);
    expect(violation('01')).toMatch(/truncated handshake/);
  });

  it('refuses trailing bytes', () => {
    expect(violation('02 00000001 00')).toMatch(/trailing/);
    expect(violation('03 00000001 00000000 00000001 00')).toMatch(/trailing/);
    expect(violation('05 00000001 00000000 00000001 00')).toMatch(/trailing/);
    expect(violation('06 00000001 00000000 00000001 00')).toMatch(/trailing/);
  });

  it('refuses a handshake of another version', () => {
    expect(violation(`01 02 ${ID} 0000000a 0000`)).toMatch(/version 2/);
    expect(violation(`01 00 ${ID} 0000000a 0000`)).toMatch(/version 0/);
  });

  it('refuses a handshake whose piece count differs from the share', () => {
    expect(violation(`01 01 ${ID} 0000000b 0000`)).toMatch(/11 pieces/);
  });

  it('refuses a handshake whose bitfield length does not match its piece count', () => {
    expect(violation(`01 01 ${ID} 0000000a 00`)).toMatch(/bitfield/);
    expect(violation(`01 01 ${ID} 0000000a 000000`)).toMatch(/bitfield/);
  });

  it('refuses a handshake bitfield with spare bits set', () => {
    expect(violation(`01 01 ${ID} 0000000a 0020`)).toMatch(/spare bits/);
  });

  it('refuses a piece index outside the share', () => {
    expect(violation('02 0000000a')).toMatch(/piece 10 outside/);
    expect(violation('03 ffffffff 00000000 00000001')).toMatch(/outside/);
    expect(violation('04 0000000a 00000000 ff')).toMatch(/outside/);
    expect(violation('05 0000000a 00000000 00000001')).toMatch(/outside/);
    expect(violation('06 0000000a 00000000 00000001')).toMatch(/outside/);
  });

  it('refuses a block length of 0 or above BLOCK_SIZE', () => {
    for (const type of ['03', '05', '06']) {
      expect(violation(`${type} 00000001 00000000 00000000`)).toMatch(/block length 0/);
      const hex = (n: number) => n.toString(16).padStart(8, '0');
      expect(violation(`${type} 00000001 00000000 ${hex(BLOCK_SIZE + 1)}`)).toMatch(new RegExp(`block length ${BLOCK_SIZE + 1}`));
      expect(decode(buf(`${type} 00000001 00000000 ${hex(BLOCK_SIZE)}`), limits)).toMatchObject({ length: BLOCK_SIZE });
    }
    expect(violation('04 00000001 00000000')).toMatch(/block length 0/);
    const tooBig = new Uint8Array(9 + BLOCK_SIZE + 1);
    tooBig[0] = 4;
    expect(() => decode(tooBig.buffer, limits)).toThrow(new RegExp(`block length ${BLOCK_SIZE + 1}`));
  });

  it('refuses a block outside its piece when piece lengths are given', () => {
    const sized: WireLimits = { pieceCount: 2, pieceLength: (p) => (p === 0 ? 100 : 30) };
    expect(decode(buf('03 00000001 00000014 0000000a'), sized)).toMatchObject({ offset: 20, length: 10 });
    expect(violation('03 00000001 00000014 0000000b', sized)).toMatch(/outside piece 1/);
    expect(violation('05 00000000 00000064 00000001', sized)).toMatch(/outside piece 0/);
    expect(violation('04 00000001 0000001e 00', sized)).toMatch(/outside piece 1/);
  });
});
