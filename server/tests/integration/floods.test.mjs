// Floods from one connection (docs/protocol.md §2.3, §2.4): thousands of lookups of unknown ids and a burst of announces of new shares, answered exactly as max_swarms and the rate limit imply, storing and keeping nothing they refuse.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { test } from 'node:test';

import {
  assertServes,
  databaseFile,
  floodAndCollect,
  getJson,
  isError,
  makeShare,
  metric,
  randomId,
  readMetrics,
  scenario,
} from './harness.mjs';

// What the server keeps about shares and swarms, without what changes by itself.
async function state(srv) {
  const { body } = await getJson(srv, '/api/stats');
  const { uptime_seconds: _uptime, ...rest } = body;
  return rest;
}

// Size and modification time of the database and its write-ahead log: a read leaves both alone.
async function storeFiles(dataDir) {
  const out = {};
  for (const f of [databaseFile(dataDir), `${databaseFile(dataDir)}-wal`]) {
    const st = await fs.stat(f).catch(() => undefined);
    out[f] = st && { size: st.size, mtimeMs: st.mtimeMs };
  }
  return out;
}

test('thousands of lookups of unknown ids: the burst is answered not_found one by one, the rest rate_limited, nothing is stored or kept', () =>
  scenario(async (ctx) => {
    // A burst of 2000 so that thousands are answered; 1 message/s so the refill is small and
    // bounded by the elapsed time.
    const srv = await ctx.startServer({ args: ['--messages-per-second', '1', '--message-burst', '2000'] });
    const a = await ctx.connect(srv);
    const { message_burst: burst, messages_per_second: rate } = a.welcome.limits;
    assert.deepEqual([burst, rate], [2000, 1]);
    const before = await state(srv);
    const filesBefore = await storeFiles(srv.dataDir);
    const notFoundBefore = metric(await readMetrics(srv), 'peershare_errors_total', { code: 'not_found' });

    const total = 2500;
    const ids = Array.from({ length: total }, () => randomId());
    const started = Date.now();
    const { answers, closed } = await floodAndCollect(
      a,
      ids.map((resource, i) => ({ type: 'lookup', id: i, resource })),
    );
    const elapsedS = (Date.now() - started) / 1000;

    assert.equal(closed, undefined, `${total - burst} refusals are fewer than message_burst in a row: still open`);
    assert.equal(answers.length, total, 'every lookup is answered once');
    const notFound = answers.filter((m) => isError(m, 'not_found'));
    const limited = answers.filter((m) => isError(m, 'rate_limited'));
    assert.equal(notFound.length + limited.length, total, `only not_found and rate_limited: ${JSON.stringify(answers.find((m) => !isError(m, 'not_found') && !isError(m, 'rate_limited')))}`);
    // The whole burst is served, in order; past it only the refill (rate × elapsed) gets through.
    assert.deepEqual(notFound.slice(0, burst).map((m) => m.id), [...Array(burst).keys()]);
    assert.ok(notFound.length <= burst + Math.ceil(rate * elapsedS) + 1, `${notFound.length} served in ${elapsedS} s`);
    assert.equal(new Set(notFound.map((m) => m.id)).size, notFound.length, 'each id answered once');

    // Nothing was created: no share, no swarm, no negotiation; the database was only read.
    assert.deepEqual(await state(srv), before);
    assert.deepEqual(await storeFiles(srv.dataDir), filesBefore);
    const notFoundAfter = metric(await readMetrics(srv), 'peershare_errors_total', { code: 'not_found' });
    assert.equal(notFoundAfter - notFoundBefore, notFound.length, 'each not_found counted once');
    assert.equal((await getJson(srv, `/api/resources/${ids[0]}`)).status, 404);

    await assertServes(srv);
  }));

test('a flood of announces of new shares: max_swarms are announced and stored, the rest of the burst too_many_swarms and not stored, then rate_limited and close 1008', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--messages-per-second', '1', '--message-burst', '400'] });
    const a = await ctx.connect(srv);
    const { message_burst: burst, max_swarms: maxSwarms } = a.welcome.limits;
    assert.deepEqual([burst, maxSwarms], [400, 256]);

    const total = 1000;
    const shares = Array.from({ length: total }, (_, i) => makeShare(`flood${i}`));
    const { answers, closed } = await floodAndCollect(
      a,
      shares.map((s, i) => ({ type: 'announce', id: i, resource: s.id, complete: true, metadata: s.base64 })),
    );
    assert.equal((closed || (await a.waitClosed())).code, 1008, 'message_burst refusals in a row close the connection');

    const announced = answers.filter((m) => m.type === 'announced');
    const tooMany = answers.filter((m) => isError(m, 'too_many_swarms'));
    const limited = answers.filter((m) => isError(m, 'rate_limited'));
    assert.equal(announced.length + tooMany.length + limited.length, answers.length, 'no other answer');
    assert.deepEqual(announced.map((m) => m.id), [...Array(maxSwarms).keys()], 'the first max_swarms are announced');
    const served = announced.length + tooMany.length;
    assert.ok(served >= burst && served < burst + 20, `the burst (and little more) is served: ${served}`);
    assert.deepEqual(tooMany.map((m) => m.id), [...Array(tooMany.length).keys()].map((i) => maxSwarms + i), 'then too_many_swarms, in order');
    // The last refusal's error may be replaced by the close.
    assert.ok(limited.length >= burst - 1, `rate_limited before the close: ${limited.length}`);
    assert.ok(answers.length < total, 'messages after the close were not answered');

    // Only the announced shares were stored; the refused ones left no trace.
    const stats = await getJson(srv, '/api/stats');
    assert.equal(stats.body.resources, maxSwarms);
    assert.equal((await getJson(srv, `/api/resources/${shares[maxSwarms - 1].id}`)).status, 200);
    assert.equal((await getJson(srv, `/api/resources/${shares[maxSwarms].id}`)).status, 404, 'a too_many_swarms share is not stored');
    await assertServes(srv);
  }));
