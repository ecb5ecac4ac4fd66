// Shares survive a crash (kill -9) and a restart on the same data dir (docs/protocol.md §4).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { getJson, httpGet, makeShare, putMetadata, scenario, vectorShare } from './harness.mjs';

test('after kill -9 and a restart on the same data dir, shares and their exact metadata bytes are still there', () =>
  scenario(async (ctx) => {
    const first = await ctx.startServer();
    const uploaded = vectorShare();
    const announced = makeShare('announced');
    assert.equal((await putMetadata(first, uploaded.id, uploaded.bytes)).status, 201);
    const a = await ctx.connect(first);
    const ann = await a.request({ type: 'announce', resource: announced.id, complete: true, metadata: announced.base64 });
    assert.equal(ann.type, 'announced');
    const infoBefore = (await getJson(first, `/api/resources/${uploaded.id}`)).body;

    const crash = await first.kill9('a crash, for the restart');
    assert.equal(crash.signal, 'SIGKILL');
    const restartedAt = Math.floor(Date.now() / 1000);
    const second = await ctx.startServer({ dataDir: first.dataDir });

    for (const share of [uploaded, announced]) {
      const info = await getJson(second, `/api/resources/${share.id}`);
      assert.equal(info.status, 200, `${share.id} survived the crash`);
      assert.equal(info.body.id, share.id);
      assert.equal(info.body.holders, 0, 'presence does not survive a restart');
      assert.ok(info.body.last_seen >= restartedAt, `last_seen ${info.body.last_seen} is reset to the start time (>= ${restartedAt})`);
      const m = await httpGet(second, `/api/resources/${share.id}/metadata`);
      assert.equal(m.status, 200);
      assert.equal(m.body.toString('hex'), share.bytes.toString('hex'));
    }
    const infoAfter = (await getJson(second, `/api/resources/${uploaded.id}`)).body;
    assert.equal(infoAfter.created, infoBefore.created, 'created is kept');
    assert.equal(infoAfter.name, 'vector');

    // Known again: announce without metadata works, PUT says 200.
    const b = await ctx.connect(second);
    const again = await b.request({ type: 'announce', resource: announced.id, complete: true });
    assert.equal(again.type, 'announced');
    assert.equal((await putMetadata(second, uploaded.id, uploaded.bytes)).status, 200);
  }));

test('a graceful stop and restart keeps shares too', () =>
  scenario(async (ctx) => {
    const first = await ctx.startServer();
    const share = makeShare('graceful');
    assert.equal((await putMetadata(first, share.id, share.bytes)).status, 201);
    const stopped = await first.stop();
    assert.equal(stopped.code, 0);
    const second = await ctx.startServer({ dataDir: first.dataDir });
    const m = await httpGet(second, `/api/resources/${share.id}/metadata`);
    assert.equal(m.status, 200);
    assert.ok(m.body.equals(share.bytes));
  }));
