// The download scheduler (docs/protocol.md §5.3): which blocks to request from which peer. It
// tracks what every connected peer has (availability), which pieces are in flight at which peer,
// every outstanding request, and which peer may no longer be asked for which piece. No I/O: the
// caller sends the requests and cancels it returns and reports what arrives.
//
// The model:
// - A piece is assigned whole to one peer, and all its blocks are requested from that peer, so a
//   piece that fails verification has exactly one culprit. One peer's download of one piece is a
//   "copy"; the caller buffers blocks per (peer, piece) and verifies a copy when onBlock says it is
//   done.
// - Blocks are blockSize bytes except the last of a piece; a copy's blocks are requested in order,
//   as the peer's window allows.
// - Outside endgame a piece is in flight at one peer at most. Endgame starts when every missing
//   piece that some connected peer has is in flight: a peer with free window then fetches a copy of
//   a piece in flight elsewhere (fewest copies first); the first copy that verifies wins and
//   pieceVerified returns the other copies' requests to cancel.
// - A request we cancelled (or released) may still be answered: such data is "stale", accepted
//   silently and dropped. Data nobody requested is a wire violation (WireError).
// - Calls about a peer that is not (or no longer) connected are ignored: its messages can still be
//   queued after removePeer.

import { Bitfield } from './bitfield';
import { BLOCK_SIZE, IN_ORDER_FIRST_PIECES } from './constants';
import { WireError } from './errors';
import { knownPieceIndex, type PeerId, type PieceIndex } from './ids';
import { invariant } from './invariant';
import { pieceCountFor } from './metadata';

export interface BlockRequest {
  readonly piece: PieceIndex;
  readonly offset: number;
  readonly length: number;
}

// Requests to cancel at one peer.
export interface Cancellation {
  readonly peer: PeerId;
  readonly requests: BlockRequest[];
}

export interface BlockResult {
  // false: the block answers a request we cancelled; drop it.
  readonly accepted: boolean;
  // Every block of this peer's copy of the piece has arrived: verify it.
  readonly pieceDone: boolean;
}

export interface Outstanding {
  readonly requests: BlockRequest[];
  readonly bytes: number;
  // When the peer last made progress while it had requests outstanding (the time of its last
  // accepted block, or of the request that started the wait); null when nothing is outstanding.
  // The caller drops a peer whose `since` is too old (a stall) with removePeer.
  readonly since: number | null;
}

export interface PickerOptions {
  readonly pieceCount: number;
  readonly pieceSize: number;
  readonly totalSize: number;
  // Pieces already verified and stored (copied: the picker keeps its own).
  readonly have: Bitfield;
  readonly blockSize?: number;
  // Pieces 0..inOrderFirst-1 are picked in index order before rarest-first starts.
  readonly inOrderFirst?: number;
  // Breaks ties between equally rare pieces; a value in [0, 1).
  readonly rng?: () => number;
  // Milliseconds, for Outstanding.since.
  readonly now?: () => number;
}

// One peer's download of one piece.
interface Copy {
  readonly piece: PieceIndex;
  readonly peer: PeerId;
  nextOffset: number; // first byte not yet requested
  readonly pending: Set<number>; // offsets of blocks requested and not yet received, in request order
  received: number; // bytes received
}

interface PeerState {
  readonly bitfield: Bitfield; // our copy: `have` sets bits, a reject clears one
  readonly blockSize: number; // blocks requested from this peer (its channel's message size)
  readonly copies: Map<number, Copy>; // by piece, in assignment order
  bytes: number; // requested and not yet received
  since: number | null;
  readonly cancelled: Map<string, number>; // blockKey -> length of requests we cancelled
}

// What a piece is to us. Kept in a typed array so the per-assignment scan over every piece is cheap.
const FREE = 0; // missing and nobody is fetching it
const BUSY = 1; // missing, in flight at one peer or more
const HAD = 2; // verified and stored

function blockKey(piece: PieceIndex, offset: number): string {
  return `${piece}:${offset}`;
}

