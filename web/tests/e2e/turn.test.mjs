// End-to-end transfers through a real TURN relay: Debian's coturn on loopback (./coturn.mjs), the
// server in relay-only mode handing out coturn REST-API credentials, real Chromium on both ends.
// A relayed transfer arrives byte for byte over a relay/relay candidate pair that coturn really
// allocated; with a wrong TURN secret the page says the relay failed instead of waiting forever.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';

import { scenario } from '../../../server/tests/integration/harness.mjs';
import { makeRandomFile, waitForText, waitUntil } from './browser.mjs';
import { ROW, closePerson, openLink, openPerson, rowData, saveShare, setUploadCap, shareFiles, waitForRow, waitForState } from './app.mjs';
import { REALM, startCoturn } from './coturn.mjs';

const MiB = 1024 * 1024;
const TEST_TIMEOUT = 240_000;

// Runs `fn` with coturn (static-auth-secret `secret`), a peershare server given `serverArgs(turn)`
// and a temp dir; closes every person opened through `open`, and the scenario stops coturn (and
// fails the test if it did not stop cleanly), whatever happens. On failure the browsers' consoles
// and coturn's log are added to the error (the harness adds the server's stderr).
function withTurn({ secret, serverArgs }, fn) {
  return scenario(async (ctx) => {
    const dir = await ctx.tempDir();
    const turn = ctx.stopAtCleanup(await startCoturn({ secret, dir: `${dir}/coturn` }));
    const people = [];
    const open = async (label, opts = {}) => {
      const p = await openPerson(server, { label, ...opts });
      people.push(p);
      return p;
    };
    let server;
    try {
      server = await ctx.startServer({ args: serverArgs(turn) });
      await fn({ ctx, server, turn, dir, open });
    } catch (err) {
      for (const p of people) p.console.attach(err);
      if (err && typeof err === 'object') {
        try {
          err.message += `\n${turn.describe()}`;
        } catch {
          process.stderr.write(`${turn.describe()}\n`);
        }
      }
      throw err;
    } finally {
      await Promise.all(people.map(closePerson));
    }
  });
}

// Every open link of `person` for the share, with its selected candidate pair's type, once all
// links have one (a pair can read 'unknown' for a moment right after the channel opens).
async function settledPaths(person, resource) {
  return waitUntil(`${person.label}'s links to report their paths`, async () => {
    const paths = await person.page.evaluate((id) => window.peershare.client.peerPaths(id), resource);
    return paths.length > 0 && paths.every((p) => p.path !== 'unknown') ? paths : false;
  }, { timeoutMs: 10000, intervalMs: 100 });
}

// With --verbose coturn logs, per TURN session, its realm and REST-API user (`<expiry>:<peer id>`)
// with the outcome of each request; an allocation that worked reads
// "session N: realm <…> user <…:peer>: incoming packet ALLOCATE processed, success".
const userRe = (peer) => `realm <${REALM.replace(/\./g, '\\.')}> user <\\d+:${peer}>`;
function allocatedFor(log, peer) {
  return new RegExp(`${userRe(peer)}: incoming packet ALLOCATE processed, success`).test(log);
}

// Bytes coturn sent to the browser of `peer` through its allocation, as far as logged: coturn logs
// "session N: usage: realm=<…>, username=<…:peer>, rp=…, rb=…, sp=…, sb=<bytes>" every 4096 packets
// of the session and once more when the allocation ends (the tail since the last line).
function sentToClient(log, peer) {
  const re = new RegExp(`session \\d+: usage: realm=<[^>]*>, username=<\\d+:${peer}>, rp=\\d+, rb=\\d+, sp=\\d+, sb=(\\d+)`, 'g');
  let total = 0;
  for (const m of log.matchAll(re)) total += Number(m[1]);
  return total;
}

