// The resource HTTP API (docs/protocol.md §3) and the metadata validation rules of §1 as seen through PUT.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  GiB,
  KiB,
  MiB,
  buildFakeShare,
  encodeMetadata,
  getJson,
  httpGet,
  httpRequest,
  idOf,
  makeShare,
  putMetadata,
  randomId,
  scenario,
  sha256,
  vectorShare,
} from './harness.mjs';

function assertApiError(res, status, code) {
  assert.equal(res.status, status, `status (body: ${res.body.toString().slice(0, 300)})`);
  assert.match(String(res.headers['content-type']), /application\/json/);
  const body = res.json();
  assert.equal(typeof body.error, 'object', JSON.stringify(body));
  if (code) assert.equal(body.error.code, code, JSON.stringify(body));
  assert.equal(typeof body.error.message, 'string');
}

test('PUT metadata answers 201 when new and 200 when already known; GET describes the share per §3', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const v = vectorShare();
    const before = Math.floor(Date.now() / 1000);
    const first = await putMetadata(srv, v.id, v.bytes);
    assert.equal(first.status, 201, first.body.toString());
    const second = await putMetadata(srv, v.id, v.bytes);
    assert.equal(second.status, 200, second.body.toString());
    const after = Math.ceil(Date.now() / 1000);

    const r = await getJson(srv, `/api/resources/${v.id}`);
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /application\/json/);
    const b = r.body;
    assert.equal(b.id, v.id);
    assert.equal(b.name, 'vector');
    assert.equal(b.size, 300006);
    assert.equal(b.piece_size, 262144);
    assert.equal(b.piece_count, 2);
    assert.deepEqual(b.files, [
      { path: 'a.bin', size: 300000 },
      { path: 'dir/b.txt', size: 6 },
    ]);
    assert.equal(b.holders, 0);
    assert.equal(b.complete_holders, 0);
    assert.ok(Number.isInteger(b.created) && b.created >= before && b.created <= after, `created ${b.created} in [${before}, ${after}]`);
    assert.ok(Number.isInteger(b.last_seen) && b.last_seen >= before && b.last_seen <= after, `last_seen ${b.last_seen}`);

    const m = await httpGet(srv, `/api/resources/${v.id}/metadata`);
    assert.equal(m.status, 200);
    assert.match(String(m.headers['content-type']), /^application\/octet-stream/);
    assert.match(String(m.headers['cache-control']), /immutable/);
    assert.equal(m.body.toString('hex'), v.bytes.toString('hex'));
  }));

test('holders and complete_holders follow the swarm', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const share = makeShare('holders');
    const a = await ctx.connect(srv);
    const b = await ctx.connect(srv);
    await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    await b.request({ type: 'announce', resource: share.id, complete: false });
    let r = await getJson(srv, `/api/resources/${share.id}`);
    assert.equal(r.body.holders, 2);
    assert.equal(r.body.complete_holders, 1);
    await b.request({ type: 'leave', resource: share.id });
    r = await getJson(srv, `/api/resources/${share.id}`);
    assert.equal(r.body.holders, 1);
    assert.equal(r.body.complete_holders, 1);
  }));

test('PUT of metadata that does not hash to the id is 422 metadata_mismatch and stores nothing', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const a = makeShare('a');
    const b = makeShare('b');
    assertApiError(await putMetadata(srv, a.id, b.bytes), 422, 'metadata_mismatch');
    assertApiError(await httpGet(srv, `/api/resources/${a.id}`), 404, 'not_found');
    assertApiError(await httpGet(srv, `/api/resources/${b.id}`), 404, 'not_found');
  }));

test('unknown resources are 404 with a JSON error; malformed ids are 400', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const id = randomId();
    assertApiError(await httpGet(srv, `/api/resources/${id}`), 404, 'not_found');
    assertApiError(await httpGet(srv, `/api/resources/${id}/metadata`), 404, 'not_found');
    for (const bad of [id.toUpperCase(), id.slice(1), `${id}00`, 'zz', `${id.slice(2)}%20%20`]) {
      assertApiError(await httpGet(srv, `/api/resources/${bad}`), 400, 'bad_resource_id');
      assertApiError(await httpGet(srv, `/api/resources/${bad}/metadata`), 400, 'bad_resource_id');
      const share = makeShare('x');
      assertApiError(await putMetadata(srv, bad, share.bytes), 400, 'bad_resource_id');
    }
  }));

