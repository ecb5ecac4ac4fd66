// Per-address connection limit and per-connection message rate limit (docs/protocol.md §2, §2.3, §2.4).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertServes, floodAndCollect, getJson, isError, makeShare, putMetadata, scenario, sleep, waitFor } from './harness.mjs';

test('past --max-connections-per-ip the upgrade gets HTTP 429; after one closes, a new one is accepted', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--max-connections-per-ip', '3'] });
    const open = [await ctx.connect(srv), await ctx.connect(srv), await ctx.connect(srv)];
    const refused = await ctx.tryConnect(srv);
    assert.equal(refused.status, 429);
    for (const c of open) await c.barrier(); // the refusal did not disturb the others

    // Another address has its own budget.
    const other = await ctx.connect(srv, { localAddress: '127.0.0.2' });
    await other.barrier();
    await other.close();

    await open[0].close();
    // Wait until the server has let go of the closed connection (2 WebSockets + this request ≤ 3).
    await waitFor('the closed connection to be released', async () => {
      const r = await getJson(srv, '/api/stats').catch(() => undefined);
      return r && r.status === 200 && r.body.connections === 2;
    });
    const again = await ctx.connect(srv);
    await again.barrier();
    assert.equal((await ctx.tryConnect(srv)).status, 429, 'back at the limit');
  }));

const RATE = ['--messages-per-second', '5', '--message-burst', '10'];

// Sends `n` lookups in one go; sorts what came back until `n` answers or the close.
async function flood(client, resource, n) {
  const { answers } = await floodAndCollect(client, Array.from({ length: n }, (_, i) => ({ type: 'lookup', id: i, resource })));
  return {
    results: answers.filter((m) => m.type === 'lookup_result'),
    limited: answers.filter((m) => isError(m, 'rate_limited')),
    other: answers.filter((m) => m.type !== 'lookup_result' && !isError(m, 'rate_limited')),
  };
}

async function rateServer(ctx) {
  const srv = await ctx.startServer({ args: RATE });
  const share = makeShare('rate');
  assert.equal((await putMetadata(srv, share.id, share.bytes)).status, 201);
  return { srv, share };
}

test('a burst past message_burst gets rate_limited errors but fewer than message_burst refusals keep the connection', () =>
  scenario(async (ctx) => {
    const { srv, share } = await rateServer(ctx);
    const a = await ctx.connect(srv);
    assert.equal(a.welcome.limits.messages_per_second, 5);
    assert.equal(a.welcome.limits.message_burst, 10);
    const r = await flood(a, share.id, 15);
    assert.deepEqual(r.other, []);
    assert.ok(r.results.length >= 10, `the burst is served: ${r.results.length} results`);
    assert.ok(r.limited.length >= 1, `some messages are refused: ${r.limited.length}`);
    assert.equal(r.results.length + r.limited.length, 15, 'every message is answered or refused');
    // The earliest messages are the ones served.
    assert.deepEqual(r.results.map((m) => m.id).slice(0, 10), [...Array(10).keys()]);
    // Each refusal names the request it refused: every request is answered exactly once, by its id.
    const ids = [...r.results, ...r.limited].map((m) => m.id).sort((x, y) => x - y);
    assert.deepEqual(ids, [...Array(15).keys()]);
    assert.equal(a.closeInfo, undefined, 'fewer than message_burst refusals in a row: still open');

    // A token comes back every 1/5 s: after that, a message goes through and the refusal streak ends.
    await sleep(450);
    const lr = await a.request({ type: 'lookup', resource: share.id });
    assert.equal(lr.type, 'lookup_result');
  }));

test('message_burst refusals in a row close the connection with 1008', () =>
  scenario(async (ctx) => {
    const { srv, share } = await rateServer(ctx);
    const a = await ctx.connect(srv);
    const r = await flood(a, share.id, 30);
    const closed = await a.waitClosed();
    assert.equal(closed.code, 1008);
    assert.deepEqual(r.other, []);
    assert.ok(r.results.length >= 10 && r.results.length < 20, `the burst is served: ${r.results.length}`);
    // Closed after message_burst (10) refusals: each refusal is answered with rate_limited; the last
    // one's error may be replaced by the close.
    assert.ok(r.limited.length >= 9 && r.limited.length <= 10, `rate_limited errors before the close: ${r.limited.length}`);
    assert.ok(r.results.length + r.limited.length < 30, 'messages after the close were not answered');

    const b = await ctx.connect(srv);
    assert.equal((await b.request({ type: 'lookup', resource: share.id })).type, 'lookup_result', 'others are unaffected');
  }));

test('a flood of 200 messages closes the connection with 1008', () =>
  scenario(async (ctx) => {
    const { srv, share } = await rateServer(ctx);
    const a = await ctx.connect(srv);
    await flood(a, share.id, 200);
    const closed = await a.waitClosed();
    assert.equal(closed.code, 1008);
    await assertServes(srv);
  }));
