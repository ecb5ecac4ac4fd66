// Requests written back to back (docs/protocol.md §2.4): the server answers every one, in order, with
// the replies of one receive gathered into few sends, and a close behind them still comes last.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertServes, clientFrame, makeShare, OPCODE, randomId, rawWebSocket, scenario } from './harness.mjs';

const REQUESTS = 300;

test('300 requests in one TCP write, valid and refused mixed, are all answered in order; a close written after them comes last', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--messages-per-second', '1000', '--message-burst', '1000'] });
    const share = makeShare('pipelined');
    const holder = await ctx.connect(srv);
    await holder.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });

    const raw = await rawWebSocket(srv);
    try {
      assert.equal((await raw.readJson()).type, 'welcome');
      const expected = [];
      const frames = [];
      for (let i = 0; i < REQUESTS; i++) {
        // Every third asks for an unknown share (refused with not_found), the others for the held one.
        const unknown = i % 3 === 2;
        frames.push(clientFrame(OPCODE.text, Buffer.from(JSON.stringify({ type: 'lookup', id: i, resource: unknown ? randomId() : share.id }))));
        expected.push(unknown ? 'error' : 'lookup_result');
      }
      const close = Buffer.alloc(2);
      close.writeUInt16BE(1000);
      frames.push(clientFrame(OPCODE.close, close));
      raw.sock.write(Buffer.concat(frames));

      for (let i = 0; i < REQUESTS; i++) {
        const reply = await raw.readJson();
        assert.ok(reply, `reply ${i} arrived before the socket ended`);
        assert.equal(reply.id, i, 'replies come in request order');
        assert.equal(reply.type, expected[i], JSON.stringify(reply));
        if (reply.type === 'error') assert.equal(reply.code, 'not_found');
        else assert.equal(reply.peer_count, 1);
      }
      const last = await raw.readFrame();
      assert.ok(last, 'the server answered the close before ending the connection');
      assert.equal(last.opcode, OPCODE.close, 'after the replies comes the close frame');
      assert.equal(last.payload.readUInt16BE(0), 1000);
      assert.ok(await raw.waitEnded(), 'the server ends the connection after the close handshake');
    } finally {
      raw.destroy();
    }
    await assertServes(srv);
  }));
