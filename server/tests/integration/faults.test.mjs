// Faults of the host (docs/protocol.md §2.3 store_unavailable, §4): a data dir the server cannot write at start, a disk that fills up while it runs, and kill -9 under load followed by a restart.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';

import {
  assertServes,
  buildFakeShare,
  databaseFile,
  fillDisk,
  getJson,
  httpGet,
  integrityCheck,
  isError,
  KiB,
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

test('kill -9 under load, then a restart on the same data dir: every acknowledged share is there byte for byte and the database is sound', () =>
  scenario(async (ctx) => {
    const first = await ctx.startServer({ args: ['--messages-per-second', '100000', '--message-burst', '100000'] });
    const target = 1500; // acknowledged writes before the kill
    const acked = new Map(); // id → metadata bytes, once the server acknowledged storing it
    let reached;
    const enough = new Promise((resolve) => (reached = resolve));
    const ack = (share) => {
      acked.set(share.id, share.bytes);
      if (acked.size === target) reached();
    };
    let stopped = false;

    // WebSocket clients announce new shares back to back (the ack is `announced`), then leave, so
    // the store also records emptied swarms; HTTP clients PUT larger metadata (the ack is 201).
    const announcer = async (client, n) => {
      for (let i = 0; !stopped; i++) {
        const s = makeShare(`ws${n}-${i}`);
        try {
          const r = await client.request({ type: 'announce', resource: s.id, complete: true, metadata: s.base64 });
          if (r.type === 'announced') ack(s);
          await client.request({ type: 'leave', resource: s.id });
        } catch {
          return; // the server died under us
        }
      }
    };
    const uploader = async (n) => {
      for (let i = 0; !stopped; i++) {
        // ~1000 pieces: 32 KiB of hashes, several database pages per share.
        const s = buildFakeShare({ name: `put${n}-${i}`, files: [{ path: 'big.bin', size: 1000 * 256 * KiB }] });
        try {
          if ((await putMetadata(first, s.id, s.bytes)).status === 201) ack(s);
        } catch {
          return;
        }
      }
    };
    const clients = await Promise.all([1, 2, 3, 4].map(() => ctx.connect(first)));
    const load = Promise.all([...clients.map((c, n) => announcer(c, n)), uploader(1), uploader(2)]);

    // Kill it mid-stream, once a good number of writes went through.
    let timer;
    const gaveUp = new Promise((resolve) => (timer = setTimeout(resolve, 20000)));
    await Promise.race([enough, gaveUp]);
    clearTimeout(timer);
    assert.ok(acked.size >= target, `only ${acked.size} shares acknowledged in 20 s`);
    const crash = await first.kill9('a crash under load, for the restart');
    stopped = true;
    await load;
    assert.equal(crash.signal, 'SIGKILL');
    const snapshot = new Map(acked); // an ack cannot arrive from a dead server, but be exact

    const second = await ctx.startServer({ dataDir: first.dataDir });
    assert.equal(await integrityCheck(databaseFile(first.dataDir)), 'ok');
    const entries = [...snapshot];
    const missing = [];
    for (let i = 0; i < entries.length; i += 16) {
      await Promise.all(
        entries.slice(i, i + 16).map(async ([id, bytes]) => {
          const r = await httpGet(second, `/api/resources/${id}/metadata`);
          if (r.status !== 200 || !r.body.equals(bytes)) missing.push(`${id}: ${r.status}`);
        }),
      );
    }
    assert.deepEqual(missing, [], `acknowledged shares lost or changed by the crash (of ${entries.length})`);
    const stats = (await getJson(second, '/api/stats')).body;
    assert.ok(stats.resources >= snapshot.size, `${stats.resources} stored, ${snapshot.size} acknowledged`);
    assert.equal(stats.swarms, 0, 'presence does not survive a restart');
    await assertServes(second);
  }));
