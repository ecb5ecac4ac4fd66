// Swarm membership and the signaling relay between two or more real clients (docs/protocol.md §2.1, §2.2).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertServes, getJson, isError, makeShare, scenario } from './harness.mjs';

const isSignal = (kind) => (m) => m.type === 'signal' && m.kind === kind;

test('two clients: announce, lookup, join, offer/answer/candidates relayed untouched, leave and disconnect', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const share = makeShare('flow');
    const a = await ctx.connect(srv);
    const b = await ctx.connect(srv);

    const ann = await a.request({ type: 'announce', id: 1, resource: share.id, complete: true, metadata: share.base64 });
    assert.equal(ann.type, 'announced');
    assert.equal(ann.id, 1);
    assert.equal(ann.resource, share.id);
    assert.equal(ann.peers, 1);

    const lr = await b.request({ type: 'lookup', id: 'look-1', resource: share.id });
    assert.equal(lr.type, 'lookup_result');
    assert.equal(lr.id, 'look-1');
    assert.equal(lr.resource, share.id);
    assert.equal(lr.metadata, share.base64);
    assert.equal(lr.metadata_size, share.bytes.length);
    assert.equal(lr.peer_count, 1);
    assert.deepEqual(lr.peers, [{ peer: a.peer, complete: true }]);

    const annB = await b.request({ type: 'announce', id: 2, resource: share.id, complete: false });
    assert.equal(annB.type, 'announced');
    assert.equal(annB.peers, 2);
    const joined = await a.nextOfType('peer_joined');
    assert.equal(joined.resource, share.id);
    assert.equal(joined.peer, b.peer);
    assert.equal(joined.complete, false);

    // offer B → A: `from` is set by the server, `data` passes untouched.
    const offerData = {
      sdp: 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n',
      nested: [1, 2.5, -7, 1e-7, null, true, false, 'ünïcødé ✓ "quoted" \\ \u0001', { deep: { deeper: [] } }],
      big: 9007199254740991,
      empty: {},
    };
    b.send({ type: 'signal', id: 3, resource: share.id, to: a.peer, kind: 'offer', data: offerData });
    const offer = await a.next(isSignal('offer'));
    assert.equal(offer.resource, share.id);
    assert.equal(offer.from, b.peer);
    assert.deepEqual(offer.data, offerData);

    // answer A → B
    const answerData = { type: 'answer', sdp: 'v=0\r\na=answer\r\n' };
    a.send({ type: 'signal', id: 4, resource: share.id, to: b.peer, kind: 'answer', data: answerData });
    const answer = await b.next(isSignal('answer'));
    assert.equal(answer.from, a.peer);
    assert.equal(answer.resource, share.id);
    assert.deepEqual(answer.data, answerData);

    // candidates both ways, including the end-of-candidates null and a bare string
    const candA = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    a.send({ type: 'signal', resource: share.id, to: b.peer, kind: 'candidate', data: candA });
    const gotA = await b.next(isSignal('candidate'));
    assert.equal(gotA.from, a.peer);
    assert.deepEqual(gotA.data, candA);
    b.send({ type: 'signal', resource: share.id, to: a.peer, kind: 'candidate', data: 'a string is JSON too' });
    const gotB1 = await a.next(isSignal('candidate'));
    assert.equal(gotB1.from, b.peer);
    assert.equal(gotB1.data, 'a string is JSON too');
    b.send({ type: 'signal', resource: share.id, to: a.peer, kind: 'candidate', data: null });
    const gotB2 = await a.next(isSignal('candidate'));
    assert.equal(gotB2.from, b.peer);
    assert.equal(gotB2.data, null);

    // A successful relay has no reply.
    await b.assertNothing((m) => m.id === 3, 'a reply to a relayed offer');
    await a.assertNothing((m) => m.id === 4, 'a reply to a relayed answer');

    // B leaves → `left` for B, `peer_left` for A.
    const left = await b.request({ type: 'leave', id: 5, resource: share.id });
    assert.equal(left.type, 'left');
    assert.equal(left.id, 5);
    assert.equal(left.resource, share.id);
    const pl = await a.nextOfType('peer_left');
    assert.equal(pl.resource, share.id);
    assert.equal(pl.peer, b.peer);

    // B re-announces, then disconnects → A sees it join, then leave.
    const again = await b.request({ type: 'announce', resource: share.id, complete: false });
    assert.equal(again.type, 'announced');
    assert.equal(again.peers, 2);
    const rejoined = await a.nextOfType('peer_joined');
    assert.equal(rejoined.peer, b.peer);
    await b.close();
    const gone = await a.nextOfType('peer_left');
    assert.equal(gone.resource, share.id);
    assert.equal(gone.peer, b.peer);

    const info = await getJson(srv, `/api/resources/${share.id}`);
    assert.equal(info.body.holders, 1);
  }));

