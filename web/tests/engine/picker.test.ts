// Covers engine/picker: each test draws a small swarm as bitfield strings (libtorrent style: "1"
// has the piece, "0" does not) and pins down one scheduling behaviour. Pieces are 40 bytes in
// blocks of 10, so a window of 40 holds exactly one piece.
import { describe, expect, it } from 'vitest';
import { Bitfield } from '../../src/engine/bitfield';
import { WireError } from '../../src/engine/errors';
import { InvariantError } from '../../src/engine/invariant';
import { PiecePicker, type BlockRequest, type PickerOptions } from '../../src/engine/picker';
import { pieceAt, testPeerId, testPeerName } from './test-ids';

// The picker with peers named by letters and pieces by plain numbers, so the pictures stay short.
class NamedPicker {
  readonly inner: PiecePicker;
  constructor(options: PickerOptions) {
    this.inner = new PiecePicker(options);
  }
  addPeer(peer: string, bitfield: Bitfield, blockSize?: number) {
    this.inner.addPeer(testPeerId(peer), bitfield, blockSize);
  }
  peerHas(peer: string, piece: number) {
    this.inner.peerHas(testPeerId(peer), pieceAt(piece));
  }
  removePeer(peer: string) {
    this.inner.removePeer(testPeerId(peer));
  }
  interesting(peer: string) {
    return this.inner.interesting(testPeerId(peer));
  }
  next(peer: string, windowBytes: number) {
    return this.inner.next(testPeerId(peer), windowBytes);
  }
  endgame() {
    return this.inner.endgame();
  }
  onBlock(peer: string, piece: number, offset: number, length: number) {
    return this.inner.onBlock(testPeerId(peer), pieceAt(piece), offset, length);
  }
  requestRejected(peer: string, req: { piece: number; offset: number; length: number }) {
    return this.inner.requestRejected(testPeerId(peer), { ...req, piece: pieceAt(req.piece) });
  }
  pieceVerified(piece: number) {
    return this.inner.pieceVerified(pieceAt(piece)).map((c) => ({ peer: testPeerName(c.peer), requests: c.requests }));
  }
  pieceFailed(piece: number, peer: string) {
    return this.inner.pieceFailed(pieceAt(piece), testPeerId(peer));
  }
  abandonPiece(piece: number, peer: string) {
    return this.inner.abandonPiece(pieceAt(piece), testPeerId(peer));
  }
  outstandingBytes(peer: string) {
    return this.inner.outstandingBytes(testPeerId(peer));
  }
  outstanding(peer: string) {
    return this.inner.outstanding(testPeerId(peer));
  }
  availability(piece: number) {
    return this.inner.availability(pieceAt(piece));
  }
  has(piece: number) {
    return this.inner.has(pieceAt(piece));
  }
  isComplete() {
    return this.inner.isComplete();
  }
  missingCount() {
    return this.inner.missingCount();
  }
}

const PIECE = 40;
const BLOCK = 10;
const ONE_PIECE = PIECE;
const LOTS = 1000;

function bits(picture: string): Bitfield {
  const field = new Bitfield(picture.length);
  [...picture].forEach((c, i) => {
    if (c === '1') field.set(pieceAt(i));
    else if (c !== '0') throw new Error(`bad picture ${picture}`);
  });
  return field;
}

interface Picture {
  have: string; // pieces we hold
  peers?: Record<string, string>; // peer -> the pieces it has
  last?: number; // length of the last piece
  inOrderFirst?: number;
  rng?: () => number;
  now?: () => number;
}

function setup({ have, peers = {}, last = PIECE, inOrderFirst = 0, rng = () => 0.99, now }: Picture): NamedPicker {
  const pieceCount = have.length;
  const picker = new NamedPicker({
    pieceCount,
    pieceSize: PIECE,
    totalSize: pieceCount === 0 ? 0 : (pieceCount - 1) * PIECE + last,
    have: bits(have),
    blockSize: BLOCK,
    inOrderFirst,
    rng,
    now,
  });
  for (const [peer, picture] of Object.entries(peers)) picker.addPeer(peer, bits(picture));
  return picker;
}

