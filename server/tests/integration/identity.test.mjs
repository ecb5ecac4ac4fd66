// A connection can act only as itself (docs/protocol.md §2): fields naming a peer are refused and change nothing.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertServes, getJson, isError, makeShare, scenario } from './harness.mjs';

async function swarmOf(ctx, srv, share) {
  const a = await ctx.connect(srv);
  const b = await ctx.connect(srv);
  const watcher = await ctx.connect(srv);
  await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
  await b.request({ type: 'announce', resource: share.id, complete: false });
  await a.nextOfType('peer_joined');
  return { a, b, watcher };
}

async function assertMembers(srv, watcher, share, peers) {
  const lr = await watcher.request({ type: 'lookup', resource: share.id });
  assert.equal(lr.type, 'lookup_result');
  assert.equal(lr.peer_count, peers.length);
  assert.deepEqual(new Set(lr.peers.map((p) => p.peer)), new Set(peers));
  const info = await getJson(srv, `/api/resources/${share.id}`);
  assert.equal(info.status, 200);
  assert.equal(info.body.holders, peers.length);
}

test('leave naming another peer is bad_message and that peer stays in the swarm', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const share = makeShare('leave-other');
    const { a, b, watcher } = await swarmOf(ctx, srv, share);

    for (const [i, field] of ['peer', 'from', 'peer_id'].entries()) {
      const r = await b.request({ type: 'leave', id: 100 + i, resource: share.id, [field]: a.peer });
      assert.ok(isError(r, 'bad_message', 100 + i), `leave with "${field}": ${JSON.stringify(r)}`);
    }
    await assertMembers(srv, watcher, share, [a.peer, b.peer]);
    await a.assertNothing((m) => m.type === 'peer_left', 'a peer_left after a refused leave');
    await b.assertNothing((m) => m.type === 'left' || m.type === 'peer_left', 'a leave took effect');
    await assertServes(srv);
  }));

test('signal carrying "from" is bad_message and nothing is relayed', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const share = makeShare('spoof');
    const { a, b, watcher } = await swarmOf(ctx, srv, share);
    const c = await ctx.connect(srv);
    await c.request({ type: 'announce', resource: share.id, complete: false });

    // C pretends the offer comes from B.
    const r = await c.request({ type: 'signal', id: 200, resource: share.id, to: a.peer, from: b.peer, kind: 'offer', data: {} });
    assert.ok(isError(r, 'bad_message', 200), JSON.stringify(r));
    const r2 = await c.request({ type: 'signal', id: 201, resource: share.id, to: a.peer, peer: b.peer, kind: 'offer', data: {} });
    assert.ok(isError(r2, 'bad_message', 201), JSON.stringify(r2));
    await a.assertNothing((m) => m.type === 'signal', 'a spoofed signal relayed');

    // A real offer from C still names C.
    c.send({ type: 'signal', resource: share.id, to: a.peer, kind: 'offer', data: { ok: true } });
    const s = await a.next((m) => m.type === 'signal');
    assert.equal(s.from, c.peer);
    await assertMembers(srv, watcher, share, [a.peer, b.peer, c.peer]);
    await assertServes(srv);
  }));

test('announce and lookup with fields naming a peer are bad_message and change nothing', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const share = makeShare('announce-other');
    const { a, b, watcher } = await swarmOf(ctx, srv, share);

    // B tries to mark A incomplete, and to announce as A.
    const r1 = await b.request({ type: 'announce', id: 300, resource: share.id, complete: false, peer: a.peer });
    assert.ok(isError(r1, 'bad_message', 300), JSON.stringify(r1));
    const r2 = await b.request({ type: 'announce', id: 301, resource: share.id, complete: true, from: a.peer });
    assert.ok(isError(r2, 'bad_message', 301), JSON.stringify(r2));
    const r3 = await b.request({ type: 'lookup', id: 302, resource: share.id, peer: a.peer });
    assert.ok(isError(r3, 'bad_message', 302), JSON.stringify(r3));

    await a.assertNothing((m) => m.type === 'peer_joined', 'a peer_joined after a refused announce');
    const lr = await watcher.request({ type: 'lookup', resource: share.id });
    assert.deepEqual(
      lr.peers.find((p) => p.peer === a.peer),
      { peer: a.peer, complete: true },
    );
    assert.deepEqual(
      lr.peers.find((p) => p.peer === b.peer),
      { peer: b.peer, complete: false },
    );
    await assertMembers(srv, watcher, share, [a.peer, b.peer]);
    await assertServes(srv);
  }));