test('a method the route does not serve is 405 method_not_allowed', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const share = makeShare('methods');
    assert.equal((await putMetadata(srv, share.id, share.bytes)).status, 201);
    assertApiError(await httpRequest(srv, 'DELETE', `/api/resources/${share.id}`), 405, 'method_not_allowed');
    assertApiError(await httpRequest(srv, 'POST', `/api/resources/${share.id}/metadata`, { body: share.bytes }), 405, 'method_not_allowed');
    assert.equal((await getJson(srv, `/api/resources/${share.id}`)).status, 200, 'still there');
  }));

test('PUT over max_metadata_bytes (2 MiB) is 413', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const body = Buffer.alloc(2 * MiB + 1, 0x41);
    const res = await putMetadata(srv, idOf(body), body);
    assertApiError(res, 413);
    assert.equal((await httpGet(srv, '/healthz')).status, 200);
  }));

// Each variant breaks exactly one rule of §1.1 – §1.3; hashing it gives the id it is PUT under.
function layoutVariants() {
  const h = (s) => sha256(Buffer.from(s));
  const ps = 256 * KiB;
  const one = (path, size = 10) => ({ path, size });
  const base = { pieceSize: ps, name: 'n', files: [one('f')], pieceHashes: [h('0')] };
  const v = {
    'wrong magic': { ...base, magic: 'PSH2' },
    'magic of another format': { ...base, magic: 'PK\u0003\u0004' },
    'a trailing byte': { ...base, trailing: Buffer.from([0]) },
    'piece size not the rule (512 KiB for 10 bytes)': { ...base, pieceSize: 512 * KiB },
    'piece size not the rule (128 KiB)': { ...base, pieceSize: 128 * KiB },
    'piece size zero': { ...base, pieceSize: 0 },
    'piece count too high': { ...base, pieceHashes: [h('0'), h('1')] },
    'piece count zero for non-empty content': { ...base, pieceHashes: [] },
    'empty name': { ...base, name: '' },
    'name of 256 bytes': { ...base, name: 'n'.repeat(256) },
    'name with a slash': { ...base, name: 'a/b' },
    'name with a backslash': { ...base, name: 'a\\b' },
    'name with a control character': { ...base, name: 'a\u0007b' },
    'name with DEL': { ...base, name: 'a\u007fb' },
    'name with invalid UTF-8': { ...base, name: Buffer.from([0x61, 0xff, 0x62]) },
    'zero files': { ...base, files: [], pieceHashes: [] },
    'file count larger than the table': { ...base, fileCount: 2 },
    'empty path': { ...base, files: [one('')] },
    'path with an empty component': { ...base, files: [one('a//b')] },
    'path with a leading slash': { ...base, files: [one('/a')] },
    'path with a trailing slash': { ...base, files: [one('a/')] },
    'path component ..': { ...base, files: [one('a/../b')] },
    'path component .': { ...base, files: [one('./a')] },
    'path with a backslash': { ...base, files: [one('a\\b')] },
    'path with a NUL': { ...base, files: [one('a\u0000b')] },
    'path with a newline': { ...base, files: [one('a\nb')] },
    'path with invalid UTF-8': { ...base, files: [{ path: Buffer.from([0x61, 0xc3]), size: 10 }] },
    'path of 1025 bytes': { ...base, files: [one('p'.repeat(1025))] },
    'duplicate paths': { ...base, files: [one('a', 5), one('a', 5)] },
    'a path that is a directory prefix of another': { ...base, files: [one('a', 5), one('a/b', 5)] },
    'size over 2^53 - 1': { ...base, files: [one('f', 2n ** 53n)], pieceHashes: [] },
  };
  return Object.entries(v).map(([what, fields]) => [what, encodeMetadata(fields)]);
}