// The pieces a list of requests touches, in order.
const piecesOf = (reqs: BlockRequest[]) => [...new Set(reqs.map((r) => r.piece))];
// Requests as "piece:offset+length".
const show = (reqs: BlockRequest[]) => reqs.map((r) => `${r.piece}:${r.offset}+${r.length}`);

// Delivers blocks from a peer; returns the pieces whose copy completed.
function deliver(picker: NamedPicker, peer: string, reqs: BlockRequest[]): number[] {
  const done: number[] = [];
  for (const r of reqs) if (picker.onBlock(peer, r.piece, r.offset, r.length).pieceDone) done.push(r.piece);
  return done;
}

describe('PiecePicker: choosing pieces', () => {
  it('picks the rarest piece first', () => {
    const picker = setup({
      have: '0000',
      peers: {
        a: '1111',
        b: '1110',
        c: '1100',
        d: '1000',
      },
    });
    // Availability 4 3 2 1: a, which has everything, is given the rarest pieces first.
    expect(piecesOf(picker.next('a', ONE_PIECE))).toEqual([3]);
    expect(piecesOf(picker.next('a', 2 * ONE_PIECE))).toEqual([2]);
    expect(piecesOf(picker.next('a', 4 * ONE_PIECE))).toEqual([1, 0]);
  });

  it('breaks ties between equally rare pieces with the rng', () => {
    const peers = { a: '1111', b: '0110' }; // availability 1 2 2 1
    const picks = [0, 0.25, 0.5, 0.99].map((r) => piecesOf(setup({ have: '0000', peers, rng: () => r }).next('a', ONE_PIECE)));
    expect(new Set(picks.flat())).toEqual(new Set([0, 3]));
  });

  it('keeps picking the rarest piece as peers come, announce and go (randomized)', () => {
    // A seeded generator, so a failure replays.
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const n = 64;
    const picker = new NamedPicker({
      pieceCount: n,
      pieceSize: PIECE,
      totalSize: n * PIECE,
      have: new Bitfield(n),
      blockSize: BLOCK,
      inOrderFirst: 0,
      rng: random,
    });
    const fields = new Map<string, Bitfield>();
    let nextId = 0;
    for (let step = 0; step < 3000 && !picker.isComplete(); step++) {
      const ids = [...fields.keys()];
      const roll = random();
      if (roll < 0.15 || ids.length === 0) {
        const field = new Bitfield(n);
        for (let i = 0; i < n; i++) if (random() < 0.3) field.set(pieceAt(i));
        const id = `p${nextId++}`;
        fields.set(id, field);
        picker.addPeer(id, field);
      } else if (roll < 0.25) {
        const id = ids[Math.floor(random() * ids.length)]!;
        fields.delete(id);
        picker.removePeer(id);
      } else if (roll < 0.5) {
        const id = ids[Math.floor(random() * ids.length)]!;
        const piece = Math.floor(random() * n);
        fields.get(id)!.set(pieceAt(piece));
        picker.peerHas(id, piece);
      } else {
        const id = ids[Math.floor(random() * ids.length)]!;
        const field = fields.get(id)!;
        // The rarest availability among pieces nobody fetches that this peer can give.
        const inFlight = new Set<number>();
        for (const other of ids) for (const r of picker.outstanding(other).requests) inFlight.add(r.piece);
        let rarest = Infinity;
        for (let i = 0; i < n; i++) {
          const count = [...fields.values()].filter((f) => f.has(pieceAt(i))).length;
          expect(picker.availability(i)).toBe(count);
          if (!picker.has(i) && !inFlight.has(i) && field.has(pieceAt(i))) rarest = Math.min(rarest, count);
        }
        const reqs = picker.next(id, ONE_PIECE);
        if (rarest === Infinity) expect(reqs.length === 0 || picker.endgame()).toBe(true);
        else expect(picker.availability(reqs[0]!.piece)).toBe(rarest);
        // The piece arrives and verifies at once, so in-flight pieces are only this step's.
        for (const piece of piecesOf(reqs)) {
          deliver(picker, id, reqs.filter((r) => r.piece === piece));
          for (const c of picker.pieceVerified(piece)) for (const r of c.requests) picker.onBlock(c.peer, r.piece, r.offset, r.length);
        }
      }
    }
    expect(picker.missingCount()).toBeLessThan(n);
  });

  it('fetches the first pieces in index order before going rarest-first', () => {
    const picker = setup({
      have: '000000',
      inOrderFirst: 2,
      peers: {
        a: '111111',
        b: '111110',
        c: '111100',
      },
    });
    // Pieces 0 and 1 are the most common, but a preview needs them first.
    expect(piecesOf(picker.next('a', 4 * ONE_PIECE))).toEqual([0, 1, 5, 4]);
  });

  it('in-order pieces skip what we have and what the peer lacks', () => {
    const picker = setup({
      have: '100000',
      inOrderFirst: 3,
      peers: {
        a: '101111',
        b: '111111',
      },
    });
    // Piece 0 is had; a lacks piece 1, so it starts at 2 and leaves 1 to b.
    expect(piecesOf(picker.next('a', ONE_PIECE))).toEqual([2]);
    expect(piecesOf(picker.next('b', ONE_PIECE))).toEqual([1]);
  });

  it('never puts two peers on one piece outside endgame', () => {
    const picker = setup({
      have: '00000000',
      peers: {
        a: '11111111',
        b: '11111111',
        c: '11111111',
      },
    });
    const a = piecesOf(picker.next('a', 2 * ONE_PIECE));
    const b = piecesOf(picker.next('b', 2 * ONE_PIECE));
    const c = piecesOf(picker.next('c', 2 * ONE_PIECE));
    expect(picker.endgame()).toBe(false);
    const a2 = piecesOf(picker.next('a', 4 * ONE_PIECE));
    const all = [...a, ...b, ...c, ...a2];
    expect(all.length).toBe(8);
    expect(new Set(all).size).toBe(8);
    expect(picker.endgame()).toBe(true);
  });

  it('gives a peer without needed pieces nothing', () => {
    const picker = setup({
      have: '1100',
      peers: {
        a: '1100',
        b: '0000',
        c: '0011',
      },
    });
    expect(picker.next('a', LOTS)).toEqual([]);
    expect(picker.next('b', LOTS)).toEqual([]);
    expect(picker.interesting('a')).toBe(false);
    expect(picker.interesting('c')).toBe(true);
    expect(picker.next('unknown', LOTS)).toEqual([]);
  });

  it('gives a peer a piece once it announces it with have', () => {
    const picker = setup({ have: '00', peers: { a: '00' } });
    expect(picker.next('a', LOTS)).toEqual([]);
    picker.peerHas('a', 1);
    expect(picker.availability(1)).toBe(1);
    expect(piecesOf(picker.next('a', LOTS))).toEqual([1]);
  });
});