test('relay-only: an 8 MiB file crosses a real coturn relay byte for byte over a relay candidate pair', { timeout: TEST_TIMEOUT }, () => {
  const secret = crypto.randomBytes(16).toString('hex');
  return withTurn(
    { secret, serverArgs: (turn) => ['--relay-only', '--turn-url', turn.url('udp'), '--turn-secret', secret, '--turn-ttl', '1h'] },
    async ({ turn, dir, open }) => {
      const file = await makeRandomFile(dir, 'relayed.bin', 8 * MiB);
      const alice = await open('alice');
      const bob = await open('bob');
      const { link, resource } = await shareFiles(alice, [file.path]);
      // 1 MiB/s: the transfer lasts several seconds, so the link is looked at while it carries data.
      await setUploadCap(alice, 1024);
      await bob.page.goto('about:blank');
      await bob.page.goto(link);
      await waitForRow(bob, resource, 'bob connected to alice', (d) => Number(d.peers) === 1);

      const bobPaths = await settledPaths(bob, resource);
      const alicePaths = await settledPaths(alice, resource);
      const during = await rowData(bob, resource);
      assert.notEqual(during.state, 'seeding', 'the paths were read while the transfer ran');
      assert.ok(Number(during.havePieces) < Number(during.pieces), `bob was still downloading: ${JSON.stringify(during)}`);
      assert.deepEqual(bobPaths.map((p) => p.path), ['relay'], `bob's links: ${JSON.stringify(bobPaths)}`);
      assert.deepEqual(alicePaths.map((p) => p.path), ['relay'], `alice's links: ${JSON.stringify(alicePaths)}`);
      const alicePeer = bobPaths[0].peer;
      const bobPeer = alicePaths[0].peer;
      assert.match(alicePeer, /^[0-9a-f]{32}$/);
      assert.match(bobPeer, /^[0-9a-f]{32}$/);
      // The row shows it too: the relayed count is refreshed with the speeds, about once a second.
      await waitForRow(bob, resource, "bob's row to count alice as relayed", (d) => d.relayed === '1', { timeoutMs: 15000 });

      await waitForState(bob, resource, 'seeding', { timeoutMs: 180_000 });
      const [saved] = await saveShare(bob, resource, 1, `${dir}/saved`);
      assert.equal(saved.suggestedFilename, 'relayed.bin');
      assert.equal(saved.sha256, file.sha256);

      // coturn itself allocated a relay for each browser under the credentials peershare minted...
      const log = turn.log();
      assert.ok(allocatedFor(log, alicePeer), `coturn allocated a relay for alice (${alicePeer})`);
      assert.ok(allocatedFor(log, bobPeer), `coturn allocated a relay for bob (${bobPeer})`);
      // ...and carried the whole file to bob. The last stretch is logged when the allocation ends:
      // once both hold the whole share the page drops the link, and the browser releases it.
      await waitUntil('coturn to log at least the file size sent to bob', () => sentToClient(turn.log(), bobPeer) >= file.size, {
        timeoutMs: 30_000,
        intervalMs: 200,
      }).catch((err) => {
        err.message += ` (logged so far: ${sentToClient(turn.log(), bobPeer)} of ${file.size} bytes)`;
        throw err;
      });
    },
  );
});

test('relay-only with a wrong TURN secret: the download says the relay failed instead of hanging', { timeout: TEST_TIMEOUT }, () => {
  const secret = crypto.randomBytes(16).toString('hex');
  return withTurn(
    { secret, serverArgs: (turn) => ['--relay-only', '--turn-url', turn.url('udp'), '--turn-secret', `wrong-${secret}`] },
    async ({ turn, dir, open }) => {
      const file = await makeRandomFile(dir, 'unreachable.bin', 256 * 1024);
      const alice = await open('alice');
      const bob = await open('bob');
      const { link, resource } = await shareFiles(alice, [file.path]);
      await bob.page.goto('about:blank');
      await bob.page.goto(link);
      // The page gives up on a peer after about 20 s and then explains, in the row, why.
      const detail = `#downloads ${ROW(resource)} [data-testid=row-detail]`;
      await waitForText(bob.page, /could not connect through the relay/i, { selector: detail, timeoutMs: 60_000 });
      const text = await bob.page.innerText(detail);
      assert.match(text, /relay/i);
      const data = await rowData(bob, resource);
      assert.equal(data.peers, '0', 'no peer connected');
      assert.notEqual(data.state, 'seeding');
      // The cause is visible on coturn's side too: it refused the credentials and allocated nothing.
      const log = turn.log();
      assert.match(log, /check_stun_auth: Cannot find credentials of user <\d+:[0-9a-f]{32}>/, 'coturn rejected the credentials');
      assert.match(log, /user <\d+:[0-9a-f]{32}>: incoming packet message processed, error 401: Unauthorized/, 'coturn answered 401');
      assert.doesNotMatch(log, /ALLOCATE processed, success/, 'coturn allocated nothing');
    },
  );
});

