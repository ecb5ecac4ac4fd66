// End-to-end actions a person takes on a share's row, in real Chromium against the real server
// binary: sharing again after a reload (the wrong files are refused, the right ones are accepted),
// pausing and resuming a download, aborting one (its data leaves browser storage, and what a
// removal cut short left is deleted at the next start), opening a link nobody holds or nobody ever
// shared, and the Downloads list showing progress. Where a transfer completes, the saved bytes are
// hashed.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';

import { getJson } from '../../../server/tests/integration/harness.mjs';
import { makeRandomFile, waitForText, waitUntil } from './browser.mjs';
import {
  e2e,
  openLink,
  ROW,
  rowData,
  saveShare,
  setUploadCap,
  shareFiles,
  transferred,
  waitForRow,
  waitForState,
} from './app.mjs';

const KiB = 1024;
const MiB = 1024 * KiB;
const TEST_TIMEOUT = 240_000;
// Bytes a downloader keeps requested from one peer (web/src/engine/constants.ts REQUEST_WINDOW_BYTES):
// what may still arrive after a pause, since pausing stops new requests but not those in flight.
const REQUEST_WINDOW_BYTES = 4 * MiB;

// The text the row shows under the share's name (sizes, state, error).
function detailOf(resource) {
  return `${ROW(resource)} [data-testid=row-detail]`;
}

// Reloads the page and waits until it is connected again. The client restores the stored shares
// before it connects, and the connection state is drawn in the same render as the rows, so once the
// page shows "connected" every restored share is listed.
async function reloadPerson(person) {
  await person.page.reload();
  await person.page.waitForSelector('[data-testid=connection][data-state=open]', { timeout: 15000 });
}

// What the page keeps of a share across reloads: its id in the library index (localStorage), its
// metadata (OPFS metadata/<id>) and its piece data (OPFS shares/<id>/); see
// web/src/app/library-backends.ts and web/src/storage/storage-worker.ts.
async function storedShares(person) {
  return person.page.evaluate(async () => {
    const names = async (dirName) => {
      const root = await navigator.storage.getDirectory();
      let dir;
      try {
        dir = await root.getDirectoryHandle(dirName);
      } catch (e) {
        if (e.name === 'NotFoundError') return [];
        throw e;
      }
      const out = [];
      for await (const [n] of dir.entries()) out.push(n);
      return out;
    };
    const library = JSON.parse(localStorage.getItem('peershare.library.v1') || '[]').map((r) => r.resource);
    return { library, metadata: await names('metadata'), shares: await names('shares') };
  });
}

test('after a reload a share from disk needs its files: other files are refused, the same ones share it again', { timeout: TEST_TIMEOUT }, () =>
  e2e(async ({ dir, open }) => {
    const file = await makeRandomFile(dir, 'reshare.bin', 3 * MiB + 4321);
    // Same name and size, other bytes: only the contents can tell them apart.
    const impostor = await makeRandomFile(path.join(dir, 'other'), 'reshare.bin', file.size);
    const alice = await open('alice');
    const { link, resource } = await shareFiles(alice, [file.path]);

    await reloadPerson(alice);
    await waitForState(alice, resource, 'needs-files');
    assert.equal((await rowData(alice, resource)).kind, 'seed');
    await waitForText(alice.page, 'Pick the files again', { selector: detailOf(resource) });
    const reshare = `#my-files ${ROW(resource)} input[data-action=reshare]`;

    await alice.page.setInputFiles(reshare, [impostor.path]);
    await waitForText(alice.page, 'not the same files', { selector: detailOf(resource), timeoutMs: 60_000 });
    assert.equal((await rowData(alice, resource)).state, 'needs-files', 'the share still needs its files');
    await waitForText(alice.page, 'Pick the files again', { selector: detailOf(resource) });

    await alice.page.setInputFiles(reshare, [file.path]);
    await waitForState(alice, resource, 'seeding', { timeoutMs: 60_000 });
    const detail = await alice.page.textContent(detailOf(resource));
    assert.doesNotMatch(detail, /not the same files/, 'the error is gone once the right files are picked');

    const bob = await open('bob');
    await openLink(bob, link);
    await waitForState(bob, resource, 'seeding', { timeoutMs: 120_000 });
    const [saved] = await saveShare(bob, resource, 1, path.join(dir, 'saved'));
    assert.equal(saved.suggestedFilename, 'reshare.bin');
    assert.equal(saved.sha256, file.sha256);
  }));

