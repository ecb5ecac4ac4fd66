// Requests written back to back (docs/protocol.md §2): the server answers every one, in order, with
// the replies of one receive gathered into few sends, and a close behind them still comes last; what
// a connection is sent while its own request waits on the store is not held back meanwhile.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertServes, clientFrame, makeShare, metric, OPCODE, randomId, rawWebSocket, readMetrics, scenario, waitFor } from './harness.mjs';

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

test('a signal to a connection whose own lookup waits on a stopped Redis arrives at once, not with the lookup\'s answer', () =>
  scenario(async (ctx) => {
    const { redis, servers: [srv] } = await ctx.startInstances(1);
    const share = makeShare('waiting');
    const a = await ctx.connect(srv);
    const b = await ctx.connect(srv);
    await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    await b.request({ type: 'announce', resource: share.id, complete: false });
    const lookups = async () => metric(await readMetrics(srv), 'peershare_messages_in_total', { type: 'lookup' });
    const before = await lookups();
    redis.child.kill('SIGSTOP');
    try {
      // A's lookup reads the swarm from Redis, which does not answer (the server gives up after 1 s).
      a.send({ type: 'lookup', id: 'waits', resource: share.id });
      await waitFor("A's lookup to be taken in", async () => (await lookups()) > before);
      b.send({ type: 'signal', resource: share.id, to: a.peer, kind: 'offer', data: { sdp: 'v=0' } });
      const offer = await a.next((m) => m.type === 'signal' && m.kind === 'offer');
      assert.equal(offer.from, b.peer);
      assert.ok(!a.queue.some((m) => m.id === 'waits'), 'the signal came before the answer to the lookup waiting on Redis');
    } finally {
      redis.child.kill('SIGCONT');
    }
    const answer = await a.next((m) => m.id === 'waits');
    assert.ok(['lookup_result', 'error'].includes(answer.type), JSON.stringify(answer));
  }));
