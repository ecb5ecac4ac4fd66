// The command line (peershare --help, serve --help, bad flags) and graceful shutdown on SIGTERM (close 1001, exit 0).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { getJson, makeShare, runBinary as run, scenario } from './harness.mjs';

test('peershare --help prints help mentioning serve and exits 0', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /serve/);
});

test('peershare serve --help lists the serve flags and exits 0', async () => {
  const r = await run(['serve', '--help']);
  assert.equal(r.code, 0, r.stderr);
  const missing = [
    '--host',
    '--port',
    '--data-dir',
    '--grace-period',
    '--allowed-origin',
    '--max-message-bytes',
    '--max-swarms',
    '--max-swarm-size',
    '--max-lookup-peers',
    '--messages-per-second',
    '--message-burst',
    '--max-connections-per-ip',
    '--handshake-timeout',
    '--idle-timeout',
  ].filter((flag) => !r.stdout.includes(flag));
  assert.deepEqual(missing, [], 'flags of docs/protocol.md §2.4 and §4 appear in serve --help');
});

test('an unknown flag or a bad value exits non-zero with a message on stderr', async () => {
  const unknown = await run(['serve', '--no-such-flag', '--port', '0']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /no-such-flag/);

  const badDuration = await run(['serve', '--port', '0', '--grace-period', 'soon']);
  assert.notEqual(badDuration.code, 0);
  assert.ok(badDuration.stderr.trim().length > 0, 'a message on stderr');

  const badCommand = await run(['frobnicate']);
  assert.notEqual(badCommand.code, 0);
  assert.ok(badCommand.stderr.trim().length > 0, 'a message on stderr');
});

for (const io of ['shared', 'per-thread'])
test(`SIGTERM closes open WebSockets with 1001 and exits 0 (--io-model ${io}, 2 threads)`, () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--threads', '2', '--io-model', io] });
    const share = makeShare('sigterm');
    // Connections are spread over the threads' event loops: a swarm spanning them relays across.
    const a = await ctx.connect(srv);
    const b = await ctx.connect(srv);
    await a.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 });
    await b.request({ type: 'announce', resource: share.id, complete: false });
    await a.next((m) => m.type === 'peer_joined' && m.peer === b.welcome.peer);
    b.send({ type: 'signal', resource: share.id, to: a.welcome.peer, kind: 'offer', data: { sdp: 'x' } });
    const offer = await a.next((m) => m.type === 'signal');
    assert.equal(offer.from, b.welcome.peer);
    assert.equal((await getJson(srv, '/healthz')).status, 200);

    const stopping = srv.stop({ timeoutMs: 10000 });
    const [ca, cb] = await Promise.all([a.waitClosed(10000), b.waitClosed(10000)]);
    assert.equal(ca.code, 1001);
    assert.equal(cb.code, 1001);
    const exit = await stopping;
    assert.equal(exit.forced, false, 'exited on SIGTERM without SIGKILL');
    assert.equal(exit.code, 0);
    assert.equal(exit.signal, null);
  }));
