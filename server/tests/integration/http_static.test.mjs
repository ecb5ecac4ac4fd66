// /healthz, /api/stats and the embedded web app with its caching headers (docs/protocol.md §3).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import fs from 'node:fs/promises';
import path from 'node:path';

import { getJson, httpGet, makeShare, scenario } from './harness.mjs';

test('/healthz answers 200 {"status":"ok"}', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const r = await getJson(srv, '/healthz');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /application\/json/);
    assert.deepEqual(r.body, { status: 'ok' });
  }));

test('/api/stats reports connections, swarms, peers, resources, uptime and version', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    let s = (await getJson(srv, '/api/stats')).body;
    for (const k of ['connections', 'swarms', 'peers_in_swarms', 'resources', 'uptime_seconds']) {
      assert.equal(typeof s[k], 'number', `${k}: ${JSON.stringify(s)}`);
    }
    assert.equal(typeof s.version, 'string');
    assert.ok(s.version.length > 0);
    assert.equal(s.connections, 0);
    assert.equal(s.swarms, 0);
    assert.equal(s.peers_in_swarms, 0);
    assert.equal(s.resources, 0);
    assert.ok(s.uptime_seconds >= 0);

    const one = makeShare('one');
    const two = makeShare('two');
    const a = await ctx.connect(srv);
    const b = await ctx.connect(srv);
    await a.request({ type: 'announce', resource: one.id, complete: true, metadata: one.base64 });
    await b.request({ type: 'announce', resource: one.id, complete: false });
    await b.request({ type: 'announce', resource: two.id, complete: true, metadata: two.base64 });
    s = (await getJson(srv, '/api/stats')).body;
    assert.equal(s.connections, 2);
    assert.equal(s.swarms, 2);
    assert.equal(s.peers_in_swarms, 3);
    assert.equal(s.resources, 2);
  }));

test('GET / serves index.html with no-cache; its /assets/ files are immutable with the right content type', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const index = await httpGet(srv, '/');
    assert.equal(index.status, 200);
    assert.match(String(index.headers['content-type']), /^text\/html/);
    assert.match(String(index.headers['cache-control']), /no-cache/);
    const html = index.text();
    assert.match(html, /peershare/i);

    const assets = [...html.matchAll(/(?:src|href)="((?:\.?\/)?assets\/[^"?#]+)"/g)].map((m) => `/${m[1].replace(/^\.?\//, '')}`);
    assert.ok(assets.length > 0, `index.html references files under /assets/:\n${html.slice(0, 1000)}`);
    const types = { js: /^(application|text)\/javascript/, mjs: /^(application|text)\/javascript/, css: /^text\/css/ };
    let checked = 0;
    for (const asset of assets) {
      const r = await httpGet(srv, asset);
      assert.equal(r.status, 200, asset);
      assert.ok(r.body.length > 0, `${asset} is not empty`);
      const cc = String(r.headers['cache-control']);
      assert.match(cc, /immutable/, `${asset} Cache-Control: ${cc}`);
      assert.match(cc, /max-age=31536000/, `${asset} Cache-Control: ${cc}`);
      assert.match(cc, /public/, `${asset} Cache-Control: ${cc}`);
      const ext = asset.split('.').pop();
      if (types[ext]) {
        assert.match(String(r.headers['content-type']), types[ext], `${asset} Content-Type`);
        checked++;
      }
    }
    assert.ok(checked > 0, `a .js or .css asset among ${assets.join(', ')}`);

    const missing = await httpGet(srv, '/assets/does-not-exist-0123456789.js');
    assert.equal(missing.status, 404);
  }));

test('with --web-root the same caching and content types apply to files on disk', () =>
  scenario(async (ctx) => {
    const root = await ctx.tempDir();
    await fs.mkdir(path.join(root, 'assets'));
    await fs.writeFile(path.join(root, 'index.html'), '<!doctype html><title>peershare</title><script type="module" src="/assets/app-1a2b3c4d.js"></script>');
    await fs.writeFile(path.join(root, 'assets', 'app-1a2b3c4d.js'), 'console.log("peershare");\n');
    await fs.writeFile(path.join(root, 'assets', 'style-5e6f7a8b.css'), 'body { color: black; }\n');
    const srv = await ctx.startServer({ args: ['--web-root', root] });

    const index = await httpGet(srv, '/');
    assert.equal(index.status, 200);
    assert.match(String(index.headers['content-type']), /^text\/html/);
    assert.match(String(index.headers['cache-control']), /no-cache/);
    assert.match(index.text(), /<title>peershare<\/title>/);

    const js = await httpGet(srv, '/assets/app-1a2b3c4d.js');
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /^(application|text)\/javascript/);
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.text(), 'console.log("peershare");\n');

    const css = await httpGet(srv, '/assets/style-5e6f7a8b.css');
    assert.equal(css.status, 200);
    assert.match(String(css.headers['content-type']), /^text\/css/);
    assert.equal(css.headers['cache-control'], 'public, max-age=31536000, immutable');

    assert.equal((await httpGet(srv, '/assets/missing-00000000.js')).status, 404);
    for (const p of ['/assets/../../../../etc/passwd', '/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2f..%2fetc/passwd']) {
      const r = await httpGet(srv, p);
      assert.ok(!r.text().includes('root:'), `${p} must not escape the web root (HTTP ${r.status})`);
    }
  }));