describe('PiecePicker: requests and the window', () => {
  it('respects the window and cuts exact blocks, the last piece short', () => {
    const picker = setup({ have: '000', last: 25, inOrderFirst: 3, peers: { a: '111' } });
    // Three blocks fit in 35 bytes, a fourth would not.
    const first = picker.next('a', 35);
    expect(show(first)).toEqual(['0:0+10', '0:10+10', '0:20+10']);
    expect(picker.next('a', 35)).toEqual([]);
    // One block arrives: the rest of piece 0 comes before any new piece.
    deliver(picker, 'a', first.slice(0, 1));
    expect(show(picker.next('a', 35))).toEqual(['0:30+10']);
    // With room for everything: piece 1 whole, then piece 2 (25 bytes) ending in a 5-byte block.
    expect(show(picker.next('a', LOTS))).toEqual([
      '1:0+10',
      '1:10+10',
      '1:20+10',
      '1:30+10',
      '2:0+10',
      '2:10+10',
      '2:20+5',
    ]);
    expect(picker.outstanding('a').bytes).toBe(30 + 40 + 25);
  });

  it('lets a short last block fit where a full block would not', () => {
    const picker = setup({ have: '00', last: 15, inOrderFirst: 2, peers: { a: '01' } });
    expect(show(picker.next('a', 15))).toEqual(['1:0+10', '1:10+5']);
  });

  it('requests nothing when the window is smaller than a block', () => {
    const picker = setup({ have: '0', peers: { a: '1' } });
    expect(picker.next('a', BLOCK - 1)).toEqual([]);
  });

  it('reports a piece done when its last block arrives, in any order', () => {
    const picker = setup({ have: '00', peers: { a: '11' } });
    const reqs = picker.next('a', ONE_PIECE);
    expect(deliver(picker, 'a', [...reqs].reverse())).toEqual([reqs[0]!.piece]);
  });

  it('treats unrequested data as a wire violation', () => {
    const picker = setup({ have: '00', peers: { a: '11' } });
    expect(() => picker.onBlock('a', 0, 0, BLOCK)).toThrow(WireError);
    const [req] = picker.next('a', BLOCK);
    expect(() => picker.onBlock('a', req!.piece, req!.offset + 1, BLOCK)).toThrow(/unrequested/);
    expect(() => picker.onBlock('a', req!.piece, req!.offset, BLOCK - 1)).toThrow(/were requested/);
    expect(picker.onBlock('a', req!.piece, req!.offset, BLOCK)).toEqual({ accepted: true, pieceDone: false });
    // The same block twice is unrequested the second time.
    expect(() => picker.onBlock('a', req!.piece, req!.offset, BLOCK)).toThrow(WireError);
  });

  it('reports outstanding requests and since when the peer has been waiting', () => {
    let clock = 1000;
    const picker = setup({ have: '0', peers: { a: '1' }, now: () => clock });
    expect(picker.outstanding('a')).toEqual({ requests: [], bytes: 0, since: null });
    const reqs = picker.next('a', 2 * BLOCK);
    expect(picker.outstanding('a')).toEqual({ requests: reqs, bytes: 20, since: 1000 });
    clock = 1500;
    picker.next('a', 2 * BLOCK); // nothing new: the wait still started at 1000
    expect(picker.outstanding('a').since).toBe(1000);
    deliver(picker, 'a', reqs.slice(0, 1)); // progress
    expect(picker.outstanding('a')).toEqual({ requests: reqs.slice(1), bytes: 10, since: 1500 });
    clock = 2000;
    deliver(picker, 'a', reqs.slice(1));
    expect(picker.outstanding('a')).toEqual({ requests: [], bytes: 0, since: null });
  });
});