// Playwright cannot answer the browser's own file picker (microsoft/playwright#8850), so this test
// stands in for the person's choice in it: showOpenFilePicker returns a handle to a file the page
// wrote into its origin-private file system. Everything the app does with the handle is real:
// storing it in IndexedDB, reading it again after a reload, hashing, seeding, deleting it on remove.
const PICKED = { dir: 'picked', file: 'picked.bin' };

async function pickerReturnsOpfsFile(page, { dir, file }) {
  await page.addInitScript(({ dir, file }) => {
    window.showOpenFilePicker = async () => {
      const root = await navigator.storage.getDirectory();
      return [await (await root.getDirectoryHandle(dir)).getFileHandle(file)];
    };
  }, { dir, file });
}

// Writes `bytes` random bytes to OPFS <dir>/<file> in the page; resolves the file's SHA-256 (hex).
async function writeOpfsFile(page, { dir, file }, bytes) {
  return page.evaluate(async ({ dir, file, bytes }) => {
    const root = await navigator.storage.getDirectory();
    const handle = await (await root.getDirectoryHandle(dir, { create: true })).getFileHandle(file, { create: true });
    const w = await handle.createWritable();
    const chunk = new Uint8Array(65536);
    for (let at = 0; at < bytes; at += chunk.length) {
      crypto.getRandomValues(chunk);
      await w.write(chunk.subarray(0, Math.min(chunk.length, bytes - at)));
    }
    await w.close();
    const digest = await crypto.subtle.digest('SHA-256', await (await handle.getFile()).arrayBuffer());
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }, { dir, file, bytes });
}

// Share ids with file handles kept in IndexedDB (app/file-handles.ts).
async function storedHandleIds(person) {
  return person.page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('peershare');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('file-handles')) return resolve([]);
          const keys = db.transaction('file-handles').objectStore('file-handles').getAllKeys();
          keys.onsuccess = () => resolve(keys.result.map(String));
          keys.onerror = () => reject(keys.error);
        };
      }),
  );
}

test('a share picked through the file picker is shared again by itself after a reload, from its stored handle', { timeout: TEST_TIMEOUT }, () =>
  e2e(async ({ dir, open }) => {
    const alice = await open('alice', { beforeLoad: (page) => pickerReturnsOpfsFile(page, PICKED) });
    const sha256 = await writeOpfsFile(alice.page, PICKED, 3 * MiB + 777);
    await alice.page.click('[data-testid=drop-zone]');
    await alice.page.waitForSelector('[data-testid=share-result]:not([hidden])', { timeout: 60000 });
    const link = await alice.page.inputValue('[data-testid=share-link]');
    const resource = link.split('#')[1];
    await waitForState(alice, resource, 'seeding');
    assert.deepEqual(await storedHandleIds(alice), [resource], 'the handle is kept for the share');

    await reloadPerson(alice);
    // No click: the browser still grants reading the file, so the share is hashed and seeded again.
    await waitForState(alice, resource, 'seeding', { timeoutMs: 60000 });

    const bob = await open('bob');
    await openLink(bob, link);
    await waitForState(bob, resource, 'seeding', { timeoutMs: 120000 });
    const [saved] = await saveShare(bob, resource, 1, path.join(dir, 'saved'));
    assert.equal(saved.sha256, sha256, 'the bytes read through the stored handle are the picked file');

    await alice.page.click(`#my-files ${ROW(resource)} [data-action=remove]`);
    await alice.page.waitForSelector(ROW(resource), { state: 'detached', timeout: 30000 });
    await waitUntil('the handle to be deleted with the share', async () => (await storedHandleIds(alice)).length === 0, { timeoutMs: 10000 });
  }));

