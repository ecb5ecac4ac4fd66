// Several instances on one Redis (--store redis://): swarms span instances, signals and swarm pushes
// cross them through Redis pub/sub, the peers of a killed instance leave the swarm within the
// presence TTL, and a Redis that goes away and comes back (empty) costs cross-instance work only
// while it is away. Each test starts its own redis-server on loopback.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { makeShare, metric, readMetrics, scenario, waitFor } from './harness.mjs';

const isSignal = (kind) => (m) => m.type === 'signal' && m.kind === kind;

// core/cluster.hpp: a dead instance's key expires presence_ttl after its last refresh, and a survivor's
// dead-instance scan (every presence_refresh) then removes its peers; 5 s more for a loaded machine.
const PRESENCE_TTL_MS = 15000;
const REFRESH_MS = 5000;
const PEERS_LEAVE_WITHIN_MS = PRESENCE_TTL_MS + REFRESH_MS + 5000;
// store/redis_store.hpp: a Redis that is back is used again within the longest backoff (2 s) plus a
// connection; an instance rewrites its memberships at its next heartbeat (REFRESH_MS); 5 s more.
const RECOVERS_WITHIN_MS = 2000 + 1000 + REFRESH_MS + 5000;

// A on instance `a` holds the share; B on instance `b` joins it. Returns both clients.
async function swarmAcross(ctx, a, b, share) {
  const holder = await ctx.connect(a);
  const seeker = await ctx.connect(b);
  const ann = await holder.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
  assert.equal(ann.type, 'announced', JSON.stringify(ann));
  const found = await seeker.request({ type: 'lookup', resource: share.id });
  assert.equal(found.type, 'lookup_result', JSON.stringify(found));
  assert.deepEqual(found.peers, [{ peer: holder.peer, complete: true }]);
  assert.equal(found.peer_count, 1);
  const joined = await seeker.request({ type: 'announce', resource: share.id, complete: false });
  assert.equal(joined.type, 'announced', JSON.stringify(joined));
  assert.equal(joined.peers, 2, 'the swarm counts members of both instances');
  const push = await holder.nextOfType('peer_joined');
  assert.deepEqual([push.peer, push.complete], [seeker.peer, false]);
  return { holder, seeker };
}

test('a client on one instance finds a holder on another and they negotiate through Redis', () =>
  scenario(async (ctx) => {
    const { servers: [a, b] } = await ctx.startInstances(2);
    const share = makeShare('across');
    const { holder, seeker } = await swarmAcross(ctx, a, b, share);

    const offerData = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n', text: 'ünïcødé "q" \\' };
    seeker.send({ type: 'signal', id: 1, resource: share.id, to: holder.peer, kind: 'offer', data: offerData });
    const offer = await holder.next(isSignal('offer'));
    assert.deepEqual([offer.from, offer.resource], [seeker.peer, share.id]);
    assert.deepEqual(offer.data, offerData);

    const answerData = { type: 'answer', sdp: 'v=0\r\na=answer\r\n' };
    holder.send({ type: 'signal', id: 2, resource: share.id, to: seeker.peer, kind: 'answer', data: answerData });
    const answer = await seeker.next(isSignal('answer'));
    assert.equal(answer.from, holder.peer);
    assert.deepEqual(answer.data, answerData);

    holder.send({ type: 'signal', resource: share.id, to: seeker.peer, kind: 'candidate', data: { candidate: 'c1' } });
    assert.deepEqual((await seeker.next(isSignal('candidate'))).data, { candidate: 'c1' });
    seeker.send({ type: 'signal', resource: share.id, to: holder.peer, kind: 'candidate', data: null });
    assert.equal((await holder.next(isSignal('candidate'))).data, null);
    await seeker.assertNothing((m) => m.id === 1, 'a reply to a relayed offer');
    await holder.assertNothing((m) => m.id === 2, 'a reply to a relayed answer');

    // The negotiation rules hold across instances: an answer with no offer is refused by its sender's instance.
    const third = await ctx.connect(b);
    await third.request({ type: 'announce', resource: share.id, complete: false });
    await holder.nextOfType('peer_joined');
    const noOffer = await holder.request({ type: 'signal', resource: share.id, to: third.peer, kind: 'answer', data: {} });
    assert.equal(noOffer.code, 'no_offer');
    const stranger = await third.request({ type: 'signal', resource: share.id, to: '0'.repeat(32), kind: 'offer', data: {} });
    assert.equal(stranger.code, 'unknown_peer');

    // A leave and a disconnect on b are pushed to the holder on a.
    const left = await third.request({ type: 'leave', resource: share.id });
    assert.equal(left.type, 'left');
    assert.equal((await holder.nextOfType('peer_left')).peer, third.peer);
    await seeker.close();
    assert.equal((await holder.nextOfType('peer_left')).peer, seeker.peer);
    const after = await (await ctx.connect(b)).request({ type: 'lookup', resource: share.id });
    assert.deepEqual(after.peers, [{ peer: holder.peer, complete: true }]);

    // What crossed instances is counted: b routed the seeker's offer and null candidate and refused
    // the signal to a stranger; a delivered them and its pushes came from b.
    const [ma, mb] = [await readMetrics(a), await readMetrics(b)];
    const relays = (m, result) => metric(m, 'peershare_cluster_relays_total', { result });
    assert.equal(relays(mb, 'delivered'), 2, 'offer and candidate from b to a');
    assert.equal(relays(mb, 'unknown_peer'), 1);
    assert.equal(relays(ma, 'delivered'), 2, 'answer and candidate from a to b');
    assert.equal(relays(ma, 'failed') + relays(mb, 'failed'), 0);
    assert.ok(metric(ma, 'peershare_cluster_messages_in_total', { result: 'delivered' }) >= 2 + 3, 'signals and pushes from b');
    assert.equal(metric(ma, 'peershare_cluster_messages_in_total', { result: 'malformed' }), 0);
    for (const m of [ma, mb]) {
      assert.equal(m.types.get('peershare_cluster_redis_up'), 'gauge');
      assert.equal(metric(m, 'peershare_cluster_redis_up', { link: 'heartbeat' }), 1);
      assert.equal(metric(m, 'peershare_cluster_redis_up', { link: 'subscriber' }), 1);
    }
  }));