// The missing pieces ordered by availability, rarest first (libtorrent's piece_picker keeps the
// same layout): `order` holds them grouped in buckets, bucket a (the pieces a connected peers
// have) spanning order[starts[a]] .. order[starts[a + 1] - 1]. A change of availability by one
// moves a piece to the neighbouring bucket with one swap, so picking the rarest piece does not
// need a scan of the whole share (which, repeated for each of up to 32768 pieces, would be
// quadratic).
class RarityOrder {
  private readonly order: Int32Array;
  private readonly pos: Int32Array; // piece -> its index in order; -1 when not missing
  private readonly starts: number[]; // starts[top + 1] is the number of missing pieces

  constructor(pieceCount: number, missing: (piece: number) => boolean) {
    this.order = new Int32Array(pieceCount);
    this.pos = new Int32Array(pieceCount).fill(-1);
    let size = 0;
    for (let i = 0; i < pieceCount; i++)
      if (missing(i)) {
        this.order[size] = i;
        this.pos[i] = size++;
      }
    this.starts = [0, size]; // every missing piece in bucket 0 until peers arrive
  }

  // A missing piece's availability goes from `a` to a + 1: it becomes the first of bucket a + 1.
  increment(piece: PieceIndex, a: number): void {
    if (this.pos[piece] < 0) return;
    if (a + 2 === this.starts.length) this.starts.push(this.starts[a + 1]); // open an empty top bucket
    this.swap(piece, this.starts[a + 1] - 1);
    this.starts[a + 1] -= 1;
  }

  // From `a` to a - 1: it becomes the last of bucket a - 1.
  decrement(piece: PieceIndex, a: number): void {
    if (this.pos[piece] < 0) return;
    this.swap(piece, this.starts[a]);
    this.starts[a] += 1;
  }

  // The piece (availability `a`) is had: it bubbles past the end of every higher bucket and out.
  remove(piece: PieceIndex, a: number): void {
    if (this.pos[piece] < 0) return;
    for (let b = a; b + 1 < this.starts.length; b++) {
      this.swap(piece, this.starts[b + 1] - 1);
      this.starts[b + 1] -= 1;
    }
    this.pos[piece] = -1;
  }

  // The first piece, rarest bucket first, that `eligible` accepts; each bucket is searched from a
  // random place (so equally rare pieces are picked at random), skipping the unavailable bucket 0.
  pick(eligible: (piece: PieceIndex) => boolean, rng: () => number): PieceIndex | -1 {
    for (let a = 1; a + 1 < this.starts.length; a++) {
      const start = this.starts[a];
      const length = this.starts[a + 1] - start;
      if (length === 0) continue;
      const from = Math.min(Math.floor(rng() * length), length - 1);
      for (let k = 0; k < length; k++) {
        const piece = knownPieceIndex(this.order[start + ((from + k) % length)]);
        if (eligible(piece)) return piece;
      }
    }
    return -1;
  }

  private swap(piece: PieceIndex, index: number): void {
    const other = this.order[index];
    const at = this.pos[piece];
    this.order[at] = other;
    this.pos[other] = at;
    this.order[index] = piece;
    this.pos[piece] = index;
  }
}

export class PiecePicker {
  readonly pieceCount: number;
  readonly pieceSize: number;
  readonly totalSize: number;
  readonly blockSize: number;
  private readonly inOrderFirst: number;
  private readonly rng: () => number;
  private readonly now: () => number;
  private readonly have: Bitfield;
  private readonly state: Uint8Array; // per piece: FREE, BUSY or HAD
  private readonly available: Uint32Array; // per piece: connected peers that have it
  private readonly rarity: RarityOrder;
  // FREE pieces that some connected peer has; endgame is when there are none.
  private open = 0;
  private readonly peers = new Map<PeerId, PeerState>();
  private readonly inFlight = new Map<PieceIndex, Map<PeerId, Copy>>(); // piece -> copies by peer
  // Peers that sent a piece that failed verification, and those pieces. Kept after removePeer:
  // the peer must never be given that piece again.
  private readonly failed = new Map<PeerId, Set<PieceIndex>>();