test('a relayed connection that fails recovers: the download completes after the relay restarts', { timeout: TEST_TIMEOUT }, (t) => {
  const secret = crypto.randomBytes(16).toString('hex');
  return withTurn(
    { secret, serverArgs: (turn) => ['--relay-only', '--turn-url', turn.url('udp'), '--turn-secret', secret] },
    async ({ turn, dir, open }) => {
      const file = await makeRandomFile(dir, 'recovers.bin', 12 * MiB);
      const alice = await open('alice');
      const bob = await open('bob');
      const { link, resource } = await shareFiles(alice, [file.path]);
      // 512 KiB/s: the transfer is still running when the relay goes away.
      await setUploadCap(alice, 512);
      await openLink(bob, link);
      await waitForRow(bob, resource, 'bob to connect to alice and get some pieces', (d) => Number(d.peers) === 1 && Number(d.havePieces) >= 2, {
        timeoutMs: 60_000,
      });

      // A new coturn on the same port with the same secret: the browsers' allocations are gone, so
      // the relayed path fails (Chromium notices when its consent checks time out).
      await turn.restart();
      const restartedAt = Date.now();
      const after = await rowData(bob, resource);
      assert.ok(Number(after.havePieces) < Number(after.pieces), `bob was still downloading at the restart: ${JSON.stringify(after)}`);

      await waitForState(bob, resource, 'seeding', { timeoutMs: 150_000 });
      const recoveredIn = ((Date.now() - restartedAt) / 1000).toFixed(1);
      const done = await rowData(bob, resource);
      assert.ok(Number(done.havePieces) > Number(after.havePieces), `the transfer resumed after the restart: ${after.havePieces} -> ${done.havePieces}`);
      const [saved] = await saveShare(bob, resource, 1, `${dir}/saved`);
      assert.equal(saved.suggestedFilename, 'recovers.bin');
      assert.equal(saved.sha256, file.sha256);

      // How it recovered: the side that offered the link (bob) restarts ICE on the same link when
      // the relayed path fails (the whole test takes about 40 s). Neither side gave the other up
      // meanwhile: no peer dropped (but for the normal end, once both hold the whole share), no
      // second connection opened.
      const consoles = [alice, bob].flatMap((p) => p.console.lines);
      const iceRestart = consoles.filter((l) => /restarting ICE/.test(l));
      const dropped = consoles.filter((l) => /peershare: (dropped peer|no path to peer)/.test(l) && !/both peers hold the whole share/.test(l));
      const opened = consoles.filter((l) => /peershare: connection (to|from) peer \w+ for \w+ open after/.test(l));
      t.diagnostic(`seeding ${recoveredIn} s after the relay restart`);
      for (const l of [...iceRestart, ...opened]) t.diagnostic(l);
      assert.ok(iceRestart.some((l) => l.startsWith('[bob')), `bob restarted ICE:\n${consoles.join('\n')}`);
      assert.deepEqual(dropped, [], `a peer was given up during the recovery:\n${consoles.join('\n')}`);
      const openedBy = (who) => opened.filter((l) => l.startsWith(`[${who} `)).length;
      assert.deepEqual({ alice: openedBy('alice'), bob: openedBy('bob') }, { alice: 1, bob: 1 }, `one connection, kept through the restart:\n${opened.join('\n')}`);
    },
  );
});