describe('PiecePicker: losing peers and pieces', () => {
  it("reassigns a removed peer's pieces to the other peers", () => {
    const picker = setup({
      have: '0000',
      inOrderFirst: 4,
      peers: {
        a: '1111',
        b: '1111',
      },
    });
    const a = picker.next('a', 2 * ONE_PIECE);
    expect(piecesOf(a)).toEqual([0, 1]);
    expect(piecesOf(picker.next('b', 2 * ONE_PIECE))).toEqual([2, 3]);
    deliver(picker, 'a', a.slice(0, 2)); // half of piece 0 arrived; the copy is lost with a
    picker.removePeer('a');
    expect(picker.availability(0)).toBe(1);
    expect(piecesOf(picker.next('b', 4 * ONE_PIECE))).toEqual([0, 1]);
    expect(show(picker.outstanding('b').requests).filter((r) => r.startsWith('0:'))).toEqual([
      '0:0+10',
      '0:10+10',
      '0:20+10',
      '0:30+10',
    ]);
    // Messages still queued from a are ignored.
    expect(picker.onBlock('a', 0, 20, BLOCK)).toEqual({ accepted: false, pieceDone: false });
  });

  it('never gives a peer again a piece that failed verification from it', () => {
    const picker = setup({
      have: '00',
      inOrderFirst: 2,
      peers: {
        a: '11',
        b: '01',
      },
    });
    const reqs = picker.next('a', ONE_PIECE);
    expect(deliver(picker, 'a', reqs)).toEqual([0]);
    expect(picker.pieceFailed(0, 'a')).toEqual([]);
    // Not to a, not even in endgame, and not after a reconnects under the same id.
    const one = picker.next('a', LOTS);
    expect(piecesOf(one)).toEqual([1]);
    deliver(picker, 'a', one);
    picker.pieceVerified(1);
    picker.removePeer('a');
    picker.addPeer('a', bits('11'));
    expect(picker.next('a', LOTS)).toEqual([]);
    expect(picker.interesting('a')).toBe(false);
    // The piece is free for others.
    picker.peerHas('b', 0);
    expect(piecesOf(picker.next('b', ONE_PIECE))).toEqual([0]);
  });

  it('an abandoned piece is free again, for the same peer too', () => {
    const picker = setup({ have: '0', peers: { a: '1' } });
    const reqs = picker.next('a', ONE_PIECE);
    deliver(picker, 'a', reqs.slice(0, 3));
    expect(show(picker.abandonPiece(0, 'a'))).toEqual(['0:30+10']);
    expect(picker.outstanding('a').bytes).toBe(0);
    expect(show(picker.next('a', ONE_PIECE))).toEqual(['0:0+10', '0:10+10', '0:20+10', '0:30+10']);
  });

  it('a rejected request releases the piece to other peers', () => {
    const picker = setup({
      have: '00',
      inOrderFirst: 2,
      peers: {
        a: '11',
        b: '11',
      },
    });
    const reqs = picker.next('a', ONE_PIECE);
    expect(piecesOf(reqs)).toEqual([0]);
    deliver(picker, 'a', reqs.slice(0, 1));
    // a will not send block 10: its other request of piece 0 is to be cancelled.
    expect(show(picker.requestRejected('a', reqs[1]!))).toEqual(['0:20+10', '0:30+10']);
    expect(picker.outstanding('a').bytes).toBe(0);
    expect(picker.availability(0)).toBe(1);
    // a is not asked for piece 0 again; b gets it.
    expect(piecesOf(picker.next('a', ONE_PIECE))).toEqual([1]);
    expect(piecesOf(picker.next('b', ONE_PIECE))).toEqual([0]);
    // a block of the released piece that was already on its way is dropped, not a violation.
    expect(picker.onBlock('a', 0, 20, BLOCK)).toEqual({ accepted: false, pieceDone: false });
    // Rejecting what is no longer outstanding changes nothing.
    expect(picker.requestRejected('a', reqs[3]!)).toEqual([]);
    expect(picker.requestRejected('a', reqs[1]!)).toEqual([]);
  });

  it('a peer that announces a rejected piece again may be asked for it again', () => {
    const picker = setup({ have: '0', peers: { a: '1' } });
    const [req] = picker.next('a', BLOCK);
    picker.requestRejected('a', req!);
    expect(picker.next('a', LOTS)).toEqual([]);
    picker.peerHas('a', 0);
    expect(piecesOf(picker.next('a', LOTS))).toEqual([0]);
  });
});

