// The server at its file-descriptor limit: open connections keep being served, new ones are refused
// at once with HTTP 503, the accept loop does not spin, and connections are accepted again once
// some close (server/src/net/listener.cpp).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { cpuSeconds, httpGet, scenario, sleep, waitFor } from './harness.mjs';

// Small enough to reach in a moment, large enough for the store, the STUN socket and a few clients.
const LIMIT = 48;

test('at the descriptor limit new connections get HTTP 503, open ones are served, and accept does not spin', () =>
  scenario(async (ctx) => {
    // Two network threads whatever the machine: each thread's event loop holds a few descriptors.
    const srv = await ctx.startServer({ descriptorLimit: LIMIT, args: ['--max-connections-per-ip', '1000', '--threads', '2'] });
    assert.match(srv.stderr, new RegExp(`file descriptor limit ${LIMIT}\\b`));

    const open = [];
    let refused;
    while (!refused) {
      assert.ok(open.length < LIMIT, 'every descriptor cannot be a connection');
      const r = await ctx.tryConnect(srv);
      if (r.client) open.push(r.client);
      else refused = r;
    }
    assert.equal(refused.status, 503);
    assert.ok(open.length >= LIMIT / 2, `only ${open.length} connections before the limit`);
    for (const c of open) await c.barrier(); // every open connection still answers

    // At the limit, with refused clients arriving and then none, the server stays nearly idle.
    // A spinning accept loop would use a whole core over the window (1 s of wall time).
    const pid = srv.child.pid;
    const before = cpuSeconds(pid);
    const started = Date.now();
    for (let i = 0; i < 20; i++) assert.equal((await ctx.tryConnect(srv)).status, 503);
    await sleep(Math.max(0, 1000 - (Date.now() - started))); // the measurement window, not a wait for a state
    const used = cpuSeconds(pid) - before;
    const wall = (Date.now() - started) / 1000;
    assert.ok(used < 0.5 * wall, `the server used ${used} CPU-s in ${wall} s at the limit`);
    await open[0].barrier();
    await open.at(-1).barrier();

    // Closing connections frees descriptors: a new connection is accepted again, and the
    // refusals were counted.
    for (const c of open.splice(0, 4)) await c.close();
    const again = await waitFor('a connection accepted after some closed', async () => {
      const r = await ctx.tryConnect(srv);
      return r.client;
    });
    await again.barrier();
    const metrics = await httpGet(srv, '/metrics');
    assert.equal(metrics.status, 200);
    const text = metrics.text();
    const count = Number(/peershare_connections_refused_total\{reason="descriptors"\} (\d+)/.exec(text)?.[1]);
    assert.ok(count >= 21, `refusals counted: ${count}`);
  }));
