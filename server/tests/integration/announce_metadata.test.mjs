// Metadata over the signaling channel (docs/protocol.md §1, §2.1, §2.2): mismatch, bad metadata, metadata_required, not_found, inline size cap.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  buildShare,
  getJson,
  httpGet,
  idOf,
  isError,
  makeShare,
  putMetadata,
  randomId,
  scenario,
  vectorShare,
} from './harness.mjs';

test('announce with metadata that does not hash to the id is metadata_mismatch and creates nothing', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const real = makeShare('real');
    const other = makeShare('other');
    const a = await ctx.connect(srv);
    const r = await a.request({ type: 'announce', id: 1, resource: real.id, complete: true, metadata: other.base64 });
    assert.ok(isError(r, 'metadata_mismatch', 1), JSON.stringify(r));
    assert.equal((await getJson(srv, `/api/resources/${real.id}`)).status, 404);
    assert.equal((await getJson(srv, `/api/resources/${other.id}`)).status, 404);
    const lr = await a.request({ type: 'lookup', id: 2, resource: real.id });
    assert.ok(isError(lr, 'not_found', 2), JSON.stringify(lr));
    // still open, and the right metadata is accepted afterwards
    const ok = await a.request({ type: 'announce', id: 3, resource: real.id, complete: true, metadata: real.base64 });
    assert.equal(ok.type, 'announced');
  }));

test('metadata that is not base64 is bad_metadata', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const a = await ctx.connect(srv);
    const share = makeShare('b64');
    const broken = [
      '!!!not base64!!!',
      share.base64.slice(0, -1) + '*',
      share.base64.replace(/=+$/, '') + '===',
      share.bytes.toString('base64url') + '-_', // URL-safe alphabet is not standard base64
    ];
    for (const [i, metadata] of broken.entries()) {
      const r = await a.request({ type: 'announce', id: i, resource: share.id, complete: true, metadata });
      assert.ok(isError(r, 'bad_metadata', i), `${metadata} → ${JSON.stringify(r)}`);
    }
    assert.equal((await getJson(srv, `/api/resources/${share.id}`)).status, 404);
  }));

test('metadata that hashes to the id but breaks the layout is bad_metadata', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const a = await ctx.connect(srv);
    const good = makeShare('layout');
    const variants = {
      'random bytes': Buffer.from('this is not a peershare document'),
      'a trailing byte': Buffer.concat([good.bytes, Buffer.from([0])]),
      'truncated': good.bytes.subarray(0, good.bytes.length - 1),
      'empty': Buffer.alloc(0),
    };
    let n = 0;
    for (const [what, bytes] of Object.entries(variants)) {
      const id = idOf(bytes); // the hash matches: only the layout is wrong
      const r = await a.request({ type: 'announce', id: ++n, resource: id, complete: true, metadata: bytes.toString('base64') });
      assert.ok(isError(r, 'bad_metadata', n), `${what} → ${JSON.stringify(r)}`);
      assert.equal((await getJson(srv, `/api/resources/${id}`)).status, 404, what);
    }
    await a.barrier();
  }));

test('announce of an unknown share without metadata is metadata_required; with it uploaded first it works', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const share = makeShare('required');
    const a = await ctx.connect(srv);
    const r = await a.request({ type: 'announce', id: 7, resource: share.id, complete: false });
    assert.ok(isError(r, 'metadata_required', 7), JSON.stringify(r));
    assert.equal((await putMetadata(srv, share.id, share.bytes)).status, 201);
    const ok = await a.request({ type: 'announce', id: 8, resource: share.id, complete: false });
    assert.equal(ok.type, 'announced');
    assert.equal(ok.peers, 1);
    // Announcing known metadata again, inline, is fine too.
    const b = await ctx.connect(srv);
    const ok2 = await b.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    assert.equal(ok2.type, 'announced');
    assert.equal(ok2.peers, 2);
  }));

test('lookup of an unknown share is not_found', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const a = await ctx.connect(srv);
    const r = await a.request({ type: 'lookup', id: 'nf', resource: randomId() });
    assert.ok(isError(r, 'not_found', 'nf'), JSON.stringify(r));
    assert.equal((await a.request({ type: 'lookup', id: 'nf2', resource: randomId() })).code, 'not_found');
  }));

test('lookup works without being in the swarm and returns the §1.4 vector metadata with metadata_size 122', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const v = vectorShare();
    const a = await ctx.connect(srv);
    const ann = await a.request({ type: 'announce', resource: v.id, complete: true, metadata: v.base64 });
    assert.equal(ann.type, 'announced');
    const b = await ctx.connect(srv);
    const lr = await b.request({ type: 'lookup', resource: v.id });
    assert.equal(lr.metadata_size, 122);
    assert.equal(lr.metadata, v.base64);
    assert.equal(Buffer.from(lr.metadata, 'base64').toString('hex'), v.bytes.toString('hex'));
  }));

test('lookup omits metadata whose base64 is over 32 KiB; GET /api/resources/<id>/metadata serves it', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    // ~300 files with long paths: a file table of ~34 KB, base64 ~45 KB > 32 KiB.
    const files = [];
    for (let i = 0; i < 300; i++) files.push({ path: `folder/${String(i).padStart(4, '0')}-${'n'.repeat(90)}.txt`, data: Buffer.from([i & 0xff]) });
    const big = buildShare({ name: 'many-files', files });
    assert.ok(big.base64.length > 32 * 1024);
    assert.equal((await putMetadata(srv, big.id, big.bytes)).status, 201);

    // And one just at the edge: base64 of exactly 32 KiB is still inline.
    const edge = sizedShare(32 * 1024);
    assert.equal(edge.base64.length, 32 * 1024);
    assert.equal((await putMetadata(srv, edge.id, edge.bytes)).status, 201);

    const a = await ctx.connect(srv);
    const lr = await a.request({ type: 'lookup', resource: big.id });
    assert.equal(lr.type, 'lookup_result');
    assert.ok(!('metadata' in lr), 'metadata is absent');
    assert.equal(lr.metadata_size, big.bytes.length);
    assert.equal(lr.peer_count, 0);
    assert.deepEqual(lr.peers, []);
    const got = await httpGet(srv, `/api/resources/${big.id}/metadata`);
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(big.bytes));

    const lrEdge = await a.request({ type: 'lookup', resource: edge.id });
    assert.equal(lrEdge.metadata, edge.base64, 'base64 of exactly 32 KiB is inline');
  }));

// A valid share whose metadata has exactly base64Len * 3 / 4 bytes (base64Len a multiple of 4, so
// its base64 is base64Len characters): 1-byte files whose paths fill the file table.
function sizedShare(base64Len) {
  const target = (base64Len / 4) * 3;
  const name = 'edge';
  // magic, piece_size, name_length, name, file_count, piece_count, one piece hash
  let remaining = target - (4 + 4 + 2 + name.length + 4 + 4 + 32);
  const files = [];
  while (remaining > 0) {
    // an entry is 2 + path + 8 bytes; keep every path 20..1000 bytes
    let len = Math.min(1000, remaining - 10);
    const rest = remaining - 10 - len;
    if (rest > 0 && rest < 40) len -= 40;
    const prefix = `f${files.length}-`;
    files.push({ path: prefix + 'q'.repeat(len - prefix.length), data: Buffer.from('m') });
    remaining -= 10 + len;
  }
  const s = buildShare({ name, files });
  if (s.bytes.length !== target) throw new Error(`sizedShare: ${s.bytes.length} != ${target}`);
  return s;
}
