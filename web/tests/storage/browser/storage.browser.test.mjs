// Owns the real-browser storage test: builds the test page with vite, serves it on 127.0.0.1 and drives
// headless Chromium to run the storage contract against OPFS and FileSource, hashFiles against
// node:crypto, persistence across a reload, locking between tabs and a throughput probe (which
// checks that what it read back is what it wrote).
//
// Run: node --test web/tests/storage/browser/
// Env: STORAGE_BENCH_MIB (default 64) sets the size of the throughput probe; CHROMIUM overrides the path.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';

import { CHROMIUM_ARGS } from '../../e2e/browser.mjs';

const pageDir = path.dirname(fileURLToPath(import.meta.url));
const BENCH_MIB = Number(process.env.STORAGE_BENCH_MIB ?? 64);
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

let tmp;
let server;
let profileDir;
let context;
let baseUrl;

async function serve(root) {
  const srv = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const file = path.join(root, rel);
    if (!file.startsWith(root + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return srv;
}

async function newPage() {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  page.on('console', (message) => {
    if (message.type() === 'error') console.error('page console:', message.text());
  });
  await page.goto(baseUrl);
  await page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready');
  return page;
}

function pieceHashes(buffer, pieceSize) {
  const hashes = [];
  for (let at = 0; at < buffer.length; at += pieceSize) {
    hashes.push(createHash('sha256').update(buffer.subarray(at, at + pieceSize)).digest('hex'));
  }
  return hashes;
}

// Writes the files to disk and returns their paths and their concatenation.
async function makeFiles(name, contents) {
  const paths = [];
  for (const [i, bytes] of contents.entries()) {
    const file = path.join(tmp, `${name}-${i}.bin`);
    await writeFile(file, bytes);
    paths.push(file);
  }
  return { paths, all: Buffer.concat(contents) };
}

before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'peershare-storage-'));
  const outDir = path.join(tmp, 'site');
  await build({
    configFile: false,
    root: pageDir,
    base: '/',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, minify: false, sourcemap: false, modulePreload: { polyfill: false } },
  });
  server = await serve(outDir);
  baseUrl = `http://127.0.0.1:${server.address().port}/`;
  // A persistent profile on disk: OPFS in an incognito context (browser.newContext()) lives in memory,
  // which would hide real disk behaviour and quota.
  profileDir = path.join(tmp, 'profile');
  context = await launch();
});

function launch() {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
}