test('pause stops a download and resume completes it', { timeout: TEST_TIMEOUT }, () =>
  e2e(async ({ dir, open }) => {
    const file = await makeRandomFile(dir, 'pause.bin', 12 * MiB);
    const capKiB = 1024;
    const alice = await open('alice');
    const bob = await open('bob');
    const { link, resource } = await shareFiles(alice, [file.path]);
    await setUploadCap(alice, capKiB);
    await openLink(bob, link);
    const started = await waitForRow(bob, resource, 'bob downloading with a few pieces', (d) => d.state === 'downloading' && Number(d.havePieces) >= 2);
    const pieces = Number(started.pieces);
    const pieceSize = Math.ceil(file.size / pieces);
    const pieceMs = (pieceSize / (capKiB * KiB)) * 1000;

    await bob.page.click(`#downloads ${ROW(resource)} [data-action=pause]`);
    await waitForState(bob, resource, 'paused');
    await bob.page.waitForSelector(`#downloads ${ROW(resource)} [data-action=resume]`);
    await waitForText(bob.page, 'Paused', { selector: detailOf(resource) });
    const atPause = Number((await rowData(bob, resource)).havePieces);

    // The one bounded wait of these tests: "nothing more arrives" cannot be waited for as an event.
    // Pausing stops new requests, but what was requested before (at most the request window) still
    // arrives, at the cap's rate. So read the row and the exact byte count twice, `gapMs` apart —
    // several pieces' time at the cap, long enough that a download still running would show a new
    // piece — until the two reads agree; the window drains in windowMs, bounding the wait.
    const gapMs = Math.max(1000, 4 * pieceMs);
    const windowMs = (REQUEST_WINDOW_BYTES / (capKiB * KiB)) * 1000;
    const read = async () => ({ have: Number((await rowData(bob, resource)).havePieces), bytes: (await transferred(bob, resource)).downloaded });
    let before = await read();
    const settled = await waitUntil('the paused download to stop receiving', async () => {
      await new Promise((r) => setTimeout(r, gapMs));
      const now = await read();
      const same = now.have === before.have && now.bytes === before.bytes;
      before = now;
      return same ? now : false;
    }, { timeoutMs: windowMs + 10 * gapMs, intervalMs: 0 });
    const inFlightPieces = Math.ceil(REQUEST_WINDOW_BYTES / pieceSize) + 1;
    assert.ok(settled.have - atPause <= inFlightPieces, `after the pause only requests in flight arrived: ${settled.have - atPause} pieces (at most ${inFlightPieces})`);
    assert.ok(settled.have < pieces, `the download stopped before the end (${settled.have} of ${pieces})`);
    // A second barrier: another gap later, still nothing new and still paused.
    await new Promise((r) => setTimeout(r, gapMs));
    const still = await rowData(bob, resource);
    assert.equal(still.state, 'paused');
    assert.equal(Number(still.havePieces), settled.have, 'no pieces arrive while paused');
    assert.equal((await transferred(bob, resource)).downloaded, settled.bytes, 'no bytes arrive while paused');

    await bob.page.click(`#downloads ${ROW(resource)} [data-action=resume]`);
    await waitForRow(bob, resource, 'new pieces after resuming', (d) => d.state !== 'paused' && Number(d.havePieces) > settled.have);
    await waitForState(bob, resource, 'seeding', { timeoutMs: 180_000 });
    const [saved] = await saveShare(bob, resource, 1, path.join(dir, 'saved'));
    assert.equal(saved.sha256, file.sha256);
  }));