test('the peers of a killed instance leave the swarm, with peer_left on the other instance, within the presence TTL', () =>
  scenario(async (ctx) => {
    const { servers: [a, b] } = await ctx.startInstances(2);
    const share = makeShare('killed');
    const { holder, seeker } = await swarmAcross(ctx, a, b, share);

    await a.kill9('a crashed instance: its peers must leave within the presence TTL');
    const killed = Date.now();
    const asker = await ctx.connect(b);
    await waitFor('the killed instance\'s peer to be no longer listed', async () => {
      const r = await asker.request({ type: 'lookup', resource: share.id });
      return r.type === 'lookup_result' && r.peers.every((p) => p.peer !== holder.peer);
    }, { timeoutMs: PEERS_LEAVE_WITHIN_MS, intervalMs: 250 });
    const gone = await seeker.next((m) => m.type === 'peer_left', PEERS_LEAVE_WITHIN_MS - (Date.now() - killed));
    assert.equal(gone.peer, holder.peer);
    assert.ok(Date.now() - killed < PEERS_LEAVE_WITHIN_MS, `took ${Date.now() - killed} ms`);
    const signal = await seeker.request({ type: 'signal', resource: share.id, to: holder.peer, kind: 'offer', data: {} });
    assert.equal(signal.code, 'unknown_peer');
  }));

test('with Redis stopped, cross-instance work fails with store_unavailable, local relays go on, and all recovers once Redis is back', () =>
  scenario(async (ctx) => {
    const { redis, servers: [a, b] } = await ctx.startInstances(2);
    const share = makeShare('redis-down');
    const { holder, seeker } = await swarmAcross(ctx, a, b, share);
    const neighbour = await ctx.connect(a);  // same instance as the holder
    await neighbour.request({ type: 'announce', resource: share.id, complete: false });
    await holder.nextOfType('peer_joined');
    await seeker.nextOfType('peer_joined');

    await redis.stop();
    const across = await seeker.request({ type: 'signal', resource: share.id, to: holder.peer, kind: 'offer', data: { n: 1 } });
    assert.equal(across.code, 'store_unavailable', JSON.stringify(across));
    assert.equal(metric(await readMetrics(b), 'peershare_cluster_relays_total', { result: 'failed' }), 1);
    const lookup = await seeker.request({ type: 'lookup', resource: share.id });
    assert.equal(lookup.code, 'store_unavailable', 'no lookup answered from one instance\'s view alone');
    neighbour.send({ type: 'signal', resource: share.id, to: holder.peer, kind: 'offer', data: { local: true } });
    assert.deepEqual((await holder.next(isSignal('offer'))).data, { local: true });
    // Both links of both instances are seen down (the heartbeat notices at its next beat).
    for (const server of [a, b]) {
      await waitFor('/metrics to show both links to Redis down', async () => {
        const m = await readMetrics(server);
        return ['heartbeat', 'subscriber'].every((link) => metric(m, 'peershare_cluster_redis_up', { link }) === 0);
      }, { timeoutMs: REFRESH_MS + 5000, intervalMs: 250 });
    }

    await redis.start();  // same port, empty: both instances must rewrite their memberships
    const found = await waitFor('a lookup across instances to list every member again', async () => {
      const r = await seeker.request({ type: 'lookup', resource: share.id });
      return r.type === 'lookup_result' && r.peers.length === 2 ? r : undefined;
    }, { timeoutMs: RECOVERS_WITHIN_MS, intervalMs: 250 });
    assert.deepEqual(found.peers.map((p) => p.peer).sort(), [holder.peer, neighbour.peer].sort());
    await waitFor('a signal across instances to be relayed again', async () => {
      seeker.send({ type: 'signal', id: 'again', resource: share.id, to: holder.peer, kind: 'offer', data: { again: true } });
      const got = await Promise.race([
        holder.next(isSignal('offer'), 1000).then(() => true, () => false),
        seeker.next((m) => m.id === 'again', 1000).then(() => false, () => false),
      ]);
      return got;
    }, { timeoutMs: RECOVERS_WITHIN_MS, intervalMs: 250 });
    for (const server of [a, b]) {
      const m = await waitFor('/metrics to show both links to Redis up again', async () => {
        const r = await readMetrics(server);
        return ['heartbeat', 'subscriber'].every((link) => metric(r, 'peershare_cluster_redis_up', { link }) === 1) ? r : undefined;
      }, { timeoutMs: RECOVERS_WITHIN_MS, intervalMs: 250 });
      for (const link of ['heartbeat', 'subscriber'])
        assert.equal(metric(m, 'peershare_cluster_redis_failures_total', { link }), 1, `one outage of the ${link} link`);
    }
  }));
