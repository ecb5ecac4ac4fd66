// The Redis store (--store redis://...): instances on one Redis share shares, across restarts; a Redis
// that goes away turns /healthz and store-backed requests into 503 / store_unavailable, and the same
// process serves again once Redis is back. Each test starts its own redis-server on loopback.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { freeTcpPort, getJson, httpGet, makeShare, putMetadata, runBinary, scenario, waitFor } from './harness.mjs';

const store = (redis) => ['--store', redis.url];

// The store's own limits (server/include/peershare/store/redis_store.hpp): a call fails within
// connect + reply timeout, and a Redis that is back is used again within the longest backoff plus a
// connection; 5 s more for a loaded machine.
const STORE_FAILS_WITHIN_MS = 1000 + 1000 + 5000;
const STORE_RECOVERS_WITHIN_MS = 2000 + 1000 + 5000;

test('a share announced through one instance is found by lookup and over HTTP through another on the same Redis', () =>
  scenario(async (ctx) => {
    const redis = await ctx.startRedis();
    const a = await ctx.startServer({ args: store(redis) });
    const b = await ctx.startServer({ args: store(redis) });
    for (const srv of [a, b]) assert.match(srv.stderr, new RegExp(`store: Redis at redis://127\\.0\\.0\\.1:${redis.port}/0, \\d+ share\\(s\\) stored`));

    const share = makeShare('through-a');
    const holder = await ctx.connect(a);
    const ann = await holder.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    assert.equal(ann.type, 'announced');

    const seeker = await ctx.connect(b);
    const found = await seeker.request({ type: 'lookup', resource: share.id });
    assert.equal(found.type, 'lookup_result', JSON.stringify(found));
    assert.equal(Buffer.from(found.metadata, 'base64').toString('hex'), share.bytes.toString('hex'));
    const m = await httpGet(b, `/api/resources/${share.id}/metadata`);
    assert.equal(m.status, 200);
    assert.ok(m.body.equals(share.bytes));

    // Uploaded through b, known to a: its PUT is not new there.
    const uploaded = makeShare('through-b');
    assert.equal((await putMetadata(b, uploaded.id, uploaded.bytes)).status, 201);
    assert.equal((await putMetadata(a, uploaded.id, uploaded.bytes)).status, 200);
    assert.equal((await getJson(a, `/api/resources/${uploaded.id}`)).status, 200);
  }));

test('shares stored in Redis survive kill -9 of every instance and are served by a new one', () =>
  scenario(async (ctx) => {
    const redis = await ctx.startRedis();
    const first = await ctx.startServer({ args: store(redis) });
    const share = makeShare('survivor');
    assert.equal((await putMetadata(first, share.id, share.bytes)).status, 201);
    const before = (await getJson(first, `/api/resources/${share.id}`)).body;
    await first.kill9('a crash of every instance: the shares must survive in Redis');

    const second = await ctx.startServer({ args: store(redis) });  // a new data dir: nothing comes from SQLite
    assert.match(second.stderr, /store: Redis at .*, 1 share\(s\) stored/);
    const after = await getJson(second, `/api/resources/${share.id}`);
    assert.equal(after.status, 200);
    assert.equal(after.body.created, before.created, 'created is kept');
    const c = await ctx.connect(second);
    const again = await c.request({ type: 'announce', resource: share.id, complete: true });
    assert.equal(again.type, 'announced', 'known: announced without metadata');
  }));

test('with Redis stopped, /healthz is 503 and store requests fail; the same process serves again once Redis is back', () =>
  scenario(async (ctx) => {
    const redis = await ctx.startRedis();
    const srv = await ctx.startServer({ args: store(redis) });
    assert.equal((await getJson(srv, '/healthz')).status, 200);
    const client = await ctx.connect(srv);

    await redis.stop();
    let started = Date.now();
    const health = await getJson(srv, '/healthz');
    assert.equal(health.status, 503);
    assert.deepEqual(health.body, { status: 'store_unavailable' });
    assert.ok(Date.now() - started < STORE_FAILS_WITHIN_MS, `answered in ${Date.now() - started} ms`);
    const share = makeShare('while-down');
    started = Date.now();
    const refused = await client.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    assert.equal(refused.code, 'store_unavailable', JSON.stringify(refused));
    assert.ok(Date.now() - started < STORE_FAILS_WITHIN_MS);
    assert.equal((await putMetadata(srv, share.id, share.bytes)).status, 503);
    assert.match(srv.stderr, /redis at redis:\/\/127\.0\.0\.1:\d+\/0: .*(Connection refused|connection was closed)/);

    await redis.start();  // same port, empty
    await waitFor('/healthz to be 200 again', async () => (await getJson(srv, '/healthz')).status === 200, {
      timeoutMs: STORE_RECOVERS_WITHIN_MS,
      intervalMs: 100,
    });
    const ok = await client.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    assert.equal(ok.type, 'announced', JSON.stringify(ok));
  }));

test('a server whose Redis does not answer at start exits with status 1, naming it', async () => {
  const port = await freeTcpPort();  // nothing listens there
  const r = await runBinary(['serve', '--port', '0', '--no-stun', '--store', `redis://127.0.0.1:${port}/2`]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`cannot open the store: redis at redis://127\\.0\\.0\\.1:${port}/2: cannot connect: Connection refused`));
});

test('a malformed --store is refused with status 2 before anything starts', async () => {
  const r = await runBinary(['serve', '--store', 'redis://127.0.0.1:0']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--store 'redis:\/\/127\.0\.0\.1:0': the port '0' is not a number from 1 to 65535/);
});

test('a share held through one instance is not deleted by the sweeps of another on the same Redis', () =>
  scenario(async (ctx) => {
    const redis = await ctx.startRedis();
    const grace = ['--grace-period', '2s'];
    // b first: with equal sweep intervals, its sweeps then tend to come just before a's.
    const b = await ctx.startServer({ args: [...store(redis), ...grace] });
    const a = await ctx.startServer({ args: [...store(redis), ...grace] });
    const held = makeShare('held-on-a');
    const holder = await ctx.connect(a);
    await holder.request({ type: 'announce', resource: held.id, complete: true, metadata: held.base64 });

    // Unheld shares uploaded one after the other are each deleted a grace period later; so the held
    // share lives through two grace periods of sweeps by both instances, b knowing nothing of its swarm.
    for (const label of ['unheld-1', 'unheld-2']) {
      const unheld = makeShare(label);
      assert.equal((await putMetadata(b, unheld.id, unheld.bytes)).status, 201);
      await waitFor(`${label} to be deleted`, async () => (await getJson(b, `/api/resources/${unheld.id}`)).status === 404, {
        timeoutMs: 15000,
        intervalMs: 100,
      });
      assert.equal((await getJson(b, `/api/resources/${held.id}`)).status, 200, `held share still there after ${label} was swept`);
    }

    // Once its holder is gone, the share is deleted like any other.
    await holder.close();
    await waitFor('the held share to be deleted', async () => (await getJson(b, `/api/resources/${held.id}`)).status === 404, {
      timeoutMs: 15000,
      intervalMs: 100,
    });
  }));
