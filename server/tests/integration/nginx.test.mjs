// Several instances behind nginx with the repo's configuration (deploy/nginx/peershare.conf): the web
// app and the API through nginx, WebSockets spread over the instances by round-robin, a negotiation
// between clients of different instances, and the per-address limit counting the address nginx
// forwards (--trusted-proxy). Each test starts its own redis-server, two instances and nginx on loopback.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { getJson, httpGet, makeShare, scenario, waitFor } from './harness.mjs';

// Redis, two instances on it trusting 127.0.0.1 (where nginx connects from), and nginx in front.
async function behindNginx(ctx, extraArgs) {
  const { servers: instances } = await ctx.startInstances(2, { args: ['--trusted-proxy', '127.0.0.1', ...extraArgs] });
  return { nginx: await ctx.startNginx(instances), instances };
}

const connectionsOf = async (srv) => (await getJson(srv, '/api/stats')).body.connections;

async function connectionCounts(instances) {
  return Promise.all(instances.map(connectionsOf));
}

// Connects through nginx and resolves [client, index of the instance it landed on], found by the
// instance whose WebSocket count rose.
async function connectThrough(ctx, nginx, instances, opts = {}) {
  const before = await connectionCounts(instances);
  const client = await ctx.connect(nginx, opts);
  let landed;
  await waitFor('the new connection to be counted by an instance', async () => {
    const now = await connectionCounts(instances);
    landed = now.findIndex((n, i) => n === before[i] + 1);
    return landed >= 0 && now.reduce((a, b) => a + b) === before.reduce((a, b) => a + b) + 1;
  });
  return [client, landed];
}

const isSignal = (kind) => (m) => m.type === 'signal' && m.kind === kind;

test('through nginx: the page and /healthz are served, WebSockets reach both instances and negotiate across them', () =>
  scenario(async (ctx) => {
    const { nginx, instances } = await behindNginx(ctx, []);
    const page = await httpGet(nginx, '/');
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /^text\/html/);
    assert.deepEqual(page.body, (await httpGet(instances[0], '/')).body, 'the same page as an instance serves');
    const health = await getJson(nginx, '/healthz');
    assert.deepEqual([health.status, health.body.status], [200, 'ok']);

    // The page's own origin passes the Origin check: nginx passes Host through, port included.
    const [holder, first] = await connectThrough(ctx, nginx, instances, { origin: nginx.origin });
    const [seeker, second] = await connectThrough(ctx, nginx, instances, { origin: nginx.origin });
    assert.notEqual(first, second, 'round-robin puts consecutive connections on different instances');
    assert.deepEqual(await connectionCounts(instances), [1, 1]);

    const share = makeShare('nginx');
    const ann = await holder.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    assert.equal(ann.type, 'announced', JSON.stringify(ann));
    const found = await seeker.request({ type: 'lookup', resource: share.id });
    assert.equal(found.type, 'lookup_result', JSON.stringify(found));
    assert.deepEqual(found.peers, [{ peer: holder.peer, complete: true }]);
    const joined = await seeker.request({ type: 'announce', resource: share.id, complete: false });
    assert.equal(joined.type, 'announced', JSON.stringify(joined));
    assert.equal((await holder.nextOfType('peer_joined')).peer, seeker.peer);

    const offerData = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
    seeker.send({ type: 'signal', resource: share.id, to: holder.peer, kind: 'offer', data: offerData });
    const offer = await holder.next(isSignal('offer'));
    assert.deepEqual([offer.from, offer.data], [seeker.peer, offerData]);
    const answerData = { type: 'answer', sdp: 'v=0\r\na=answer\r\n' };
    holder.send({ type: 'signal', resource: share.id, to: seeker.peer, kind: 'answer', data: answerData });
    const answer = await seeker.next(isSignal('answer'));
    assert.deepEqual([answer.from, answer.data], [holder.peer, answerData]);
  }));

test('through nginx, --max-connections-per-ip counts the forwarded client address on each instance', () =>
  scenario(async (ctx) => {
    const { nginx, instances } = await behindNginx(ctx, ['--max-connections-per-ip', '2']);
    // The limit is per instance: two instances take two connections each from 127.0.0.2.
    for (let i = 0; i < 4; i++) await connectThrough(ctx, nginx, instances, { localAddress: '127.0.0.2' });
    assert.deepEqual(await connectionCounts(instances), [2, 2]);
    const refused = await ctx.tryConnect(nginx, { localAddress: '127.0.0.2' });
    assert.equal(refused.status, 429, 'the fifth from 127.0.0.2 is refused through nginx');
    await waitFor('an instance to log the refusal with the forwarded address', () =>
      instances.some((s) => s.stderr.includes('refused WebSocket from 127.0.0.2:')));

    // Another client address has its own budget, even when it claims to be 127.0.0.2: nginx
    // replaces the X-Forwarded-For a client sends.
    const [other] = await connectThrough(ctx, nginx, instances, {
      localAddress: '127.0.0.3',
      headers: { 'X-Forwarded-For': '127.0.0.2' },
    });
    await other.barrier();

    // A peer that is not a trusted proxy is counted by its own address, whatever it forwards.
    const direct = await ctx.tryConnect(instances[0], { localAddress: '127.0.0.2', headers: { 'X-Forwarded-For': '127.0.0.9' } });
    assert.equal(direct.status, 429);
    const fresh = await ctx.tryConnect(instances[0], { localAddress: '127.0.0.4', headers: { 'X-Forwarded-For': '127.0.0.2' } });
    assert.ok(fresh.client, `127.0.0.4 is not taken for 127.0.0.2 (HTTP ${fresh.status})`);
  }));
