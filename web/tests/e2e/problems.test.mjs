// End-to-end, in real Chromium against the real server binary: what the page says when the server
// will not help, on a desktop window and a 390×844 touch screen. A relay the server refused (a
// full swarm: the page is not in it, and the row says so), a holder that left before the connection opened (given up at
// once on peer_left), and a request refused because the page sent too fast (rate limited). Each
// case saves screenshots under PEERSHARE_E2E_SCREENSHOTS (default build/e2e-screenshots), printed
// in the run, for a person to look at.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';

import { buildShare, REPO_ROOT } from '../../../server/tests/integration/harness.mjs';
import { makeRandomFile, waitForText, waitUntil } from './browser.mjs';
import { closePerson, e2e, openLink, ROW, rowData, shareFiles, waitForRow } from './app.mjs';

const TEST_TIMEOUT = 240_000;
const SHOTS = process.env.PEERSHARE_E2E_SCREENSHOTS || path.join(REPO_ROOT, 'build', 'e2e-screenshots');
const VIEWS = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
};

const detailOf = (resource) => `#downloads ${ROW(resource)} [data-testid=row-detail]`;

async function screenshot(t, person, name) {
  await fs.mkdir(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await person.page.screenshot({ path: file, fullPage: true });
  t.diagnostic(`screenshot: ${file}`);
}

// Waits for a line of the page's console matching `re`.
function consoleLine(person, re) {
  return waitUntil(`${person.label}'s console to match ${re}`, () => person.console.lines.find((l) => re.test(l)), { timeoutMs: 30_000 });
}

test('a relay the server refuses ends the connection at once and the row says why', { timeout: TEST_TIMEOUT }, (t) =>
  // A swarm of two (the smallest the server allows): the holder and a signaling client fill it, so
  // the downloader's announce is refused (swarm_full) and so are its offers (not_in_swarm): the
  // server relays only inside a swarm.
  e2e(async ({ ctx, server, dir, open }) => {
    const file = await makeRandomFile(dir, 'full.bin', 256 * 1024);
    const alice = await open('alice');
    const { link, resource } = await shareFiles(alice, [file.path]);
    const filler = await ctx.connect(server);
    assert.equal((await filler.request({ type: 'announce', resource, complete: false })).type, 'announced');
    for (const [view, options] of Object.entries(VIEWS)) {
      const bob = await open(`bob-${view}`, options);
      await openLink(bob, link);
      // The links to both members end at once, refused: the page is not in the swarm.
      await consoleLine(bob, /refused to relay the offer to peer [0-9a-f]{8}: not_in_swarm/);
      await waitForRow(bob, resource, 'no link left trying', (d) => d.state === 'waiting' && d.peers === '0', { timeoutMs: 30_000 });
      await waitForText(bob.page, 'Not connected to any holder', { selector: detailOf(resource) });
      // The row says why, once: the refused relay follows from the refused announce.
      const detail = await bob.page.innerText(detailOf(resource));
      assert.match(detail, /The server refused to add this page to the share: it already has as many peers as the server allows\. Use Refresh/, detail);
      assert.doesNotMatch(detail, /would not pass this page's connection request on/, detail);
      assert.ok(!bob.console.lines.some((l) => /no path to peer/.test(l)), 'the link did not time out');
      await screenshot(t, bob, `relay-refused-${view}`);
    }
  }, { serverArgs: ['--max-swarm-size', '2'] }));

test('a holder that leaves before the connection opens is given up at once and the row says so', { timeout: TEST_TIMEOUT }, (t) =>
  e2e(async ({ ctx, server, open }) => {
    // The holder is a plain signaling client: it announces the share and leaves as soon as an
    // offer reaches it, before any connection could open.
    const share = buildShare({ name: 'left.bin', files: [{ path: 'left.bin', data: crypto.randomBytes(300_000) }] });
    const holder = await ctx.connect(server);
    for (const [view, options] of Object.entries(VIEWS)) {
      assert.equal((await holder.request({ type: 'announce', resource: share.id, complete: true, metadata: share.base64 })).type, 'announced');
      const bob = await open(`bob-${view}`, options);
      await openLink(bob, `${server.origin}/#${share.id}`);
      await holder.next((m) => m.type === 'signal' && m.kind === 'offer', 30_000, 'an offer from the page');
      // The holder never answers: the row says a connection is being tried.
      await waitForText(bob.page, 'Connecting to 1 holder…', { selector: detailOf(share.id), timeoutMs: 10_000 });
      await screenshot(t, bob, `connecting-${view}`);
      assert.equal((await holder.request({ type: 'leave', resource: share.id })).type, 'left');
      await waitForText(bob.page, 'The holder left before a connection was made', { selector: detailOf(share.id), timeoutMs: 30_000 });
      await consoleLine(bob, new RegExp(`connection to peer [0-9a-f]{8} for ${share.id.slice(0, 8)} closed after \\d+ ms: the peer left the share`));
      const data = await rowData(bob, share.id);
      assert.equal(data.state, 'waiting');
      assert.equal(data.peers, '0');
      assert.ok(!bob.console.lines.some((l) => /no path to peer/.test(l)), 'the link was given up, not timed out');
      await screenshot(t, bob, `holder-left-${view}`);
      await closePerson(bob); // it joined the swarm: the next page would connect to it
    }
  }));

test('a request refused as rate limited is said in words, not after the request timeout', { timeout: TEST_TIMEOUT }, (t) =>
  // One message per 5 s after a burst of 2: the third lookup in a row is refused.
  e2e(async ({ ctx, server, open }) => {
    // The server names the refused message in its rate_limited error (docs/protocol.md §2.3), so
    // the page can say it on the download's row. (An error naming no message reaches the page's
    // notice instead: web/tests/app/client.test.ts.)
    const probe = await ctx.connect(server);
    for (let i = 0; i < 3; i++) probe.send({ type: 'lookup', id: `probe-${i}`, resource: crypto.randomBytes(32).toString('hex') });
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push(await probe.next(() => true, 10_000, 'a reply to the probe'));
    assert.deepEqual(replies.map((r) => r.code), ['not_found', 'not_found', 'rate_limited']);
    assert.equal(replies[2].id, 'probe-2', 'the refusal names the refused message');
    for (const [view, options] of Object.entries(VIEWS)) {
      const bob = await open(`bob-${view}`, options);
      const ids = [0, 1, 2].map(() => crypto.randomBytes(32).toString('hex'));
      for (const id of ids) {
        await bob.page.fill('[data-testid=link-input]', id);
        await bob.page.click('[data-testid=download-button]');
      }
      const third = ids[2];
      // Said at once by the error itself, on the row of the download it refused.
      await waitForText(bob.page, /rate limited/, { selector: detailOf(third), timeoutMs: 10_000 });
      assert.equal((await rowData(bob, third)).state, 'failed');
      for (const id of ids.slice(0, 2)) await waitForText(bob.page, 'This link was not found', { selector: detailOf(id) });
      await screenshot(t, bob, `rate-limited-${view}`);
    }
  }, { serverArgs: ['--messages-per-second', '0.2', '--message-burst', '2'] }));
