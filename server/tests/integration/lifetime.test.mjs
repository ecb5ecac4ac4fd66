// Resource lifetime (docs/protocol.md §4): a share with no holder is deleted after the grace period, a held one never is.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { getJson, makeShare, putMetadata, scenario, waitFor } from './harness.mjs';

const GRACE = ['--grace-period', '1s'];
// Deletion happens within a sweep after the grace period; 10 s leaves room for any sweep interval
// up to several grace periods on a loaded machine.
const DELETE_DEADLINE_MS = 10000;

async function waitGone(srv, id) {
  await waitFor(`${id} to be deleted`, async () => (await getJson(srv, `/api/resources/${id}`)).status === 404, {
    timeoutMs: DELETE_DEADLINE_MS,
    intervalMs: 100,
  });
}

const exists = async (srv, id) => (await getJson(srv, `/api/resources/${id}`)).status === 200;

test('after the last holder disconnects, the share is deleted once the grace period passes', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: GRACE });
    const share = makeShare('disconnect');
    const a = await ctx.connect(srv);
    await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    await a.close();
    await waitGone(srv, share.id);
    const b = await ctx.connect(srv);
    const r = await b.request({ type: 'lookup', resource: share.id });
    assert.equal(r.code, 'not_found');
  }));

test('after the last holder leaves, the share is deleted once the grace period passes', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: GRACE });
    const share = makeShare('leave');
    const a = await ctx.connect(srv);
    await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    const left = await a.request({ type: 'leave', resource: share.id });
    assert.equal(left.type, 'left');
    await waitGone(srv, share.id);
  }));

test('a share with a connected holder outlives several grace periods and sweeps', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: GRACE });
    const held = makeShare('held');
    const holder = await ctx.connect(srv);
    await holder.request({ type: 'announce', resource: held.id, complete: false, metadata: held.base64 });
    const announcedAt = Date.now();

    // Two unheld shares uploaded one after the other: each is deleted by a sweep after a grace
    // period, so the held share has lived through at least two grace periods and sweeps that
    // deleted things.
    for (const label of ['unheld-1', 'unheld-2']) {
      const unheld = makeShare(label);
      assert.equal((await putMetadata(srv, unheld.id, unheld.bytes)).status, 201);
      await waitGone(srv, unheld.id);
      assert.ok(await exists(srv, held.id), `held share still there after ${label} was swept`);
    }
    assert.ok(Date.now() - announcedAt >= 2000, 'at least two grace periods passed');
    const info = (await getJson(srv, `/api/resources/${held.id}`)).body;
    assert.equal(info.holders, 1);

    // Once the holder goes, it is deleted too.
    await holder.close();
    await waitGone(srv, held.id);
  }));

test('a share whose holder comes back within the grace period is kept', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--grace-period', '10m'] });
    const share = makeShare('back');
    const a = await ctx.connect(srv);
    await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    await a.close();
    await waitFor('holders to drop to 0', async () => (await getJson(srv, `/api/resources/${share.id}`)).body.holders === 0, {
      timeoutMs: 5000,
    });
    const b = await ctx.connect(srv);
    const again = await b.request({ type: 'announce', resource: share.id, complete: true });
    assert.equal(again.type, 'announced', 'no metadata needed: the share was kept');
  }));