test('announcing again updates complete and tells the swarm with peer_joined', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const share = makeShare('complete');
    const a = await ctx.connect(srv);
    const b = await ctx.connect(srv);
    await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    await b.request({ type: 'announce', resource: share.id, complete: false });
    assert.equal((await a.nextOfType('peer_joined')).complete, false);

    const r = await b.request({ type: 'announce', resource: share.id, complete: true });
    assert.equal(r.type, 'announced');
    assert.equal(r.peers, 2, 'announcing again does not add a member');
    const update = await a.nextOfType('peer_joined');
    assert.equal(update.peer, b.peer);
    assert.equal(update.complete, true);

    const c = await ctx.connect(srv);
    const lr = await c.request({ type: 'lookup', resource: share.id });
    assert.equal(lr.peer_count, 2);
    assert.deepEqual(
      [...lr.peers].sort((x, y) => x.peer.localeCompare(y.peer)),
      [{ peer: a.peer, complete: true }, { peer: b.peer, complete: true }].sort((x, y) => x.peer.localeCompare(y.peer)),
    );
    const info = await getJson(srv, `/api/resources/${share.id}`);
    assert.equal(info.body.holders, 2);
    assert.equal(info.body.complete_holders, 2);
  }));

test('lookup lists other members, complete holders first, and peer_count excludes the asker', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const share = makeShare('order');
    const [a, b, c] = [await ctx.connect(srv), await ctx.connect(srv), await ctx.connect(srv)];
    await a.request({ type: 'announce', resource: share.id, complete: false, metadata: share.base64 });
    await b.request({ type: 'announce', resource: share.id, complete: false });
    const annC = await c.request({ type: 'announce', resource: share.id, complete: true });
    assert.equal(annC.peers, 3);

    const outsider = await ctx.connect(srv);
    const lr = await outsider.request({ type: 'lookup', resource: share.id });
    assert.equal(lr.peer_count, 3);
    assert.equal(lr.peers.length, 3);
    assert.deepEqual(lr.peers[0], { peer: c.peer, complete: true }, 'the complete holder comes first');
    assert.deepEqual(new Set(lr.peers.map((p) => p.peer)), new Set([a.peer, b.peer, c.peer]));

    const fromA = await a.request({ type: 'lookup', resource: share.id });
    assert.equal(fromA.peer_count, 2, 'the asking peer is not counted');
    assert.ok(!fromA.peers.some((p) => p.peer === a.peer), 'the asking peer is not listed');
    assert.deepEqual(fromA.peers[0], { peer: c.peer, complete: true });
  }));

test('lookup lists at most max_lookup_peers peers, complete holders first', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--max-lookup-peers', '2'] });
    const share = makeShare('capped');
    const members = [];
    for (let i = 0; i < 4; i++) members.push(await ctx.connect(srv));
    await members[0].request({ type: 'announce', resource: share.id, complete: false, metadata: share.base64 });
    await members[1].request({ type: 'announce', resource: share.id, complete: false });
    await members[2].request({ type: 'announce', resource: share.id, complete: false });
    await members[3].request({ type: 'announce', resource: share.id, complete: true });
    const outsider = await ctx.connect(srv);
    const lr = await outsider.request({ type: 'lookup', resource: share.id });
    assert.equal(lr.peer_count, 4);
    assert.equal(lr.peers.length, 2);
    assert.deepEqual(lr.peers[0], { peer: members[3].peer, complete: true });
  }));

