// Strict validation of client frames (docs/protocol.md §2, §2.3): typed errors, request ids echoed, connection kept open.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertServes, isError, makeShare, randomId, scenario } from './harness.mjs';

// Sends a raw text frame and waits for the next `error` message (frames that cannot be parsed carry no id).
async function rawError(client, text) {
  client.sendRaw(text);
  return client.next((m) => m.type === 'error', undefined, `an error for ${text}`);
}

test('malformed JSON and JSON that is not an object are bad_json, and the connection stays usable', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const share = makeShare('json');
    const a = await ctx.connect(srv);
    await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    for (const text of ['{', '{"type":"lookup",', 'not json', '', '[1]', '"lookup"', '42', 'null', 'true', '{"type":"lookup"} x']) {
      const e = await rawError(a, text);
      assert.equal(e.code, 'bad_json', `frame ${JSON.stringify(text)} → ${JSON.stringify(e)}`);
      assert.equal(typeof e.message, 'string');
      const lr = await a.request({ type: 'lookup', resource: share.id });
      assert.equal(lr.type, 'lookup_result', `lookup after ${JSON.stringify(text)}`);
    }
    assert.equal(a.closeInfo, undefined);
    await assertServes(srv);
  }));

test('every truncation of a valid message is bad_json and changes nothing', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const share = makeShare('truncated');
    const a = await ctx.connect(srv);
    const b = await ctx.connect(srv);
    const full = JSON.stringify({ type: 'announce', id: 7, resource: share.id, complete: true, metadata: share.base64 });
    // Every proper prefix, cut at each byte of the head and then every 97 bytes through the metadata.
    const cuts = [];
    for (let n = 0; n < full.length; n += n < 120 ? 1 : 97) cuts.push(n);
    cuts.push(full.length - 2, full.length - 1);
    for (const n of cuts) {
      const e = await rawError(a, full.slice(0, n));
      assert.equal(e.code, 'bad_json', `prefix of ${n} bytes → ${JSON.stringify(e)}`);
      assert.equal(e.id, undefined, 'an unparsable frame has no id to echo');
    }
    // Nothing was announced: the share is unknown, and the whole message still works.
    const lr = await b.request({ type: 'lookup', resource: share.id });
    assert.ok(isError(lr, 'not_found'), JSON.stringify(lr));
    assert.equal((await a.requestRaw(full, 7)).type, 'announced');
    await assertServes(srv);
  }));

test('missing type, wrong field types and missing fields are bad_message carrying the request id', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const share = makeShare('fields');
    const a = await ctx.connect(srv);
    await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    const id = share.id;
    const cases = [
      { id: 1 },
      { id: 2, type: 5 },
      { id: 3, type: null },
      { id: 4, type: 'lookup' },
      { id: 5, type: 'lookup', resource: 5 },
      { id: 6, type: 'lookup', resource: null },
      { id: 7, type: 'announce', resource: id },
      { id: 8, type: 'announce', resource: id, complete: 'yes' },
      { id: 9, type: 'announce', resource: id, complete: 1 },
      { id: 10, type: 'announce', resource: id, complete: true, metadata: 17 },
      { id: 11, type: 'leave' },
      { id: 12, type: 'signal', resource: id, kind: 'offer', data: {} },
      { id: 13, type: 'signal', resource: id, to: 7, kind: 'offer', data: {} },
      { id: 14, type: 'signal', resource: id, to: 'ab'.repeat(16), kind: 1, data: {} },
      { id: 15, type: 'lookup', resource: id, extra: true },
      { id: 'sixteen', type: 'lookup', resource: id, extra: true },
    ];
    for (const msg of cases) {
      const r = await a.request(msg);
      assert.ok(isError(r, 'bad_message', msg.id), `${JSON.stringify(msg)} → ${JSON.stringify(r)}`);
    }
    const lr = await a.request({ type: 'lookup', resource: id });
    assert.equal(lr.type, 'lookup_result');
    await assertServes(srv);
  }));

