// Faults of the host (docs/protocol.md §2.3 store_unavailable, §4): a data dir the server cannot write at start, and a disk that fills up while it runs.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';

import {
  assertServes,
  databaseFile,
  fillDisk,
  getJson,
  integrityCheck,
  isError,
  makeShare,
  MiB,
  putMetadata,
  runBinary,
  scenario,
} from './harness.mjs';

// `peershare serve` on `dataDir`, expected to refuse to start.
async function refusedStart(dataDir) {
  const r = await runBinary(['serve', '--host', '127.0.0.1', '--port', '0', '--no-stun', '--data-dir', dataDir]);
  assert.notEqual(r.code, 0, `the server started on ${dataDir}:\n${r.stderr}`);
  assert.equal(r.signal, null, 'it exited by itself');
  assert.doesNotMatch(r.stderr, /listening on/);
  return r.stderr;
}

test('a --data-dir that is a regular file: the server exits non-zero with a message naming it', () =>
  scenario(async (ctx) => {
    const file = path.join(await ctx.tempDir(), 'not-a-directory');
    await fs.writeFile(file, 'x');
    const stderr = await refusedStart(file);
    assert.ok(stderr.includes(file), stderr);
    assert.match(stderr, /not a directory/i);
    assert.equal(await fs.readFile(file, 'utf8'), 'x', 'the file is left alone');
  }));

test('a --data-dir on a read-only mount: the server exits non-zero naming the directory and the reason', (t) =>
  scenario(async (ctx) => {
    const mnt = await ctx.mountTmpfs(1 * MiB, { readOnly: true });
    if (mnt.skip) return t.skip(mnt.skip);
    const stderr = await refusedStart(mnt.dir);
    assert.ok(stderr.includes(mnt.dir), stderr);
    assert.match(stderr, /not writable: Read-only file system/);
    // A directory to be created below it is refused the same way.
    const below = path.join(mnt.dir, 'data');
    assert.match(await refusedStart(below), new RegExp(`${below}.*Read-only file system`));
  }));

test('the disk fills up: new shares get store_unavailable, known shares and swarms keep working, writes resume once space is freed, the database stays sound', (t) =>
  scenario(async (ctx) => {
    const mnt = await ctx.mountTmpfs(4 * MiB);
    if (mnt.skip) return t.skip(mnt.skip);
    const srv = await ctx.startServer({ dataDir: mnt.dir });
    const [active, stored, uploaded] = [makeShare('active'), makeShare('stored'), makeShare('uploaded')];

    // Before: a swarm of two, a share stored by announce whose swarm emptied, one stored by PUT.
    const [a, b, c] = [await ctx.connect(srv), await ctx.connect(srv), await ctx.connect(srv)];
    assert.equal((await a.request({ type: 'announce', resource: active.id, complete: true, metadata: active.base64 })).type, 'announced');
    assert.equal((await b.request({ type: 'announce', resource: active.id, complete: false })).type, 'announced');
    await a.nextOfType('peer_joined');
    assert.equal((await c.request({ type: 'announce', resource: stored.id, complete: true, metadata: stored.base64 })).type, 'announced');
    assert.equal((await c.request({ type: 'leave', resource: stored.id })).type, 'left');
    assert.equal((await putMetadata(srv, uploaded.id, uploaded.bytes)).status, 201);
    const resources = (await getJson(srv, '/api/stats')).body.resources;
    assert.equal(resources, 3);

    const filler = await fillDisk(mnt.dir);

    // A new share cannot be stored: a typed error carrying the request id, by WebSocket and HTTP.
    const fresh = makeShare('fresh');
    const refused = await c.request({ type: 'announce', id: 'fresh', resource: fresh.id, complete: true, metadata: fresh.base64 });
    assert.ok(isError(refused, 'store_unavailable', 'fresh'), JSON.stringify(refused));
    const put = await putMetadata(srv, fresh.id, fresh.bytes);
    assert.equal(put.status, 503);
    assert.equal(put.json().error.code, 'store_unavailable');
    assert.ok(isError(await c.request({ type: 'lookup', resource: fresh.id }), 'not_found'), 'nothing half-stored');
    assert.match(srv.stderr, /store: announce of \w+ failed: .*database or disk is full/, 'the log says why');

    // The swarm in memory keeps relaying.
    b.send({ type: 'signal', resource: active.id, to: a.peer, kind: 'offer', data: { sdp: 'offer' } });
    assert.deepEqual((await a.nextOfType('signal')).data, { sdp: 'offer' });
    a.send({ type: 'signal', resource: active.id, to: b.peer, kind: 'answer', data: { sdp: 'answer' } });
    assert.deepEqual((await b.nextOfType('signal')).data, { sdp: 'answer' });

    // Shares the server already has are looked up and re-announced (with or without metadata);
    // nothing new has to be written for them.
    const lr = await c.request({ type: 'lookup', resource: stored.id });
    assert.equal(lr.type, 'lookup_result', JSON.stringify(lr));
    assert.equal(lr.metadata, stored.base64);
    assert.equal((await c.request({ type: 'announce', resource: stored.id, complete: true })).type, 'announced');
    assert.equal((await c.request({ type: 'announce', resource: uploaded.id, complete: true, metadata: uploaded.base64 })).type, 'announced');
    assert.equal((await putMetadata(srv, active.id, active.bytes)).status, 200);
    assert.equal((await getJson(srv, '/api/stats')).body.resources, resources);

    // Space comes back: writes work again without a restart.
    await fs.rm(filler);
    assert.equal((await c.request({ type: 'announce', resource: fresh.id, complete: true, metadata: fresh.base64 })).type, 'announced');
    const fresh2 = makeShare('fresh2');
    assert.equal((await putMetadata(srv, fresh2.id, fresh2.bytes)).status, 201);
    assert.equal((await getJson(srv, '/api/stats')).body.resources, resources + 2);
    assert.equal(await integrityCheck(databaseFile(mnt.dir)), 'ok');
    await assertServes(srv);
  }));