  constructor(options: PickerOptions) {
    const { pieceCount, pieceSize, totalSize, have } = options;
    if (!Number.isSafeInteger(pieceSize) || pieceSize < 1) throw new RangeError(`invalid piece size ${pieceSize}`);
    if (!Number.isSafeInteger(totalSize) || totalSize < 0) throw new RangeError(`invalid total size ${totalSize}`);
    if (pieceCount !== pieceCountFor(totalSize, pieceSize))
      throw new RangeError(`${pieceCount} pieces do not cover ${totalSize} bytes in pieces of ${pieceSize}`);
    if (have.size !== pieceCount) throw new RangeError(`have bitfield of ${have.size} pieces, share has ${pieceCount}`);
    const blockSize = options.blockSize ?? BLOCK_SIZE;
    if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new RangeError(`invalid block size ${blockSize}`);
    this.pieceCount = pieceCount;
    this.pieceSize = pieceSize;
    this.totalSize = totalSize;
    this.blockSize = blockSize;
    this.inOrderFirst = Math.min(options.inOrderFirst ?? IN_ORDER_FIRST_PIECES, pieceCount);
    this.rng = options.rng ?? Math.random;
    this.now = options.now ?? (() => Date.now());
    this.have = have.clone();
    this.state = new Uint8Array(pieceCount);
    for (let i = 0; i < pieceCount; i++) if (have.has(knownPieceIndex(i))) this.state[i] = HAD;
    this.available = new Uint32Array(pieceCount);
    this.rarity = new RarityOrder(pieceCount, (i) => this.state[i] !== HAD);
  }

  // --- peers ---

  // A peer's handshake arrived with its bitfield (copied).
  // `blockSize` (default: the picker's) sizes the blocks requested from this peer.
  addPeer(peer: PeerId, bitfield: Bitfield, blockSize = this.blockSize): void {
    if (this.peers.has(peer)) throw new Error(`peer ${peer} added twice`);
    if (bitfield.size !== this.pieceCount)
      throw new RangeError(`bitfield of ${bitfield.size} pieces, share has ${this.pieceCount}`);
    if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new RangeError(`invalid block size ${blockSize}`);
    const state: PeerState = {
      bitfield: bitfield.clone(),
      blockSize,
      copies: new Map(),
      bytes: 0,
      since: null,
      cancelled: new Map(),
    };
    this.peers.set(peer, state);
    for (let i = 0; i < this.pieceCount; i++) if (state.bitfield.has(knownPieceIndex(i))) this.changeAvailability(knownPieceIndex(i), 1);
    invariant(() => this.availabilityMatches(), 'availability counts match the bitfields of the peers');
  }

  // A peer's `have`.
  peerHas(peer: PeerId, piece: PieceIndex): void {
    const state = this.peers.get(peer);
    if (!state || state.bitfield.has(piece)) return;
    state.bitfield.set(piece);
    this.changeAvailability(piece, 1);
    invariant(() => this.availabilityMatchesAt(piece), 'the availability of a piece counts the peers that have it');
  }

  // A peer disconnected (or was dropped): the pieces it was fetching go back to the others. Its
  // outstanding requests are forgotten; there is no one left to cancel them at.
  removePeer(peer: PeerId): void {
    const state = this.peers.get(peer);
    if (!state) return;
    for (const copy of [...state.copies.values()]) this.release(state, copy);
    for (let i = 0; i < this.pieceCount; i++) if (state.bitfield.has(knownPieceIndex(i))) this.changeAvailability(knownPieceIndex(i), -1);
    this.peers.delete(peer);
    invariant(() => this.availabilityMatches(), 'availability counts match the bitfields of the peers');
  }

  // Whether the peer has a piece we still need and may fetch from it (worth staying connected to).
  interesting(peer: PeerId): boolean {
    const state = this.peers.get(peer);
    if (!state) return false;
    for (let n = 0; n < this.pieceCount; n++) {
      const i = knownPieceIndex(n);
      if (!this.have.has(i) && state.bitfield.has(i) && !this.failedAt(peer, i)) return true;
    }
    return false;
  }

  // --- requesting ---