test('PUT of metadata breaking the §1 layout is 400 bad_metadata, and nothing is stored', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const problems = [];
    for (const [what, bytes] of layoutVariants()) {
      const id = idOf(bytes);
      let res;
      try {
        res = await putMetadata(srv, id, bytes);
      } catch (err) {
        problems.push(`${what} (${bytes.length} bytes): no HTTP answer (${err.code || err.message})`);
        continue;
      }
      let code;
      try {
        code = res.json().error.code;
      } catch {
        code = undefined;
      }
      if (res.status !== 400 || code !== 'bad_metadata') problems.push(`${what}: HTTP ${res.status} ${res.body.toString().slice(0, 200)}`);
      else if ((await httpGet(srv, `/api/resources/${id}`)).status !== 404) problems.push(`${what}: stored anyway`);
    }
    assert.deepEqual(problems, []);
  }));

test('PUT accepts edge cases the layout allows', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const h = sha256(Buffer.from('x'));
    const ok = {
      'an empty share (total 0, piece_count 0)': encodeMetadata({ pieceSize: 256 * KiB, name: 'empty', files: [{ path: 'e', size: 0 }], pieceHashes: [] }),
      'name of 255 bytes': encodeMetadata({ pieceSize: 256 * KiB, name: 'n'.repeat(255), files: [{ path: 'f', size: 1 }], pieceHashes: [h] }),
      'path of 1024 bytes': encodeMetadata({ pieceSize: 256 * KiB, name: 'p', files: [{ path: 'p'.repeat(1024), size: 1 }], pieceHashes: [h] }),
      'UTF-8 names and paths': encodeMetadata({ pieceSize: 256 * KiB, name: 'Ünïcødé ✓ 文件', files: [{ path: 'répertoire/файл.txt', size: 1 }], pieceHashes: [h] }),
      'paths sharing a prefix that is not a directory': encodeMetadata({
        pieceSize: 256 * KiB,
        name: 'pre',
        files: [{ path: 'a', size: 1 }, { path: 'ab/c', size: 1 }, { path: 'a.txt', size: 1 }],
        pieceHashes: [h],
      }),
      'a piece spanning files, last piece short': encodeMetadata({
        pieceSize: 256 * KiB,
        name: 'span',
        files: [{ path: 'x', size: 200 * KiB }, { path: 'y', size: 200 * KiB }],
        pieceHashes: [h, h],
      }),
    };
    const problems = [];
    for (const [what, bytes] of Object.entries(ok)) {
      let res;
      try {
        res = await putMetadata(srv, idOf(bytes), bytes);
      } catch (err) {
        problems.push(`${what} (${bytes.length} bytes): no HTTP answer (${err.code || err.message})`);
        continue;
      }
      if (res.status !== 201) problems.push(`${what}: HTTP ${res.status} ${res.body.toString().slice(0, 200)}`);
    }
    assert.deepEqual(problems, []);
  }));

test('the piece size rule is enforced: 9 GiB needs 512 KiB pieces', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const files = [{ path: 'big.iso', size: 9 * GiB }];
    const wrong = buildFakeShare({ name: 'big', files, pieceSize: 256 * KiB }); // 36864 pieces > 32768
    assertApiError(await putMetadata(srv, wrong.id, wrong.bytes), 400, 'bad_metadata');
    const tooBig = buildFakeShare({ name: 'big', files, pieceSize: 1 * MiB }); // fits, but is not the smallest
    assertApiError(await putMetadata(srv, tooBig.id, tooBig.bytes), 400, 'bad_metadata');
    const right = buildFakeShare({ name: 'big', files });
    assert.equal(right.pieceSize, 512 * KiB);
    const res = await putMetadata(srv, right.id, right.bytes);
    assert.equal(res.status, 201, res.body.toString());
    const info = (await getJson(srv, `/api/resources/${right.id}`)).body;
    assert.equal(info.size, 9 * GiB);
    assert.equal(info.piece_size, 512 * KiB);
    assert.equal(info.piece_count, 18432);
  }));

test('over 10000 files is bad_metadata; exactly 10000 is accepted', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const mk = (n) =>
      buildFakeShare({ name: `files-${n}`, files: Array.from({ length: n }, (_, i) => ({ path: `f${i}`, size: 1 })) });
    const max = mk(10000);
    const res = await putMetadata(srv, max.id, max.bytes);
    assert.equal(res.status, 201, res.body.toString());
    const over = mk(10001);
    assertApiError(await putMetadata(srv, over.id, over.bytes), 400, 'bad_metadata');
  }));