describe('PiecePicker: endgame', () => {
  it('waits for every available missing piece to be in flight', () => {
    const picker = setup({
      have: '000',
      inOrderFirst: 3,
      peers: {
        a: '111',
        b: '110',
      },
    });
    expect(piecesOf(picker.next('a', 2 * ONE_PIECE))).toEqual([0, 1]);
    // Piece 2 is missing, nobody fetches it, and a has it: not endgame, so b gets nothing.
    expect(picker.next('b', LOTS)).toEqual([]);
    expect(piecesOf(picker.next('a', 3 * ONE_PIECE))).toEqual([2]);
    expect(picker.endgame()).toBe(true);
    expect(piecesOf(picker.next('b', ONE_PIECE))).toEqual([0]);
  });

  it('duplicates the piece with the fewest copies in flight, requesting all its blocks again', () => {
    const picker = setup({
      have: '00',
      inOrderFirst: 2,
      peers: {
        a: '11',
        b: '11',
        c: '11',
        d: '11',
      },
    });
    const a = picker.next('a', ONE_PIECE); // piece 0
    deliver(picker, 'a', a.slice(0, 3)); // a copy's progress does not help another copy
    expect(piecesOf(picker.next('b', ONE_PIECE))).toEqual([1]);
    // Both pieces have one copy: the lower index first.
    expect(show(picker.next('c', ONE_PIECE))).toEqual(['0:0+10', '0:10+10', '0:20+10', '0:30+10']);
    // Piece 0 now has two copies, piece 1 one.
    expect(piecesOf(picker.next('d', ONE_PIECE))).toEqual([1]);
    // A peer fetches each piece once at most.
    expect(piecesOf(picker.next('c', LOTS))).toEqual([1]);
    expect(picker.next('c', LOTS)).toEqual([]);
  });

  it('cancels the other copies when one verifies', () => {
    const picker = setup({
      have: '0',
      peers: {
        a: '1',
        b: '1',
        c: '1',
      },
    });
    const a = picker.next('a', ONE_PIECE);
    const b = picker.next('b', ONE_PIECE);
    const c = picker.next('c', ONE_PIECE);
    deliver(picker, 'b', b.slice(0, 2));
    expect(deliver(picker, 'a', a)).toEqual([0]);
    const cancels = picker.pieceVerified(0);
    expect(cancels.map((x) => [x.peer, show(x.requests)])).toEqual([
      ['b', ['0:20+10', '0:30+10']],
      ['c', ['0:0+10', '0:10+10', '0:20+10', '0:30+10']],
    ]);
    expect(picker.has(0)).toBe(true);
    expect(picker.isComplete()).toBe(true);
    expect(picker.outstanding('c')).toEqual({ requests: [], bytes: 0, since: null });
    // A cancelled block that crossed the cancel is dropped, once; after that it is unrequested.
    expect(picker.onBlock('c', c[0]!.piece, c[0]!.offset, c[0]!.length)).toEqual({ accepted: false, pieceDone: false });
    expect(() => picker.onBlock('c', c[0]!.piece, c[0]!.offset, c[0]!.length)).toThrow(WireError);
    // Verifying again changes nothing.
    expect(picker.pieceVerified(0)).toEqual([]);
  });

  it('does not duplicate a piece whose copy is complete and awaiting verification', () => {
    const picker = setup({
      have: '00',
      inOrderFirst: 2,
      peers: {
        a: '11',
        b: '11',
        c: '11',
      },
    });
    deliver(picker, 'a', picker.next('a', ONE_PIECE)); // piece 0 complete, being hashed
    expect(piecesOf(picker.next('b', ONE_PIECE))).toEqual([1]);
    expect(piecesOf(picker.next('c', LOTS))).toEqual([1]);
    // If it fails, it is fetched again from someone else.
    picker.pieceFailed(0, 'a');
    expect(piecesOf(picker.next('c', LOTS))).toEqual([0]);
  });
});