  // Requests that top the peer up to `windowBytes` requested-not-received bytes (a request is made
  // only when it fits; a window smaller than a block requests nothing). Order: the rest of the
  // pieces already assigned to this peer; then new pieces it has that nobody is fetching (missing
  // pieces among the first `inOrderFirst` in index order, then the rarest, ties broken by rng);
  // then, in endgame, copies of pieces in flight at other peers (fewest copies first).
  next(peer: PeerId, windowBytes: number): BlockRequest[] {
    const state = this.peers.get(peer);
    const out: BlockRequest[] = [];
    if (!state) return out;
    this.topUp(peer, state, windowBytes, out);
    invariant(() => this.bytesMatch(state), 'the outstanding bytes of a peer are the sum of its outstanding requests');
    return out;
  }

  private topUp(peer: PeerId, state: PeerState, windowBytes: number, out: BlockRequest[]): void {
    for (const copy of state.copies.values()) if (!this.fill(state, copy, windowBytes, out)) return;
    for (;;) {
      let piece = this.pickFresh(peer, state);
      if (piece === -1) piece = this.pickEndgame(peer, state);
      if (piece === -1 || state.bytes + this.blockLength(state, piece, 0) > windowBytes) return;
      if (!this.fill(state, this.assign(peer, state, piece), windowBytes, out)) return;
    }
  }

  // Whether endgame has started: every missing piece that a connected peer has is in flight.
  endgame(): boolean {
    return this.open === 0;
  }

  // --- what arrives ---

  // A `data` message of `length` bytes. Throws WireError when the peer was never asked for this
  // block (or sent a different length): the caller drops the peer.
  onBlock(peer: PeerId, piece: PieceIndex, offset: number, length: number): BlockResult {
    const state = this.peers.get(peer);
    if (!state) return { accepted: false, pieceDone: false };
    const copy = state.copies.get(piece);
    if (copy && copy.pending.has(offset)) {
      const expected = this.blockLength(state, piece, offset);
      if (length !== expected)
        throw new WireError(`block ${piece}:${offset} is ${length} bytes, ${expected} were requested`);
      copy.pending.delete(offset);
      copy.received += length;
      state.bytes -= length;
      state.since = state.bytes > 0 ? this.now() : null;
      invariant(() => this.bytesMatch(state), 'the outstanding bytes of a peer are the sum of its outstanding requests');
      return { accepted: true, pieceDone: copy.received === this.pieceLength(piece) };
    }
    const key = blockKey(piece, offset);
    if (state.cancelled.get(key) === length) {
      state.cancelled.delete(key);
      return { accepted: false, pieceDone: false };
    }
    throw new WireError(`unrequested block ${piece}:${offset}+${length}`);
  }

  // The peer sent `reject`: it will not serve this block, so it cannot complete the piece. The
  // piece is released for other peers and this peer is treated as not having it (until it sends
  // `have` for it). Returns the peer's other requests of that piece, which the caller cancels. A
  // reject of a request that is not outstanding (already cancelled) is ignored.
  requestRejected(peer: PeerId, req: BlockRequest): BlockRequest[] {
    const state = this.peers.get(peer);
    if (!state) return [];
    const copy = state.copies.get(req.piece);
    if (!copy || !copy.pending.has(req.offset) || this.blockLength(state, req.piece, req.offset) !== req.length) {
      state.cancelled.delete(blockKey(req.piece, req.offset));
      return [];
    }
    copy.pending.delete(req.offset);
    state.bytes -= req.length;
    const cancels = this.release(state, copy);
    state.bitfield.clear(req.piece);
    this.changeAvailability(req.piece, -1);
    invariant(() => this.bytesMatch(state), 'the outstanding bytes of a peer are the sum of its outstanding requests');
    invariant(() => this.availabilityMatchesAt(req.piece), 'the availability of a piece counts the peers that have it');
    return cancels;
  }

  // A copy of `piece` verified and was stored. Marks it had and returns the requests of the other
  // copies still in flight (endgame duplicates), which the caller cancels; the caller also drops
  // every other partial copy of the piece.
  pieceVerified(piece: PieceIndex): Cancellation[] {
    if (this.have.has(piece)) return [];
    this.have.set(piece);
    this.setState(piece, HAD);
    const out: Cancellation[] = [];
    for (const copy of [...(this.inFlight.get(piece)?.values() ?? [])]) {
      const requests = this.release(this.peers.get(copy.peer)!, copy);
      if (requests.length > 0) out.push({ peer: copy.peer, requests });
    }
    invariant(() => !this.inFlight.has(piece), 'a verified piece is not also in flight');
    return out;
  }

