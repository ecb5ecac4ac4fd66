import { it } from 'vitest';
import { Bitfield } from '../../src/engine/bitfield';
import { PiecePicker } from '../../src/engine/picker';
it('bench', () => {
  const n = 32768, ps = 256 * 1024;
  const p = new PiecePicker({ pieceCount: n, pieceSize: ps, totalSize: n * ps, have: new Bitfield(n) });
  const peers = ['a','b','c','d','e','f','g','h'];
  for (const x of peers) p.addPeer(x, Bitfield.full(n));
  const t0 = performance.now();
  let calls = 0;
  const pending = new Map(peers.map((x) => [x, p.next(x, 4 * 1024 * 1024)]));
  while (!p.isComplete()) {
    for (const x of peers) {
      const reqs = pending.get(x)!;
      const r = reqs.shift();
      if (!r) { pending.set(x, p.next(x, 4*1024*1024)); continue; }
      const res = p.onBlock(x, r.piece, r.offset, r.length);
      if (res.accepted && res.pieceDone) {
        for (const c of p.pieceVerified(r.piece)) { const q = pending.get(c.peer)!; pending.set(c.peer, q.filter((y) => !(y.piece === r.piece))); }
      }
      reqs.push(...p.next(x, 4 * 1024 * 1024)); calls++;
    }
  }
  console.log('calls', calls, 'ms', performance.now() - t0);
}, 120000);
