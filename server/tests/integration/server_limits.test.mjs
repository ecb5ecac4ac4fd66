// The remaining limits of docs/protocol.md §2.3–§2.4: swarms per connection, swarm size, open offers, slow readers (deadlines are in deadlines.test.mjs).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertServes, isError, makeShare, rawWebSocket, scenario } from './harness.mjs';

test('announcing past --max-swarms is too_many_swarms; re-announcing and leaving work', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--max-swarms', '2'] });
    const [r1, r2, r3] = [makeShare('s1'), makeShare('s2'), makeShare('s3')];
    const a = await ctx.connect(srv);
    for (const s of [r1, r2]) {
      assert.equal((await a.request({ type: 'announce', resource: s.id, complete: true, metadata: s.base64 })).type, 'announced');
    }
    const refused = await a.request({ type: 'announce', id: 'third', resource: r3.id, complete: true, metadata: r3.base64 });
    assert.ok(isError(refused, 'too_many_swarms', 'third'), JSON.stringify(refused));
    assert.equal((await a.request({ type: 'announce', resource: r1.id, complete: false })).type, 'announced', 're-announce is not a new swarm');
    assert.equal((await a.request({ type: 'leave', resource: r1.id })).type, 'left');
    assert.equal((await a.request({ type: 'announce', resource: r3.id, complete: true, metadata: r3.base64 })).type, 'announced');
    await assertServes(srv);
  }));

test('announcing into a swarm of --max-swarm-size peers is swarm_full', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--max-swarm-size', '2'] });
    const share = makeShare('full');
    const [a, b, c] = [await ctx.connect(srv), await ctx.connect(srv), await ctx.connect(srv)];
    await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    await b.request({ type: 'announce', resource: share.id, complete: false });
    const r = await c.request({ type: 'announce', id: 9, resource: share.id, complete: false });
    assert.ok(isError(r, 'swarm_full', 9), JSON.stringify(r));
    await a.assertNothing((m) => m.type === 'peer_joined' && m.peer === c.peer, 'a refused member announced');
    // a member re-announcing is not refused, and a freed place can be taken
    assert.equal((await b.request({ type: 'announce', resource: share.id, complete: true })).type, 'announced');
    await b.request({ type: 'leave', resource: share.id });
    assert.equal((await c.request({ type: 'announce', resource: share.id, complete: false })).type, 'announced');
    await assertServes(srv);
  }));

test('more than max_open_offers (64) open offers is too_many_offers', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--max-connections-per-ip', '100'] });
    const share = makeShare('offers');
    const sender = await ctx.connect(srv);
    await sender.request({ type: 'announce', resource: share.id, complete: false, metadata: share.base64 });
    const targets = [];
    for (let i = 0; i < 65; i++) {
      const t = await ctx.connect(srv);
      await t.request({ type: 'announce', resource: share.id, complete: true });
      targets.push(t);
    }
    for (let i = 0; i < 64; i++) {
      sender.send({ type: 'signal', id: `o${i}`, resource: share.id, to: targets[i].peer, kind: 'offer', data: { i } });
    }
    for (let i = 0; i < 64; i++) {
      const s = await targets[i].next((m) => m.type === 'signal');
      assert.equal(s.from, sender.peer);
      assert.deepEqual(s.data, { i });
    }
    const r = await sender.request({ type: 'signal', id: 'o64', resource: share.id, to: targets[64].peer, kind: 'offer', data: {} });
    assert.ok(isError(r, 'too_many_offers', 'o64'), JSON.stringify(r));
    await targets[64].assertNothing((m) => m.type === 'signal', 'the refused offer');
    await sender.barrier();
    await assertServes(srv);
  }));

test('a peer that does not read is dropped when its write queue fills, and does not slow the sender', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--messages-per-second', '100000', '--message-burst', '100000'] });
    const share = makeShare('slow');
    const sender = await ctx.connect(srv);
    await sender.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });

    const staller = await rawWebSocket(srv);
    staller.writeText(JSON.stringify({ type: 'announce', resource: share.id, complete: false }));
    const joined = await sender.next((m) => m.type === 'peer_joined');
    staller.sock.pause(); // from now on it reads nothing

    const data = { sdp: 'x'.repeat(60000) };
    for (let i = 0; i < 600; i++) sender.send({ type: 'signal', resource: share.id, to: joined.peer, kind: 'offer', data });
    const left = await sender.next((m) => m.type === 'peer_left' && m.peer === joined.peer, 20000, 'the staller to be dropped');
    assert.equal(left.resource, share.id);
    await sender.barrier();
    staller.destroy();
    await assertServes(srv);
  }));