  // The peer's copy of `piece` failed verification: the piece goes back to the other peers, and
  // this peer is never given it again. Returns requests of that copy still outstanding, to cancel
  // (none when the copy was complete).
  pieceFailed(piece: PieceIndex, peer: PeerId): BlockRequest[] {
    this.checkPiece(piece);
    let pieces = this.failed.get(peer);
    if (!pieces) this.failed.set(peer, (pieces = new Set()));
    pieces.add(piece);
    return this.abandonPiece(piece, peer);
  }

  // Drops the peer's copy of `piece` without blaming the peer (say, our storage failed to keep
  // it): the piece is free again, for this peer too. Returns that copy's outstanding requests, to
  // cancel.
  abandonPiece(piece: PieceIndex, peer: PeerId): BlockRequest[] {
    this.checkPiece(piece);
    const state = this.peers.get(peer);
    const copy = state?.copies.get(piece);
    return state && copy ? this.release(state, copy) : [];
  }

  // --- state ---

  // The peer's requested-not-received blocks, and since when it has been waiting (stall detection).
  // Bytes requested from the peer and not yet received (cheap: no list is built).
  outstandingBytes(peer: PeerId): number {
    return this.peers.get(peer)?.bytes ?? 0;
  }

  outstanding(peer: PeerId): Outstanding {
    const state = this.peers.get(peer);
    if (!state) return { requests: [], bytes: 0, since: null };
    const requests: BlockRequest[] = [];
    for (const copy of state.copies.values())
      for (const offset of copy.pending) requests.push(this.request(state, copy.piece, offset));
    return { requests, bytes: state.bytes, since: state.since };
  }

  // Connected peers that have the piece.
  availability(piece: PieceIndex): number {
    this.checkPiece(piece);
    return this.available[piece];
  }

  has(piece: PieceIndex): boolean {
    return this.have.has(piece);
  }

  isComplete(): boolean {
    return this.have.isComplete();
  }

  missingCount(): number {
    return this.pieceCount - this.have.count();
  }

  // --- internals ---

  private checkPiece(piece: PieceIndex): void {
    if (!Number.isInteger(piece) || piece < 0 || piece >= this.pieceCount)
      throw new RangeError(`piece ${piece} outside a share of ${this.pieceCount} pieces`);
  }

  private pieceLength(piece: PieceIndex): number {
    return Math.min(this.pieceSize, this.totalSize - piece * this.pieceSize);
  }

  private blockLength(state: PeerState, piece: PieceIndex, offset: number): number {
    return Math.min(state.blockSize, this.pieceLength(piece) - offset);
  }

  private request(state: PeerState, piece: PieceIndex, offset: number): BlockRequest {
    return { piece, offset, length: this.blockLength(state, piece, offset) };
  }

  private failedAt(peer: PeerId, piece: PieceIndex): boolean {
    return this.failed.get(peer)?.has(piece) ?? false;
  }

  // A FREE piece this peer has and may fetch, or -1: the first `inOrderFirst` pieces in index
  // order, then the rarest.
  private pickFresh(peer: PeerId, state: PeerState): PieceIndex | -1 {
    const failed = this.failed.get(peer);
    const eligible = (i: PieceIndex) => this.state[i] === FREE && state.bitfield.has(i) && !failed?.has(i);
    for (let i = 0; i < this.inOrderFirst; i++) if (eligible(knownPieceIndex(i))) return knownPieceIndex(i);
    return this.rarity.pick(eligible, this.rng);
  }

  // In endgame: a piece in flight at other peers that this peer has, may fetch and is not already
  // fetching, with the fewest copies in flight (then the lowest index), or -1. Pieces with a copy
  // complete and awaiting verification are skipped: that copy will most likely win.
  private pickEndgame(peer: PeerId, state: PeerState): PieceIndex | -1 {
    if (!this.endgame()) return -1;
    let best: PieceIndex | -1 = -1;
    let bestCopies = Infinity;
    for (const [piece, copies] of this.inFlight) {
      if (state.copies.has(piece) || !state.bitfield.has(piece) || this.failedAt(peer, piece)) continue;
      const length = this.pieceLength(piece);
      if ([...copies.values()].some((c) => c.received === length)) continue;
      if (copies.size < bestCopies || (copies.size === bestCopies && piece < best)) {
        best = piece;
        bestCopies = copies.size;
      }
    }
    return best;
  }

