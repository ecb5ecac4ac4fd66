// The welcome message (docs/protocol.md §2.1): peer id, protocol version, ICE servers and limits, defaults and flags.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { clientFrame, OPCODE, randomId, rawWebSocket, scenario } from './harness.mjs';

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

test('welcome is sent once, before anything else, even to a client whose requests come with its upgrade', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    // The upgrade request and three lookups leave in one TCP write: the server has the requests
    // before it has sent anything.
    const ids = ['early-1', 'early-2', 'early-3'];
    const lookups = ids.map((id) => clientFrame(OPCODE.text, Buffer.from(JSON.stringify({ type: 'lookup', id, resource: randomId() }))));
    const raw = await rawWebSocket(srv, { after: Buffer.concat(lookups) });
    try {
      const first = await raw.readFrame();
      assert.ok(first, 'the server sent a frame');
      assert.equal(first.opcode, OPCODE.text, `the first frame is a text frame (opcode ${first.opcode})`);
      const welcome = JSON.parse(first.payload.toString('utf8'));
      assert.equal(welcome.type, 'welcome', `the first message: ${JSON.stringify(welcome)}`);
      // Then the replies, in order, and no second welcome up to the reply of a later request.
      const after = [];
      const reply = (id) => raw.readJson().catch((err) => assert.fail(`no reply to "${id}" (${err.message}) after ${JSON.stringify(after)}`));
      for (const id of ids) after.push(await reply(id));
      raw.writeText(JSON.stringify({ type: 'lookup', id: 'later', resource: randomId() }));
      after.push(await reply('later'));
      assert.deepEqual(
        after.map((m) => [m?.type, m?.id, m?.code]),
        [...ids, 'later'].map((id) => ['error', id, 'not_found']),
        `what followed the welcome: ${JSON.stringify(after)}`,
      );
    } finally {
      raw.destroy();
    }
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