test('abort deletes a partial download: gone from the list, after a reload, and from browser storage', { timeout: TEST_TIMEOUT }, () =>
  e2e(async ({ dir, open }) => {
    const file = await makeRandomFile(dir, 'abort.bin', 12 * MiB);
    const alice = await open('alice');
    const bob = await open('bob');
    const { link, resource } = await shareFiles(alice, [file.path]);
    await setUploadCap(alice, 1024);
    await openLink(bob, link);
    await waitForRow(bob, resource, 'bob part way through', (d) => Number(d.pieces) > 0 && Number(d.havePieces) >= 2 && d.state === 'downloading');
    const during = await storedShares(bob);
    assert.ok(during.shares.includes(resource), `the partial download is in browser storage: ${JSON.stringify(during)}`);
    assert.ok(during.metadata.includes(resource));
    assert.ok(during.library.includes(resource));

    await bob.page.click(`#downloads ${ROW(resource)} [data-action=abort]`);
    await bob.page.waitForSelector(ROW(resource), { state: 'detached', timeout: 30000 });
    assert.equal(await bob.page.isVisible('[data-empty-for=downloads]'), true, 'the Downloads list says nothing is downloading');

    // Reload the app itself: the tab's address still carries the link (#<id>), and opening a link
    // starts its download, so reloading that address would ask for the share again on purpose.
    await bob.page.goto(new URL('/', bob.page.url()).href);
    await bob.page.waitForSelector('[data-testid=connection][data-state=open]', { timeout: 15000 });
    assert.ok((await bob.page.$(ROW(resource))) === null, 'the aborted download is not listed after a reload');
    const listed = await bob.page.evaluate(() => window.peershare.client.entries().map((e) => e.resource));
    assert.ok(!listed.includes(resource), `the client does not know the share: ${JSON.stringify(listed)}`);
    // The reload may have cut the deletion short; then the new page finishes it: at start, and again
    // every SWEEP_RETRY_MS (2 s) while the old page's storage worker still holds the files.
    let after;
    await waitUntil('the aborted share to leave browser storage', async () => {
      after = await storedShares(bob);
      return !after.shares.includes(resource) && !after.metadata.includes(resource);
    }, { timeoutMs: 15000 });
    assert.ok(!after.library.includes(resource), `not in the library: ${JSON.stringify(after.library)}`);
  }));

test('storage a removal left behind is deleted at the next start; listed shares keep theirs', { timeout: TEST_TIMEOUT }, () =>
  e2e(async ({ dir, open }) => {
    const file = await makeRandomFile(dir, 'kept.bin', 1 * MiB);
    const alice = await open('alice');
    const { resource } = await shareFiles(alice, [file.path]);
    // What a page closed part way through removing a download leaves: piece data and metadata of a
    // share the library no longer lists.
    const orphan = 'cd'.repeat(32);
    await alice.page.evaluate(async (id) => {
      const root = await navigator.storage.getDirectory();
      const shares = await root.getDirectoryHandle('shares', { create: true });
      const data = await (await shares.getDirectoryHandle(id, { create: true })).getFileHandle('data', { create: true });
      const w = await data.createWritable();
      await w.write(new Uint8Array(4096));
      await w.close();
      const metadata = await root.getDirectoryHandle('metadata', { create: true });
      const m = await (await metadata.getFileHandle(id, { create: true })).createWritable();
      await m.write(new Uint8Array([1, 2, 3]));
      await m.close();
    }, orphan);
    const before = await storedShares(alice);
    assert.ok(before.shares.includes(orphan) && before.metadata.includes(orphan), JSON.stringify(before));
    assert.ok(!before.library.includes(orphan));

    await reloadPerson(alice);
    const after = await storedShares(alice);
    assert.ok(!after.shares.includes(orphan), `orphaned piece data deleted: ${JSON.stringify(after.shares)}`);
    assert.ok(!after.metadata.includes(orphan), `orphaned metadata deleted: ${JSON.stringify(after.metadata)}`);
    assert.ok(after.metadata.includes(resource), `the listed share keeps its metadata: ${JSON.stringify(after.metadata)}`);
    assert.ok(after.library.includes(resource));
    assert.equal((await rowData(alice, resource)).state, 'needs-files', 'the listed share is restored');
  }));

