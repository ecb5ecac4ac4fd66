// The identifiers the client passes around, as branded types so that a share id, a peer id and a
// piece index cannot be mixed up with each other or with any string or number: a value gets its
// brand only from a constructor here that checks the server's format (docs/protocol.md §1, §2.1).
// The brands cost nothing at run time.

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

// A share's id: the SHA-256 of its metadata, 64 lowercase hex digits.
export type ShareId = Brand<string, 'ShareId'>;
// A peer's id, assigned by the server to one connection: 32 lowercase hex digits.
export type PeerId = Brand<string, 'PeerId'>;
// A piece of a share: an integer from 0 to the piece count - 1 (at most 2^32 - 1 on the wire).
export type PieceIndex = Brand<number, 'PieceIndex'>;

const SHARE_ID = /^[0-9a-f]{64}$/;
const PEER_ID = /^[0-9a-f]{32}$/;
const MAX_PIECE_INDEX = 0xffffffff;

export function isShareId(text: unknown): text is ShareId {
  return typeof text === 'string' && SHARE_ID.test(text);
}

export function isPeerId(text: unknown): text is PeerId {
  return typeof text === 'string' && PEER_ID.test(text);
}

// Throws RangeError unless `text` is 64 lowercase hex digits.
export function shareId(text: string): ShareId {
  if (!isShareId(text)) throw new RangeError(`${JSON.stringify(text)} is not a share id (64 lowercase hex digits)`);
  return text;
}

// Throws RangeError unless `text` is 32 lowercase hex digits.
export function peerId(text: string): PeerId {
  if (!isPeerId(text)) throw new RangeError(`${JSON.stringify(text)} is not a peer id (32 lowercase hex digits)`);
  return text;
}

// Throws RangeError unless `n` is an integer in 0..count - 1 (0..2^32 - 1 without a count).
export function pieceIndex(n: number, count = MAX_PIECE_INDEX + 1): PieceIndex {
  if (!Number.isInteger(n) || n < 0 || n >= count || n > MAX_PIECE_INDEX)
    throw new RangeError(`piece ${n} outside a share of ${count} pieces`);
  return n as PieceIndex;
}

// For indices the caller has already bounded: a loop over 0..pieceCount - 1, or a typed array that
// holds only valid indices. Checks nothing, so it stays off the cost of the engine's inner loops.
export function knownPieceIndex(n: number): PieceIndex {
  return n as PieceIndex;
}