test('request ids: integers 0..2^53-1 and strings up to 64 characters are echoed; other ids are bad_message', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const share = makeShare('ids');
    const a = await ctx.connect(srv);
    await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    for (const id of [0, 1, 9007199254740991, '', 'x', 'é', 'z'.repeat(64)]) {
      const r = await a.request({ type: 'lookup', id, resource: share.id });
      assert.equal(r.type, 'lookup_result', `id ${JSON.stringify(id)}`);
      assert.equal(r.id, id);
      const e = await a.request({ type: 'nope', id });
      assert.ok(isError(e, 'unknown_type', id), `error with id ${JSON.stringify(id)}: ${JSON.stringify(e)}`);
    }
    // The exact integer 2^53 - 1 is echoed as written (not rounded).
    a.sendRaw(`{"type":"lookup","id":9007199254740991,"resource":"${share.id}"}`);
    const exact = await a.next((m) => m.type === 'lookup_result');
    assert.equal(exact.id, 9007199254740991);

    for (const bad of ['-1', '1.5', '9007199254740992', JSON.stringify('z'.repeat(65)), '{}', '[]', 'true', 'null']) {
      const e = await rawError(a, `{"type":"lookup","id":${bad},"resource":"${share.id}"}`);
      assert.equal(e.code, 'bad_message', `id ${bad} → ${JSON.stringify(e)}`);
    }
    assert.equal((await a.request({ type: 'lookup', resource: share.id })).type, 'lookup_result');
    await assertServes(srv);
  }));

test('an unknown type is unknown_type, including the names of server messages', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const a = await ctx.connect(srv);
    for (const [i, type] of ['frobnicate', 'welcome', 'announced', 'lookup_result', 'error', 'LOOKUP', ''].entries()) {
      const r = await a.request({ type, id: `t${i}` });
      assert.ok(isError(r, 'unknown_type', `t${i}`), `type ${JSON.stringify(type)} → ${JSON.stringify(r)}`);
    }
    await a.barrier();
    await assertServes(srv);
  }));

test('a resource that is not 64 lowercase hex digits is bad_resource_id', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const a = await ctx.connect(srv);
    const good = randomId();
    const badIds = [good.toUpperCase(), good.slice(1), `${good}0`, `${good.slice(1)}g`, '', ` ${good.slice(1)}`];
    let n = 0;
    for (const resource of badIds) {
      for (const msg of [
        { type: 'lookup', resource },
        { type: 'announce', resource, complete: false },
        { type: 'leave', resource },
        { type: 'signal', resource, to: 'ab'.repeat(16), kind: 'offer', data: {} },
      ]) {
        const id = ++n;
        const r = await a.request({ ...msg, id });
        assert.ok(isError(r, 'bad_resource_id', id), `${JSON.stringify(msg)} → ${JSON.stringify(r)}`);
      }
    }
    await a.barrier();
    await assertServes(srv);
  }));

test('a binary frame is bad_message and the connection stays open', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const a = await ctx.connect(srv);
    a.sendRaw(Buffer.from('{"type":"lookup","resource":"00"}'), { binary: true });
    const e = await a.next((m) => m.type === 'error');
    assert.equal(e.code, 'bad_message');
    await a.barrier();
    assert.equal(a.closeInfo, undefined);
    await assertServes(srv);
  }));

test('invalid UTF-8 in a text frame closes the connection with 1007', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const a = await ctx.connect(srv);
    a.sendRaw(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
    const closed = await a.waitClosed();
    assert.equal(closed.code, 1007);
    await assertServes(srv);
  }));

test('a text frame cut inside a multi-byte character closes the connection with 1007', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const a = await ctx.connect(srv);
    const text = Buffer.from('{"type":"lookup","id":"é"}', 'utf8');
    const cut = text.subarray(0, text.indexOf(0xc3) + 1); // the first byte of "é" and nothing after
    a.sendRaw(cut, { binary: false });
    const closed = await a.waitClosed();
    assert.equal(closed.code, 1007);
    await assertServes(srv);
  }));