describe('PiecePicker: bookkeeping', () => {
  it('tracks availability as peers come, announce and go', () => {
    const picker = setup({
      have: '000',
      peers: {
        a: '110',
        b: '100',
      },
    });
    expect([0, 1, 2].map((i) => picker.availability(i))).toEqual([2, 1, 0]);
    picker.peerHas('b', 2);
    picker.peerHas('b', 2);
    expect([0, 1, 2].map((i) => picker.availability(i))).toEqual([2, 1, 1]);
    picker.removePeer('a');
    expect([0, 1, 2].map((i) => picker.availability(i))).toEqual([1, 0, 1]);
  });

  it('counts missing pieces down to complete', () => {
    const picker = setup({ have: '010', peers: { a: '111' } });
    expect(picker.missingCount()).toBe(2);
    for (const piece of piecesOf(picker.next('a', LOTS))) picker.pieceVerified(piece);
    expect(picker.missingCount()).toBe(0);
    expect(picker.isComplete()).toBe(true);
    expect(picker.next('a', LOTS)).toEqual([]);
  });

  it('an empty share is complete from the start', () => {
    const picker = setup({ have: '', peers: { a: '' } });
    expect(picker.isComplete()).toBe(true);
    expect(picker.next('a', LOTS)).toEqual([]);
  });

  it('refuses inconsistent setup and a peer added twice', () => {
    expect(
      () => new NamedPicker({ pieceCount: 3, pieceSize: PIECE, totalSize: 2 * PIECE, have: new Bitfield(3) }),
    ).toThrow(RangeError);
    expect(
      () => new NamedPicker({ pieceCount: 2, pieceSize: PIECE, totalSize: 2 * PIECE, have: new Bitfield(3) }),
    ).toThrow(RangeError);
    const picker = setup({ have: '00', peers: { a: '11' } });
    expect(() => picker.addPeer('a', bits('11'))).toThrow();
    expect(() => picker.addPeer('b', bits('111'))).toThrow(RangeError);
    expect(() => picker.availability(2)).toThrow(RangeError);
    expect(() => picker.pieceFailed(-1, 'a')).toThrow(RangeError);
  });

  it('keeps its own copy of the bitfields it is given', () => {
    const have = bits('00');
    const peer = bits('11');
    const picker = new NamedPicker({ pieceCount: 2, pieceSize: PIECE, totalSize: 2 * PIECE, have, blockSize: BLOCK });
    picker.addPeer('a', peer);
    have.set(pieceAt(0));
    peer.clear(pieceAt(1));
    expect(picker.has(0)).toBe(false);
    expect(picker.availability(1)).toBe(1);
  });

  it('uses BLOCK_SIZE blocks (the last of a piece shorter) and in-order first pieces by default', () => {
    const picker = new NamedPicker({ pieceCount: 5, pieceSize: 256 * 1024, totalSize: 5 * 256 * 1024, have: new Bitfield(5) });
    picker.addPeer('a', Bitfield.full(5));
    const reqs = picker.next('a', 4 * 1024 * 1024);
    expect(piecesOf(reqs).slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(reqs.filter((r) => r.offset === 0).every((r) => r.length === 240 * 1024)).toBe(true);
    expect(reqs.filter((r) => r.offset !== 0).every((r) => r.offset === 240 * 1024 && r.length === 16 * 1024)).toBe(true);
    expect(reqs.length).toBe(5 * 2);
  });

  it('sizes blocks per peer, as given when the peer is added', () => {
    const picker = new NamedPicker({ pieceCount: 2, pieceSize: 256 * 1024, totalSize: 2 * 256 * 1024, have: new Bitfield(2) });
    picker.addPeer('small', Bitfield.full(2), 64 * 1024);
    picker.addPeer('large', Bitfield.full(2), 128 * 1024);
    const small = picker.next('small', 256 * 1024);
    const large = picker.next('large', 256 * 1024);
    expect(small.map((r) => r.length)).toEqual([65536, 65536, 65536, 65536]);
    expect(large.map((r) => r.length)).toEqual([131072, 131072]);
    expect(picker.onBlock('large', large[0].piece, 0, 131072)).toEqual({ accepted: true, pieceDone: false });
    expect(() => picker.onBlock('small', small[0].piece, 0, 131072)).toThrow(/65536 were requested/);
  });
});

// The picker's own accounting is asserted as it runs (engine/invariant.ts: on in every test run).
// Each case breaks one count from outside, as a bug inside would, and the next call notices.
describe('PiecePicker: accounting checks', () => {
  type Internals = {
    peers: Map<string, { bytes: number }>;
    available: Uint32Array;
  };
  const internals = (picker: NamedPicker) => picker.inner as unknown as Internals;

  it('notices outstanding bytes that are not the sum of the outstanding requests', () => {
    const picker = setup({ have: '00', peers: { a: '11' } });
    const reqs = picker.next('a', ONE_PIECE);
    internals(picker).peers.get(testPeerId('a'))!.bytes += 1;
    expect(() => picker.onBlock('a', reqs[0]!.piece, reqs[0]!.offset, reqs[0]!.length)).toThrow(InvariantError);
  });

  it('notices an availability count that differs from the bitfields of the peers', () => {
    const picker = setup({ have: '00', peers: { a: '10' } });
    internals(picker).available[1] += 1;
    expect(() => picker.peerHas('a', 1)).toThrow(/availability of a piece/);
    expect(() => picker.addPeer('b', bits('01'))).toThrow(/availability counts match/);
  });

  it('notices a verified piece still in flight', () => {
    const picker = setup({ have: '00', peers: { a: '11' } });
    picker.next('a', ONE_PIECE);
    // A release that forgets to drop the copy leaves the verified piece in flight.
    (picker.inner as unknown as { release: () => unknown[] }).release = () => [];
    expect(() => picker.pieceVerified(0)).toThrow(/verified piece is not also in flight/);
  });
});