after(async () => {
  await context?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('the storage contract passes against OPFS and FileSource in Chromium', async (t) => {
  const page = await newPage();
  const names = await page.evaluate(() => window.storageTests.listContract());
  assert.ok(names.some((n) => n.startsWith('opfs: ')) && names.some((n) => n.startsWith('file-source: ')));
  const results = await page.evaluate(() => window.storageTests.runContract());
  for (const r of results) t.diagnostic(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.ms.toFixed(0)} ms)${r.ok ? '' : `: ${r.error}`}`);
  const failed = results.filter((r) => !r.ok);
  assert.equal(results.length, names.length);
  assert.deepEqual(failed, [], 'contract failures');
  await page.close();
});

test('hashFiles matches node:crypto on the protocol test vector', async () => {
  const a = Buffer.alloc(300000);
  for (let i = 0; i < a.length; i++) a[i] = i % 251;
  const { paths, all } = await makeFiles('vector', [a, Buffer.from('hello\n')]);
  const page = await newPage();
  await page.setInputFiles('#files', paths);
  const { hashes, progress } = await page.evaluate(() => window.storageTests.hashPicked(262144));
  // docs/protocol.md §1.4
  assert.deepEqual(hashes, [
    '31a1f9dea0169551092d05e8bf4a446228c8c3eb4c9b713c66adcb7fd53c89be',
    '7c25b2c404dfbc6104e78cd6eea1fa847fa81e2374f949e045fddf95e893b35e',
  ]);
  assert.deepEqual(hashes, pieceHashes(all, 262144));
  assert.deepEqual(progress.at(-1), [300006, 300006]);
  await page.close();
});

test('hashFiles and FileSource read pieces spanning many files, empty ones included', async () => {
  const sizes = [0, 70000, 1, 0, 200000, 65536, 3, 0, 500000, 12345, 0];
  const { paths, all } = await makeFiles('multi', sizes.map((n) => randomBytes(n)));
  const page = await newPage();
  await page.setInputFiles('#files', paths);
  for (const pieceSize of [65536, 262144, 1 << 20]) {
    const { hashes } = await page.evaluate((size) => window.storageTests.hashPicked(size), pieceSize);
    assert.deepEqual(hashes, pieceHashes(all, pieceSize), `piece size ${pieceSize}`);
  }
  const ranges = [
    [0, all.length],
    [69999, 3],
    [70000, 1],
    [65536, 65536],
    [270000, 300000],
    [all.length - 1, 1],
    [all.length, 0],
  ];
  const { totalSize, digests } = await page.evaluate((r) => window.storageTests.readPicked(r), ranges);
  assert.equal(totalSize, all.length);
  assert.deepEqual(
    digests,
    ranges.map(([o, l]) => createHash('sha256').update(all.subarray(o, o + l)).digest('hex')),
  );
  const empty = await page.evaluate(async () => {
    document.getElementById('files').value = '';
    return window.storageTests.hashPicked(65536);
  });
  assert.deepEqual(empty.hashes, []);
  await page.close();
});

test('hashFiles reports progress on a large input and can be aborted', async (t) => {
  const big = randomBytes(96 << 20);
  const { paths, all } = await makeFiles('big', [big.subarray(0, 40 << 20), Buffer.alloc(0), big.subarray(40 << 20)]);
  const page = await newPage();
  await page.setInputFiles('#files', paths);
  const pieceSize = 256 * 1024;
  const { hashes, progress, ms } = await page.evaluate((size) => window.storageTests.hashPicked(size), pieceSize);
  assert.deepEqual(hashes, pieceHashes(all, pieceSize));
  t.diagnostic(`hashed ${all.length >> 20} MiB in ${ms.toFixed(0)} ms (${(all.length / 1e6 / (ms / 1000)).toFixed(0)} MB/s), ${progress.length} progress calls`);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i][0] >= progress[i - 1][0], 'progress goes forward');
  assert.ok(progress.every(([, total]) => total === all.length));
  assert.deepEqual(progress.at(-1), [all.length, all.length]);
  // At most one call per ~100 ms, plus the final one.
  assert.ok(progress.length <= Math.ceil(ms / 100) + 2, `${progress.length} progress calls in ${ms} ms`);

  const aborted = await page.evaluate((size) => window.storageTests.hashAbort(size, 30), pieceSize);
  assert.equal(aborted.name, 'AbortError', aborted.error);
  assert.ok(aborted.ms < ms, 'abort stopped the work early');
  const preAborted = await page.evaluate((size) => window.storageTests.hashAbort(size, -1), pieceSize);
  assert.equal(preAborted.name, 'AbortError', preAborted.error);
  assert.equal(preAborted.progressCalls, 0);
  await page.close();
});

test('pieces and have survive a reload, a stopped worker and a browser restart', async () => {
  const page = await newPage();
  const shareId = `persist-${Date.now()}`;
  const pieceSize = 64 * 1024;
  const totalSize = 7 * pieceSize + 100;
  const pieces = [0, 2, 3, 7];
  const have = [0b10110000, 0b00000001];
  const before = await page.evaluate(
    ([id, size, ps, p, h]) => window.storageTests.persistWrite(id, size, ps, p, h, false),
    [shareId, totalSize, pieceSize, pieces, have],
  );
  // Reload without closing the store: the page's worker dies with its handles open.
  await page.reload();
  await page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready');
  const afterReload = await page.evaluate(
    ([id, size, ps, p]) => window.storageTests.persistCheck(id, size, ps, p),
    [shareId, totalSize, pieceSize, pieces],
  );
  assert.deepEqual(afterReload.mismatches, []);
  assert.equal(afterReload.listed, true);
  assert.deepEqual(afterReload.have, have);
  assert.equal(afterReload.digest, before);
  assert.equal(afterReload.blobDigest, before);

  // A worker stopped mid-session (no close) leaves the share openable with its last have.
  await page.evaluate(
    ([id, size, ps]) => window.storageTests.persistWrite(id, size, ps, [1], [0b11110000, 1], false),
    [shareId, totalSize, pieceSize],
  );
  const crashed = await page.evaluate(([id, size]) => window.storageTests.crashAndReopen(id, size), [shareId, totalSize]);
  assert.equal(crashed.error, undefined);
  assert.deepEqual(crashed.have, [0b11110000, 1]);

  // A browser restart (same profile) keeps everything.
  await context.close();
  context = await launch();
  const restarted = await newPage();
  const afterRestart = await restarted.evaluate(
    ([id, size, ps, p]) => window.storageTests.persistCheck(id, size, ps, p),
    [shareId, totalSize, pieceSize, [...pieces, 1]],
  );
  assert.deepEqual(afterRestart.mismatches, []);
  assert.deepEqual(afterRestart.have, [0b11110000, 1]);
  assert.equal(await restarted.evaluate((id) => window.storageTests.remove(id), shareId), 'ok');
  await restarted.close();
});

test('a damaged have slot falls back to the previous bitfield, then to none', async () => {
  const page = await newPage();
  const result = await page.evaluate((id) => window.storageTests.haveFallback(id), `have-${Date.now()}`);
  assert.deepEqual(result, { afterOne: [2, 2, 2, 2, 2], afterBoth: null, afterSave: [4, 4, 4, 4, 4] });
  await page.close();
});

test('a share larger than the browser quota fails to open with storage_full', async () => {
  const page = await newPage();
  const shareId = `huge-${Date.now()}`;
  const result = await page.evaluate((id) => window.storageTests.open(id, 2 ** 50), shareId);
  assert.match(result, /^StorageError\(storage_full\)/);
  assert.ok(!(await page.evaluate(() => window.storageTests.listStored())).includes(shareId), 'the failed share is listed');
  await page.close();
});

test('a share open in one tab is refused to another with storage_unavailable', async () => {
  const first = await newPage();
  const second = await newPage();
  const shareId = `lock-${Date.now()}`;
  assert.equal(await first.evaluate((id) => window.storageTests.open(id, 1000), shareId), 'ok');
  const refused = await second.evaluate((id) => window.storageTests.open(id, 1000), shareId);
  assert.match(refused, /^StorageError\(storage_unavailable\): .*another tab/);
  assert.match(await second.evaluate((id) => window.storageTests.remove(id), shareId), /storage_unavailable/);
  await first.evaluate((id) => window.storageTests.close(id), shareId);
  assert.equal(await second.evaluate((id) => window.storageTests.open(id, 1000), shareId), 'ok');
  await second.evaluate((id) => window.storageTests.close(id), shareId);
  assert.equal(await second.evaluate((id) => window.storageTests.remove(id), shareId), 'ok');
  await first.close();
  await second.close();
});

test(`OPFS throughput (${BENCH_MIB} MiB), reading back what was written`, async (t) => {
  const page = await newPage();
  const cdp = await context.newCDPSession(page);
  const heap = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    return (await cdp.send('Runtime.getHeapUsage')).usedSize / 1e6;
  };
  for (const pieceSize of [256 * 1024, 1 << 20]) {
    const heapBefore = await heap();
    const r = await page.evaluate(([mib, ps]) => window.storageTests.throughput(mib, ps), [BENCH_MIB, pieceSize]);
    const heapAfter = await heap();
    t.diagnostic(
      `pieces of ${pieceSize >> 10} KiB: write ${r.writeMBps} MB/s (flushed once at the end), read ${r.readMBps} MB/s, ` +
        `blob() slices ${r.blobReadMBps} MB/s, page JS heap after GC ${heapBefore.toFixed(1)} -> ${heapAfter.toFixed(1)} MB`,
    );
    const size = BENCH_MIB * 1024 * 1024;
    assert.equal(r.pieces, Math.ceil(size / pieceSize));
    assert.equal(r.bytesRead, size, 'read() returned every byte written');
    assert.equal(r.bytesReadFromBlob, size, 'blob() slices returned every byte written');
    assert.equal(r.readDigest, r.writtenDigest, 'the pieces read back through read() are the pieces written');
    assert.equal(r.blobDigest, r.writtenDigest, 'the pieces read back through blob() are the pieces written');
    assert.ok(heapAfter - heapBefore < 16, 'the page heap kept share data');
  }
  await cdp.detach();
  await page.close();
});
