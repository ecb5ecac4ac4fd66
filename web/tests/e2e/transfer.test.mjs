// End-to-end transfers in real Chromium against the real server binary: one source and a 50 MB
// file, two holders sharing the load, a holder leaving mid-transfer, a holder sending corrupt data,
// and a multi-file share. Every transfer is checked by hashing what was saved.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { getJson } from '../../../server/tests/integration/harness.mjs';
import { makeRandomFile, waitUntil } from './browser.mjs';
import {
  closePerson,
  e2e,
  LOWEST_UPLOAD_CAP_KIB,
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

// Bytes each holder has uploaded for the share so far.
async function uploads(holders, resource) {
  return Promise.all(holders.map(async (h) => (await transferred(h, resource)).uploaded));
}

// Opens the link in `downloader` while every holder (each holding the whole share, so sending to
// no one else) is held to the lowest upload cap, and waits until the downloader is connected to
// all of them and each has sent it data. Held back like this, no holder can serve the share
// before the last connection opens, whichever opens first. Resolves the holders' uploads then.
async function connectToEveryHolder(downloader, link, resource, holders) {
  for (const h of holders) await setUploadCap(h, LOWEST_UPLOAD_CAP_KIB);
  const before = await uploads(holders, resource);
  await openLink(downloader, link);
  const names = holders.map((h) => h.label).join(' and ');
  return waitUntil(`${downloader.label} to be connected to ${names}, with data from each`, async () => {
    const row = await rowData(downloader, resource).catch(() => null);
    if (!row || Number(row.peers) !== holders.length) return false;
    const now = await uploads(holders, resource);
    return now.every((n, i) => n > before[i]) ? now : false;
  }, { timeoutMs: 90_000, intervalMs: 200 });
}

test('three browsers: a download pulls from both holders and completes', { timeout: TEST_TIMEOUT }, () =>
  e2e(async ({ server, dir, open }) => {
    const file = await makeRandomFile(dir, 'two-holders.bin', 24 * MiB);
    const alice = await open('alice');
    const bob = await open('bob');
    const carol = await open('carol');
    const { link, resource } = await shareFiles(alice, [file.path]);
    await downloadFully(bob, link, resource);
    // Both holders send to carol (their uploads grew while she was connected to both, and neither
    // had anyone else to send to: they hold the whole share); then the caps go and she finishes.
    await connectToEveryHolder(carol, link, resource, [alice, bob]);
    await setUploadCap(alice, null);
    await setUploadCap(bob, null);
    await waitForState(carol, resource, 'seeding', { timeoutMs: 180_000 });
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
    await connectToEveryHolder(carol, link, resource, [alice, bob]);
    await closePerson(alice);
    // Read after alice is gone: nothing she sent can complete carol's download any more.
    const atLeave = await transferred(carol, resource);
    const row = await rowData(carol, resource);
    assert.equal(atLeave.completedAt, null, `carol's download was incomplete when alice left: ${JSON.stringify(row)}`);
    assert.ok(Number(row.havePieces) < Number(row.pieces), `carol lacked pieces when alice left: ${JSON.stringify(row)}`);
    const [bobAtLeave] = await uploads([bob], resource);
    await setUploadCap(bob, null);
    await waitForState(carol, resource, 'seeding', { timeoutMs: 180_000 });
    const [bobAtEnd] = await uploads([bob], resource);
    assert.ok(bobAtEnd > bobAtLeave, `bob uploaded after alice left (${bobAtEnd - bobAtLeave} bytes)`);
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
    // Alice is held to the lowest cap until carol has dropped mallory, so carol gets mallory's
    // data whichever connection opens first; then alice serves the rest.
    await setUploadCap(alice, LOWEST_UPLOAD_CAP_KIB);
    await openLink(carol, link);
    const dropping = await waitForRow(carol, resource, 'carol to drop the corrupting holder', (d) => /does not match its hash/.test(d.dropped), {
      timeoutMs: 90_000,
    });
    assert.ok(Number(dropping.havePieces) < Number(dropping.pieces), `carol was still downloading: ${JSON.stringify(dropping)}`);
    await setUploadCap(alice, null);
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
