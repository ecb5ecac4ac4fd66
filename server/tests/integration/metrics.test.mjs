// /metrics in Prometheus text format (docs/protocol.md §3): every listed metric with its type, and counters that move.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { makeShare, metric, randomId, readMetrics, scenario, tryConnect, waitFor } from './harness.mjs';

const LISTED = {
  peershare_connections: 'gauge',
  peershare_connections_total: 'counter',
  peershare_connections_refused_total: 'counter',
  peershare_swarms: 'gauge',
  peershare_peers_in_swarms: 'gauge',
  peershare_resources: 'gauge',
  peershare_messages_in_total: 'counter',
  peershare_messages_out_total: 'counter',
  peershare_errors_total: 'counter',
  peershare_http_requests_total: 'counter',
};

test('/metrics is Prometheus text declaring every metric of §3 with its type', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const m = await readMetrics(srv);
    assert.match(String(m.response.headers['content-type']), /^text\/plain/);
    const problems = [];
    for (const [name, type] of Object.entries(LISTED)) {
      if (m.types.get(name) !== type) problems.push(`# TYPE ${name} is ${m.types.get(name)}, want ${type}`);
    }
    assert.deepEqual(problems, []);
    for (const g of ['peershare_connections', 'peershare_swarms', 'peershare_peers_in_swarms', 'peershare_resources', 'peershare_connections_total']) {
      assert.ok(m.some((s) => s.name === g), `${g} has a sample`);
    }
    assert.ok(!m.some((s) => s.name.startsWith('peershare_cluster_')), 'no cluster metrics without --store redis://');
  }));

test('message, error, connection and gauge metrics move with traffic', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const before = await readMetrics(srv);
    assert.equal(metric(before, 'peershare_connections'), 0);

    const share = makeShare('metrics');
    const a = await ctx.connect(srv);
    const b = await ctx.connect(srv);
    await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    await b.request({ type: 'announce', resource: share.id, complete: false });
    await b.request({ type: 'lookup', resource: share.id });
    await b.request({ type: 'lookup', resource: randomId() }); // not_found
    b.sendRaw('{nope');
    await b.next((m) => m.type === 'error' && m.code === 'bad_json');
    b.sendRaw('{nope either');
    await b.next((m) => m.type === 'error' && m.code === 'bad_json');

    const after = await readMetrics(srv);
    const delta = (name, labels) => metric(after, name, labels) - metric(before, name, labels);
    assert.equal(delta('peershare_messages_in_total', { type: 'announce' }), 2);
    assert.ok(delta('peershare_messages_in_total', { type: 'lookup' }) >= 2);
    assert.equal(delta('peershare_errors_total', { code: 'bad_json' }), 2);
    assert.equal(delta('peershare_errors_total', { code: 'not_found' }), 1);
    assert.equal(delta('peershare_messages_out_total', { type: 'welcome' }), 2);
    assert.equal(delta('peershare_messages_out_total', { type: 'announced' }), 2);
    assert.equal(delta('peershare_messages_out_total', { type: 'peer_joined' }), 1);
    assert.equal(delta('peershare_connections_total'), 2);
    assert.equal(metric(after, 'peershare_connections'), 2);
    assert.equal(metric(after, 'peershare_swarms'), 1);
    assert.equal(metric(after, 'peershare_peers_in_swarms'), 2);
    assert.equal(metric(after, 'peershare_resources'), 1);
    assert.ok(delta('peershare_http_requests_total', { status: '2xx' }) >= 1, 'the first /metrics read was counted');

    await b.close();
    await waitFor('peershare_connections to drop to 1', async () => metric(await readMetrics(srv), 'peershare_connections') === 1, { timeoutMs: 5000 });
    const end = await readMetrics(srv);
    assert.equal(metric(end, 'peershare_peers_in_swarms'), 1);
  }));

test('refused upgrades are counted by reason', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--max-connections-per-ip', '1'] });
    const before = await readMetrics(srv);
    const r = await tryConnect(srv, { origin: 'http://evil.example' });
    assert.equal(r.status, 403);
    const a = await ctx.connect(srv);
    const r2 = await tryConnect(srv);
    assert.equal(r2.status, 429);
    // Close the one WebSocket before reading, so the read is not itself over the per-IP limit.
    await a.close();
    const after = await waitFor('a /metrics read', () => readMetrics(srv).catch(() => undefined), { timeoutMs: 5000 });
    const delta = (labels) =>
      metric(after, 'peershare_connections_refused_total', labels) - metric(before, 'peershare_connections_refused_total', labels);
    assert.equal(delta({ reason: 'origin' }), 1);
    assert.equal(delta({ reason: 'per_ip' }), 1);
  }));