test('a link nobody holds waits for a holder; an id nobody shared is not found', { timeout: TEST_TIMEOUT }, () =>
  e2e(async ({ server, dir, open }) => {
    const file = await makeRandomFile(dir, 'gone.bin', 1 * MiB);
    const alice = await open('alice');
    const bob = await open('bob');
    const { link, resource } = await shareFiles(alice, [file.path]);
    await alice.page.click(`#my-files ${ROW(resource)} [data-action=remove]`);
    await alice.page.waitForSelector(ROW(resource), { state: 'detached', timeout: 30000 });
    // The server has seen alice leave (the server keeps the metadata for its grace period).
    await waitUntil('the server to list no holders', async () => {
      const info = await getJson(server, `/api/resources/${resource}`);
      return info.status === 200 && info.body.holders === 0;
    }, { timeoutMs: 15000 });

    await openLink(bob, link);
    await waitForState(bob, resource, 'waiting', { timeoutMs: 30000 });
    await waitForText(bob.page, 'No one holds this file right now', { selector: `#downloads ${detailOf(resource)}` });

    const unknown = 'ab'.repeat(32);
    await bob.page.fill('[data-testid=link-input]', unknown);
    await bob.page.click('[data-testid=download-button]');
    await waitForState(bob, unknown, 'failed', { timeoutMs: 30000 });
    await waitForText(bob.page, 'This link was not found', { selector: detailOf(unknown) });
    // The share nobody holds is still listed, still waiting.
    assert.equal((await rowData(bob, resource)).state, 'waiting');
  }));

test('the Downloads list shows a download progressing', { timeout: TEST_TIMEOUT }, () =>
  e2e(async ({ dir, open }) => {
    const file = await makeRandomFile(dir, 'progress.bin', 8 * MiB);
    const alice = await open('alice');
    const bob = await open('bob');
    const { link, resource } = await shareFiles(alice, [file.path]);
    await setUploadCap(alice, 1024);
    await openLink(bob, link);
    const row = `#downloads ${ROW(resource)}`;
    await bob.page.waitForSelector(`${row}[data-state=downloading]`, { timeout: 60000 });
    const progress = `${row} progress`;
    assert.equal(await bob.page.isVisible(progress), true, 'the row shows a progress bar');
    const first = await bob.page.$eval(progress, (p) => p.value);
    assert.ok(first < 1, `the download is not done yet (${first})`);
    // The bar moves on, and it stays below full while the download is still running.
    const later = await bob.page
      .waitForFunction(
        ({ sel, from }) => {
          const p = document.querySelector(sel);
          return p && p.value > from && p.value < 1 ? p.value : false;
        },
        { sel: progress, from: first },
        { timeout: 60000, polling: 100 },
      )
      .then((h) => h.jsonValue());
    assert.ok(later > first, `progress went from ${first} to ${later}`);
    const detail = await bob.page.textContent(`${row} [data-testid=row-detail]`);
    assert.match(detail, /\bof\b/, `the detail shows how much of the size is done: ${detail}`);
    assert.match(detail, /\bpeers?\b/, `the detail shows the peers: ${detail}`);
    assert.match(detail, /Downloading/, detail);

    await waitForState(bob, resource, 'seeding', { timeoutMs: 180_000 });
    await bob.page.waitForSelector(`#my-files ${ROW(resource)}`, { timeout: 10000 });
    assert.ok((await bob.page.$(row)) === null, 'a finished download leaves the Downloads list');
    const [saved] = await saveShare(bob, resource, 1, path.join(dir, 'saved'));
    assert.equal(saved.sha256, file.sha256);
  }));
