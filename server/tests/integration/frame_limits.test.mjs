// Frame and message size limits (docs/protocol.md §2.3, §2.4): close 1009 past max_message_bytes, fragmented messages, the server keeps serving.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertServes, makeShare, randomId, rawWebSocket, scenario } from './harness.mjs';

// A valid lookup frame of exactly `size` bytes (padded with JSON whitespace).
function paddedLookup(resource, size) {
  const base = JSON.stringify({ type: 'lookup', id: 'padded', resource });
  if (size < base.length) throw new Error('size too small');
  return base.slice(0, -1) + ' '.repeat(size - base.length) + '}';
}

test('a text frame over 64 KiB closes the connection with 1009 and the server still serves new connections', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const a = await ctx.connect(srv);
    a.sendRaw('x'.repeat(70000));
    const closed = await a.waitClosed();
    assert.equal(closed.code, 1009);
    await assertServes(srv);
  }));

test('a frame of exactly max_message_bytes is accepted', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const share = makeShare('exact');
    const a = await ctx.connect(srv);
    await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    a.sendRaw(paddedLookup(share.id, 65536));
    const r = await a.next((m) => m.id === 'padded');
    assert.equal(r.type, 'lookup_result');
  }));

test('a message over the limit split into small fragments closes with 1009', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const a = await ctx.connect(srv);
    const part = 'y'.repeat(40000);
    a.sendRaw(part, { fin: false });
    a.sendRaw(part, { fin: true });
    const closed = await a.waitClosed();
    assert.equal(closed.code, 1009);
    await assertServes(srv);
  }));

test('an oversized frame is refused from its header, before its payload arrives', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const raw = await rawWebSocket(srv);
    try {
      const welcome = await raw.readFrame();
      assert.equal(welcome.opcode, 1, 'the first frame is the welcome text frame');
      assert.equal(JSON.parse(welcome.payload.toString()).type, 'welcome');
      raw.writeHeaderOnly(1, 70000); // no payload follows
      const frame = await raw.readFrame();
      assert.ok(frame, 'the server sent a close frame before closing the socket');
      assert.equal(frame.opcode, 8, 'a close frame');
      assert.equal(frame.payload.readUInt16BE(0), 1009);
    } finally {
      raw.destroy();
    }
    await assertServes(srv);
  }));

test('with --max-message-bytes 1024 a 2000-byte frame closes with 1009 and a 1000-byte frame is fine', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--max-message-bytes', '1024'] });
    const share = makeShare('small');
    const a = await ctx.connect(srv);
    assert.equal(a.welcome.limits.max_message_bytes, 1024);
    await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    a.sendRaw(paddedLookup(share.id, 1000));
    assert.equal((await a.next((m) => m.id === 'padded')).type, 'lookup_result');

    a.sendRaw(paddedLookup(share.id, 2000));
    const closed = await a.waitClosed();
    assert.equal(closed.code, 1009);
    assert.ok(!a.queue.some((m) => m.id === 'padded'), 'the oversized frame was not processed');
    await assertServes(srv);
  }));

test('a valid message split into 1-byte frames, with a ping between them, is reassembled and answered', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const share = makeShare('fragments');
    const a = await ctx.connect(srv);
    await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    const raw = await rawWebSocket(srv);
    try {
      assert.equal((await raw.readJson()).type, 'welcome');
      const text = JSON.stringify({ type: 'lookup', id: 'one-byte-frames', resource: share.id });
      raw.writeFragmented(text, 1, { ping: true });
      const pong = await raw.readFrame();
      assert.equal(pong.opcode, 10, 'the ping inside the fragmented message is answered at once');
      assert.equal(pong.payload.toString(), 'mid-message');
      const reply = await raw.readJson();
      assert.equal(reply.type, 'lookup_result', JSON.stringify(reply));
      assert.equal(reply.id, 'one-byte-frames');
      assert.equal(reply.metadata, share.base64);
    } finally {
      raw.destroy();
    }
    await assertServes(srv);
  }));

test('an over-limit message in 1-byte frames still closes with 1009', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const raw = await rawWebSocket(srv);
    try {
      assert.equal((await raw.readJson()).type, 'welcome');
      // 65537 one-byte frames: one byte past max_message_bytes (64 KiB) in total, each frame tiny.
      raw.writeFragmented(paddedLookup(randomId(), 65537), 1);
      const frame = await raw.readFrame(10000);
      assert.ok(frame, 'the server sent a close frame before closing the socket');
      assert.equal(frame.opcode, 8, `a close frame, not ${frame.opcode}: ${frame.payload.toString().slice(0, 200)}`);
      assert.equal(frame.payload.readUInt16BE(0), 1009);
    } finally {
      raw.destroy();
    }
    await assertServes(srv);
  }));
