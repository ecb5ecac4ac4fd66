// The peer wire protocol codec (docs/protocol.md §5.2): one discriminated union of messages, one
// encoder, one decoder that refuses anything malformed with a WireError. Sans-io: bytes in,
// messages out. Whether a request or data message fits the conversation (was it requested? does
// the sender have the piece?) is the caller's and the picker's to judge.

import { Bitfield } from './bitfield';
import { BLOCK_SIZE, HASH_BYTES, WIRE_VERSION } from './constants';
import { WireError } from './errors';
import { knownPieceIndex, shareId, type PieceIndex, type ShareId } from './ids';
import { fromHex, toHex } from './metadata';

export const MessageType = {
  handshake: 0x01,
  have: 0x02,
  request: 0x03,
  data: 0x04,
  cancel: 0x05,
  reject: 0x06,
} as const;

export interface HandshakeMessage {
  readonly type: 'handshake';
  readonly resource: ShareId;
  readonly bitfield: Bitfield; // its size is the piece count
}
export interface HaveMessage {
  readonly type: 'have';
  readonly piece: PieceIndex;
}
export interface BlockMessage<T extends 'request' | 'cancel' | 'reject'> {
  readonly type: T;
  readonly piece: PieceIndex;
  readonly offset: number;
  readonly length: number;
}
export interface DataMessage {
  readonly type: 'data';
  readonly piece: PieceIndex;
  readonly offset: number;
  readonly data: Uint8Array; // from decode: a view into the received buffer
}

export type RequestMessage = BlockMessage<'request'>;
export type CancelMessage = BlockMessage<'cancel'>;
export type RejectMessage = BlockMessage<'reject'>;
export type WireMessage = HandshakeMessage | HaveMessage | RequestMessage | DataMessage | CancelMessage | RejectMessage;

// What the decoder checks messages against: this share's piece count and, when given, each
// piece's length (then a block must also lie inside its piece).
export interface WireLimits {
  readonly pieceCount: number;
  readonly pieceLength?: (piece: PieceIndex) => number;
}

const HANDSHAKE_HEADER = 1 + 1 + HASH_BYTES + 4; // type, version, resource id, piece count
const HAVE_LENGTH = 1 + 4;
const BLOCK_LENGTH = 1 + 4 + 4 + 4; // request, cancel, reject
const DATA_HEADER = 1 + 4 + 4;

// --- encoding ---

export function encode(msg: WireMessage): ArrayBuffer {
  switch (msg.type) {
    case 'handshake': {
      const resource = resourceBytes(msg.resource);
      const bits = msg.bitfield.toBytes();
      const out = new Uint8Array(HANDSHAKE_HEADER + bits.length);
      const view = new DataView(out.buffer);
      out[0] = MessageType.handshake;
      out[1] = WIRE_VERSION;
      out.set(resource, 2);
      view.setUint32(2 + HASH_BYTES, msg.bitfield.size);
      out.set(bits, HANDSHAKE_HEADER);
      return out.buffer;
    }
    case 'have': {
      const view = new DataView(new ArrayBuffer(HAVE_LENGTH));
      view.setUint8(0, MessageType.have);
      view.setUint32(1, u32(msg.piece));
      return view.buffer;
    }
    case 'request':
    case 'cancel':
    case 'reject': {
      if (!Number.isInteger(msg.length) || msg.length < 1 || msg.length > BLOCK_SIZE)
        throw new RangeError(`block length ${msg.length} outside 1..${BLOCK_SIZE}`);
      const view = new DataView(new ArrayBuffer(BLOCK_LENGTH));
      view.setUint8(0, MessageType[msg.type]);
      view.setUint32(1, u32(msg.piece));
      view.setUint32(5, u32(msg.offset));
      view.setUint32(9, msg.length);
      return view.buffer;
    }
    case 'data':
      return encodeData(msg.piece, msg.offset, msg.data);
  }
}

// A `data` message with the block copied once, straight into the message buffer.
export function encodeData(piece: PieceIndex, offset: number, bytes: Uint8Array): ArrayBuffer {
  if (bytes.length < 1 || bytes.length > BLOCK_SIZE)
    throw new RangeError(`block length ${bytes.length} outside 1..${BLOCK_SIZE}`);
  const out = new Uint8Array(DATA_HEADER + bytes.length);
  const view = new DataView(out.buffer);
  out[0] = MessageType.data;
  view.setUint32(1, u32(piece));
  view.setUint32(5, u32(offset));
  out.set(bytes, DATA_HEADER);
  return out.buffer;
}

