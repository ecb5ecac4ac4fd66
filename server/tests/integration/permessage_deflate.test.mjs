// permessage-deflate (RFC 7692) is refused: the server frames its messages itself, uncompressed,
// so it must never agree to the extension, whoever asks for it; the connection works without it.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import WebSocket from 'ws';

import { Client, OPCODE, randomId, rawWebSocket, scenario, STEP_TIMEOUT_MS } from './harness.mjs';

const OFFER = 'permessage-deflate; client_max_window_bits';

test('a raw upgrade asking for permessage-deflate gets a 101 without Sec-WebSocket-Extensions and uncompressed frames', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const raw = await rawWebSocket(srv, { headers: { 'Sec-WebSocket-Extensions': OFFER } });
    try {
      assert.doesNotMatch(raw.upgradeHead, /^sec-websocket-extensions:/im, raw.upgradeHead);

      const welcome = await raw.readFrame();
      assert.ok(welcome, 'the connection ended before the welcome');
      assert.equal(welcome.opcode, OPCODE.text);
      assert.equal(welcome.rsv, 0, 'RSV1 (compressed) or another reserved bit set on the welcome');
      assert.equal(JSON.parse(welcome.payload.toString('utf8')).type, 'welcome');

      const resource = randomId();
      raw.writeText(JSON.stringify({ type: 'lookup', id: 'uncompressed', resource }));
      const reply = await raw.readFrame();
      assert.ok(reply, 'the connection ended before the reply');
      assert.equal(reply.rsv, 0, 'RSV1 (compressed) or another reserved bit set on the reply');
      const answer = JSON.parse(reply.payload.toString('utf8'));
      assert.equal(answer.id, 'uncompressed');
      assert.equal(answer.code, 'not_found');
    } finally {
      raw.destroy();
    }
  }));

test('the ws client offering permessage-deflate connects without it and is answered', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    let offered;
    const ws = new WebSocket(srv.wsUrl, {
      perMessageDeflate: true,
      handshakeTimeout: STEP_TIMEOUT_MS,
      finishRequest: (req) => {
        offered = req.getHeader('sec-websocket-extensions');
        req.end();
      },
    });
    const client = new Client(ws); // collects the welcome and replies from the start
    ctx.clients.push(client);
    const opened = once(ws, 'open'); // emitted right after 'upgrade', in the same turn
    const [response] = await once(ws, 'upgrade');
    assert.match(String(offered), /^permessage-deflate/, 'the client offered the extension');
    assert.equal(response.headers['sec-websocket-extensions'], undefined);
    await opened;
    assert.equal(ws.extensions, '', 'no extension in use');

    // ws refuses a frame with RSV1 set when nothing was negotiated (close 1002), so answers that
    // arrive prove the frames were uncompressed.
    await client.nextOfType('welcome');
    const reply = await client.request({ type: 'lookup', resource: randomId() });
    assert.equal(reply.code, 'not_found');
    assert.equal(client.closeInfo, undefined);
    assert.equal(client.lastError, undefined);
    await client.close();
    assert.equal(client.closeInfo.code, 1000);
  }));