  private assign(peer: PeerId, state: PeerState, piece: PieceIndex): Copy {
    invariant(() => this.state[piece] !== HAD && !this.have.has(piece), 'a verified piece is never assigned again');
    const copy: Copy = { piece, peer, nextOffset: 0, pending: new Set(), received: 0 };
    state.copies.set(piece, copy);
    let copies = this.inFlight.get(piece);
    if (!copies) {
      this.inFlight.set(piece, (copies = new Map()));
      this.setState(piece, BUSY);
    }
    copies.set(peer, copy);
    return copy;
  }

  // Requests the copy's next blocks while they fit in the window; false when the window is full.
  private fill(state: PeerState, copy: Copy, windowBytes: number, out: BlockRequest[]): boolean {
    const length = this.pieceLength(copy.piece);
    while (copy.nextOffset < length) {
      const req = this.request(state, copy.piece, copy.nextOffset);
      if (state.bytes + req.length > windowBytes) return false;
      copy.pending.add(req.offset);
      copy.nextOffset += req.length;
      state.bytes += req.length;
      state.since ??= this.now();
      out.push(req);
    }
    return true;
  }

  // Drops a copy: the piece is free for others once no copy is left. Its outstanding requests are
  // remembered as cancelled (their data may still come) and returned for the caller to cancel.
  private release(state: PeerState, copy: Copy): BlockRequest[] {
    const requests: BlockRequest[] = [];
    for (const offset of copy.pending) {
      const req = this.request(state, copy.piece, offset);
      requests.push(req);
      state.cancelled.set(blockKey(req.piece, req.offset), req.length);
      state.bytes -= req.length;
    }
    if (state.bytes === 0) state.since = null;
    state.copies.delete(copy.piece);
    const copies = this.inFlight.get(copy.piece)!;
    copies.delete(copy.peer);
    if (copies.size === 0) {
      this.inFlight.delete(copy.piece);
      if (this.state[copy.piece] === BUSY) this.setState(copy.piece, FREE);
    }
    return requests;
  }

  // Every change of a piece's state or availability goes through these two, keeping `open` and
  // the rarity order exact.
  private setState(piece: PieceIndex, to: number): void {
    const before = this.isOpen(piece);
    if (to === HAD) this.rarity.remove(piece, this.available[piece]);
    this.state[piece] = to;
    this.open += Number(this.isOpen(piece)) - Number(before);
  }

  private changeAvailability(piece: PieceIndex, delta: 1 | -1): void {
    const before = this.isOpen(piece);
    if (delta > 0) this.rarity.increment(piece, this.available[piece]);
    else this.rarity.decrement(piece, this.available[piece]);
    this.available[piece] += delta;
    this.open += Number(this.isOpen(piece)) - Number(before);
  }

  private isOpen(piece: PieceIndex): boolean {
    return this.state[piece] === FREE && this.available[piece] > 0;
  }

  // --- invariants (tests and development builds only; see invariant.ts) ---

  // O(requests outstanding at one peer): at most a window of blocks.
  private bytesMatch(state: PeerState): boolean {
    let sum = 0;
    for (const copy of state.copies.values()) for (const offset of copy.pending) sum += this.blockLength(state, copy.piece, offset);
    return sum === state.bytes && (state.bytes === 0) === (state.since === null);
  }

  // O(peers).
  private availabilityMatchesAt(piece: PieceIndex): boolean {
    let n = 0;
    for (const state of this.peers.values()) if (state.bitfield.has(piece)) n++;
    return n === this.available[piece];
  }

  // O(pieces x peers): only where the caller already spent O(pieces) (a peer came or went).
  private availabilityMatches(): boolean {
    let open = 0;
    for (let i = 0; i < this.pieceCount; i++) {
      if (!this.availabilityMatchesAt(knownPieceIndex(i))) return false;
      if (this.isOpen(knownPieceIndex(i))) open++;
    }
    return open === this.open;
  }
}