function u32(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`${n} does not fit in 32 bits`);
  return n;
}

function resourceBytes(id: ShareId): Uint8Array {
  return fromHex(shareId(id)); // checked again: the brand can be cast away
}

// --- decoding ---

// Reads one DataChannel message. Throws WireError on an unknown type, a wrong length (truncated
// or trailing bytes), a handshake of another version or piece count, a bad bitfield, a piece
// index outside the share, a block length of 0 or above BLOCK_SIZE, or a block outside its piece.
export function decode(buf: ArrayBuffer, limits: WireLimits): WireMessage {
  const bytes = new Uint8Array(buf);
  if (bytes.length === 0) throw new WireError('empty message');
  const view = new DataView(buf);
  const type = bytes[0];
  switch (type) {
    case MessageType.handshake: {
      expectAtLeast(bytes.length, HANDSHAKE_HEADER, 'handshake');
      if (bytes[1] !== WIRE_VERSION) throw new WireError(`handshake of wire version ${bytes[1]}, not ${WIRE_VERSION}`);
      const count = view.getUint32(2 + HASH_BYTES);
      if (count !== limits.pieceCount)
        throw new WireError(`handshake for ${count} pieces, the share has ${limits.pieceCount}`);
      const have = bytes.length - HANDSHAKE_HEADER;
      const need = Bitfield.byteLength(count);
      if (have !== need) throw new WireError(`handshake bitfield is ${have} bytes, ${count} pieces need ${need}`);
      const resource = shareId(toHex(bytes.subarray(2, 2 + HASH_BYTES)));
      const bitfield = Bitfield.fromBytes(count, bytes.subarray(HANDSHAKE_HEADER));
      return { type: 'handshake', resource, bitfield };
    }
    case MessageType.have: {
      expectExactly(bytes.length, HAVE_LENGTH, 'have');
      return { type: 'have', piece: piece(view, limits) };
    }
    case MessageType.request:
    case MessageType.cancel:
    case MessageType.reject: {
      const name = type === MessageType.request ? 'request' : type === MessageType.cancel ? 'cancel' : 'reject';
      expectExactly(bytes.length, BLOCK_LENGTH, name);
      const p = piece(view, limits);
      const offset = view.getUint32(5);
      const length = view.getUint32(9);
      checkBlock(p, offset, length, limits);
      return { type: name, piece: p, offset, length };
    }
    case MessageType.data: {
      expectAtLeast(bytes.length, DATA_HEADER, 'data');
      const p = piece(view, limits);
      const offset = view.getUint32(5);
      const data = new Uint8Array(buf, DATA_HEADER);
      checkBlock(p, offset, data.length, limits);
      return { type: 'data', piece: p, offset, data };
    }
    default:
      throw new WireError(`unknown message type ${type}`);
  }
}

function expectExactly(actual: number, expected: number, name: string): void {
  if (actual < expected) throw new WireError(`truncated ${name}: ${actual} of ${expected} bytes`);
  if (actual > expected) throw new WireError(`${name} has ${actual - expected} trailing bytes`);
}

function expectAtLeast(actual: number, expected: number, name: string): void {
  if (actual < expected) throw new WireError(`truncated ${name}: ${actual} of at least ${expected} bytes`);
}

function piece(view: DataView, limits: WireLimits): PieceIndex {
  const p = view.getUint32(1);
  if (p >= limits.pieceCount) throw new WireError(`piece ${p} outside a share of ${limits.pieceCount} pieces`);
  return knownPieceIndex(p);
}

function checkBlock(piece: PieceIndex, offset: number, length: number, limits: WireLimits): void {
  if (length < 1 || length > BLOCK_SIZE) throw new WireError(`block length ${length} outside 1..${BLOCK_SIZE}`);
  if (limits.pieceLength !== undefined && offset + length > limits.pieceLength(piece))
    throw new WireError(`block ${offset}+${length} outside piece ${piece}`);
}