test('signals are relayed only inside a common swarm, to another member, within a negotiation', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const r1 = makeShare('one');
    const r2 = makeShare('two');
    const a = await ctx.connect(srv);
    const b = await ctx.connect(srv);
    const c = await ctx.connect(srv);
    await a.request({ type: 'announce', resource: r1.id, complete: true, metadata: r1.base64 });
    await b.request({ type: 'announce', resource: r1.id, complete: false });
    await c.request({ type: 'announce', resource: r2.id, complete: true, metadata: r2.base64 });

    const sig = (to, kind, id, resource = r1.id) => ({ type: 'signal', id, resource, to, kind, data: { x: 1 } });

    // C is in another swarm: not a member of r1.
    assert.ok(isError(await b.request(sig(c.peer, 'offer', 10)), 'unknown_peer', 10));
    // Signalling oneself.
    assert.ok(isError(await b.request(sig(b.peer, 'offer', 11)), 'unknown_peer', 11));
    // A peer id nobody has.
    assert.ok(isError(await b.request(sig('0123456789abcdef0123456789abcdef', 'offer', 12)), 'unknown_peer', 12));
    // C is not in r1 itself.
    assert.ok(isError(await c.request(sig(a.peer, 'offer', 13)), 'not_in_swarm', 13));
    // leave of a swarm C is not in.
    assert.ok(isError(await c.request({ type: 'leave', id: 14, resource: r1.id }), 'not_in_swarm', 14));
    // answer and candidate without any negotiation.
    assert.ok(isError(await b.request(sig(a.peer, 'answer', 15)), 'no_offer', 15));
    assert.ok(isError(await b.request(sig(a.peer, 'candidate', 16)), 'no_offer', 16));
    assert.ok(isError(await a.request(sig(b.peer, 'candidate', 17)), 'no_offer', 17));

    // Nothing of the refused signals reached anyone.
    await a.assertNothing((m) => m.type === 'signal', 'a refused signal relayed to A');
    await b.assertNothing((m) => m.type === 'signal', 'a refused signal relayed to B');
    await c.assertNothing((m) => m.type === 'signal', 'a refused signal relayed to C');

    // An open offer A → B: B may answer, A may not "answer" its own offer.
    a.send(sig(b.peer, 'offer', 20));
    assert.equal((await b.next(isSignal('offer'))).from, a.peer);
    assert.ok(isError(await a.request(sig(b.peer, 'answer', 21)), 'no_offer', 21), 'an answer needs an offer from `to`');
    // candidates flow both ways while the offer is open
    b.send(sig(a.peer, 'candidate', 22));
    assert.equal((await a.next(isSignal('candidate'))).from, b.peer);
    a.send(sig(b.peer, 'candidate', 23));
    assert.equal((await b.next(isSignal('candidate'))).from, a.peer);
    b.send(sig(a.peer, 'answer', 24));
    assert.equal((await a.next(isSignal('answer'))).from, b.peer);
    // still relayed after the answer
    a.send(sig(b.peer, 'candidate', 25));
    assert.equal((await b.next(isSignal('candidate'))).from, a.peer);
    await a.assertNothing((m) => [20, 22, 23, 24, 25].includes(m.id), 'a reply to a relayed signal');
    await b.assertNothing((m) => [20, 22, 23, 24, 25].includes(m.id), 'a reply to a relayed signal');

    // Every error left the connections open.
    for (const cl of [a, b, c]) await cl.barrier();
    await assertServes(srv);
  }));

test('a signal with an unknown kind is refused with bad_message', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const share = makeShare('kind');
    const a = await ctx.connect(srv);
    const b = await ctx.connect(srv);
    await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    await b.request({ type: 'announce', resource: share.id, complete: false });
    const r = await b.request({ type: 'signal', id: 30, resource: share.id, to: a.peer, kind: 'hello', data: {} });
    assert.ok(isError(r, 'bad_message', 30), JSON.stringify(r));
    const r2 = await b.request({ type: 'signal', id: 31, resource: share.id, to: a.peer, kind: 'offer' });
    assert.ok(isError(r2, 'bad_message', 31), `missing data: ${JSON.stringify(r2)}`);
    await a.assertNothing((m) => m.type === 'signal', 'a refused signal relayed');
    await assertServes(srv);
  }));
