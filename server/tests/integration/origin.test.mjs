// The WebSocket upgrade's Origin check (docs/protocol.md §2): own origin, --allowed-origin, or no Origin; anything else is 403.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertServes, scenario } from './harness.mjs';

test('an upgrade from a foreign Origin is refused with HTTP 403', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${srv.port + 1}`, 'http://127.0.0.1', `http://${srv.host}.evil.example`]) {
      const r = await ctx.tryConnect(srv, { origin });
      assert.equal(r.status, 403, `Origin ${origin}`);
    }
    await assertServes(srv);
  }));

test('the server’s own origin and a missing Origin are accepted', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const same = await ctx.connect(srv, { origin: srv.origin });
    await same.barrier();
    const none = await ctx.connect(srv); // ws sends no Origin unless asked: a native peer
    await none.barrier();
  }));

test('--allowed-origin adds origins; others stay refused and the own origin stays accepted', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({
      args: ['--allowed-origin', 'http://app.example', '--allowed-origin', 'https://other.example:8443'],
    });
    for (const origin of ['http://app.example', 'https://other.example:8443', srv.origin]) {
      const c = await ctx.connect(srv, { origin });
      await c.barrier();
    }
    for (const origin of ['http://evil.example', 'https://app.example', 'http://app.example.evil.example', 'https://other.example']) {
      const r = await ctx.tryConnect(srv, { origin });
      assert.equal(r.status, 403, `Origin ${origin}`);
    }
    await assertServes(srv);
  }));
