// The welcome message (docs/protocol.md §2.1): peer id, protocol version, ICE servers and limits, defaults and flags.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { scenario } from './harness.mjs';

// Every limit §2.1 lists, with its value (a later protocol may add more; clients ignore those).
function assertLimits(limits, expected) {
  assert.equal(typeof limits, 'object');
  for (const [k, v] of Object.entries(expected)) assert.equal(limits[k], v, `limits.${k}`);
}

test('welcome carries a random 32-hex peer id, protocol 1, an ice_servers array and the default limits', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const a = await ctx.connect(srv);
    const b = await ctx.connect(srv);
    const w = a.welcome;
    assert.equal(w.type, 'welcome');
    assert.equal(w.protocol, 1);
    assert.match(w.peer, /^[0-9a-f]{32}$/);
    assert.match(b.welcome.peer, /^[0-9a-f]{32}$/);
    assert.notEqual(w.peer, b.welcome.peer, 'each connection gets its own peer id');
    assert.ok(Array.isArray(w.ice_servers), 'ice_servers is an array');
    for (const s of w.ice_servers) assert.ok(s && typeof s === 'object' && 'urls' in s, `RTCIceServer has urls: ${JSON.stringify(s)}`);
    assertLimits(w.limits, {
      max_message_bytes: 65536,
      max_swarms: 256,
      messages_per_second: 50,
      message_burst: 300,
      max_lookup_peers: 50,
    });
  }));

test('welcome is sent once, before anything else', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const a = await ctx.connect(srv);
    await a.assertNothing((m) => m.type === 'welcome', 'a second welcome');
  }));

test('welcome limits reflect the configured flags', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({
      args: [
        '--max-message-bytes', '4096',
        '--max-swarms', '7',
        '--messages-per-second', '9',
        '--message-burst', '33',
        '--max-lookup-peers', '3',
      ],
    });
    const a = await ctx.connect(srv);
    assertLimits(a.welcome.limits, {
      max_message_bytes: 4096,
      max_swarms: 7,
      messages_per_second: 9,
      message_burst: 33,
      max_lookup_peers: 3,
    });
  }));

test('welcome lists the built-in STUN responder, then the --stun-server URLs, as one ICE server', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--stun-server', 'stun:stun.example.org:3478'] });
    const a = await ctx.connect(srv);
    assert.deepEqual(a.welcome.ice_servers, [{ urls: [`stun:127.0.0.1:${srv.stunPort}`, 'stun:stun.example.org:3478'] }]);
  }));
