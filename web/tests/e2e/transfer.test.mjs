// End-to-end transfers in real Chromium against the real server binary: one source and a 50 MB
// file, two holders sharing the load, a holder leaving mid-transfer, a holder sending corrupt data,
// and a multi-file share. Every transfer is checked by hashing what was saved.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { getJson } from '../../../server/tests/integration/harness.mjs';
import { makeRandomFile } from './browser.mjs';
import {
  closePerson,
  e2e,
  openLink,
  rowData,
  saveShare,
  setUploadCap,
  shareFiles,
  transferred,
  waitForRow,
  waitForState,
} from './app.mjs';

const MiB = 1024 * 1024;
const TEST_TIMEOUT = 240_000;

// B downloads a share to completion from whoever holds it.
// The link is opened as a person opens it: a fresh page load, not a hash change.
async function downloadFully(person, link, resource) {
  await openLink(person, link);
  await waitForState(person, resource, 'seeding', { timeoutMs: 180_000 });
}

test('two browsers: a 50 MB random file arrives byte for byte', { timeout: TEST_TIMEOUT }, () =>
  e2e(async ({ dir, open }) => {
    const file = await makeRandomFile(dir, 'fifty.bin', 50 * 1000 * 1000);
    const alice = await open('alice');
    const bob = await open('bob');
    const { link, resource } = await shareFiles(alice, [file.path]);
    await downloadFully(bob, link, resource);
    const [saved] = await saveShare(bob, resource, 1, dir);
    assert.equal(saved.suggestedFilename, 'fifty.bin');
    assert.equal(saved.sha256, file.sha256);
  }));

test('three browsers: a download pulls from both holders and completes', { timeout: TEST_TIMEOUT }, () =>
  e2e(async ({ server, dir, open }) => {
    const file = await makeRandomFile(dir, 'two-holders.bin', 24 * MiB);
    const alice = await open('alice');
    const bob = await open('bob');
    const carol = await open('carol');
    const { link, resource } = await shareFiles(alice, [file.path]);
    await downloadFully(bob, link, resource);
    // Equal caps so neither holder can serve everything before the other is asked, low enough that
    // one holder alone would take about 12 s: room for the second connection to open on a loaded
    // machine (each page logs when its connections open).
    await setUploadCap(alice, 2048);
    await setUploadCap(bob, 2048);
    const before = { alice: (await transferred(alice, resource)).uploaded, bob: (await transferred(bob, resource)).uploaded };
    await downloadFully(carol, link, resource);
    const after = { alice: (await transferred(alice, resource)).uploaded, bob: (await transferred(bob, resource)).uploaded };
    assert.ok(after.alice > before.alice, `alice uploaded to carol (${after.alice - before.alice} bytes)`);
    assert.ok(after.bob > before.bob, `bob uploaded to carol (${after.bob - before.bob} bytes)`);
    const [saved] = await saveShare(carol, resource, 1, dir);
    assert.equal(saved.sha256, file.sha256);
    const info = await getJson(server, `/api/resources/${resource}`);
    assert.equal(info.body.complete_holders, 3, 'the tracker expanded: every finished downloader holds the share');
  }));

test('a holder that leaves mid-transfer: the other holder finishes the download', { timeout: TEST_TIMEOUT }, () =>
  e2e(async ({ dir, open }) => {
    const file = await makeRandomFile(dir, 'leaver.bin', 24 * MiB);
    const alice = await open('alice');
    const bob = await open('bob');
    const carol = await open('carol');
    const { link, resource } = await shareFiles(alice, [file.path]);
    await downloadFully(bob, link, resource);
    await setUploadCap(alice, 2048);
    await setUploadCap(bob, 2048);
    await carol.page.goto(link);
    const pieces = Number((await waitForRow(carol, resource, 'carol to have pieces', (d) => Number(d.pieces) > 0)).pieces);
    await waitForRow(carol, resource, 'carol connected to both holders with a quarter done', (d) => Number(d.peers) === 2 && Number(d.havePieces) >= pieces / 4);
    await closePerson(alice);
    await waitForState(carol, resource, 'seeding', { timeoutMs: 180_000 });
    const [saved] = await saveShare(carol, resource, 1, dir);
    assert.equal(saved.sha256, file.sha256);
  }));

test('a holder that sends corrupt data is dropped and the download still completes correctly', { timeout: TEST_TIMEOUT }, () =>
  e2e(async ({ dir, open }) => {
    const file = await makeRandomFile(dir, 'corrupt.bin', 16 * MiB);
    const alice = await open('alice');
    // Mallory corrupts every block she uploads: the test-only switch, set before the app loads.
    const mallory = await open('mallory', {
      beforeLoad: (page) => page.evaluate(() => localStorage.setItem('peershare.test.corruptUploads', '1')),
    });
    const carol = await open('carol');
    const { link, resource } = await shareFiles(alice, [file.path]);
    await downloadFully(mallory, link, resource);
    await setUploadCap(alice, 2048);
    await carol.page.goto(link);
    await waitForState(carol, resource, 'seeding', { timeoutMs: 180_000 });
    const data = await rowData(carol, resource);
    assert.match(data.dropped, /does not match its hash/, `carol dropped the corrupting holder: ${JSON.stringify(data.dropped)}`);
    assert.ok((await transferred(mallory, resource)).uploaded > 0, 'mallory did send (corrupt) data');
    const [saved] = await saveShare(carol, resource, 1, dir);
    assert.equal(saved.sha256, file.sha256);
  }));

test('a multi-file share arrives whole: every file byte for byte', { timeout: TEST_TIMEOUT }, () =>
  e2e(async ({ dir, open }) => {
    const files = [
      await makeRandomFile(dir, 'photo.jpg', 3 * MiB + 12345),
      await makeRandomFile(dir, 'notes.txt', 1000),
      await makeRandomFile(dir, 'empty.dat', 0),
      await makeRandomFile(dir, 'clip.mp4', 700 * 1024),
    ];
    const alice = await open('alice');
    const bob = await open('bob');
    const { link, resource } = await shareFiles(alice, files.map((f) => f.path));
    await downloadFully(bob, link, resource);
    const out = `${dir}/saved`;
    const saved = await saveShare(bob, resource, files.length, out);
    const byName = new Map(saved.map((s) => [s.suggestedFilename, s.sha256]));
    for (const f of files) assert.equal(byName.get(f.path.split('/').pop()), f.sha256, f.path);
  }));
