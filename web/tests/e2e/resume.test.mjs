// End-to-end resilience in real Chromium against the real server binary: a downloader reloading
// mid-transfer resumes without fetching verified pieces again, and a server restart mid-transfer
// neither stops the transfer nor loses the swarm.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { getJson, scenario, waitFor } from '../../../server/tests/integration/harness.mjs';
import { makeRandomFile } from './browser.mjs';
import { closePerson, openPerson, rowData, saveShare, setUploadCap, shareFiles, transferred, waitForRow, waitForState } from './app.mjs';

const MiB = 1024 * 1024;
const TEST_TIMEOUT = 240_000;

test('a downloader that reloads mid-transfer resumes and does not fetch verified pieces again', { timeout: TEST_TIMEOUT }, () =>
  scenario(async (ctx) => {
    const server = await ctx.startServer();
    const dir = await ctx.tempDir();
    const people = [];
    try {
      const file = await makeRandomFile(dir, 'resume.bin', 16 * MiB);
      const alice = await openPerson(server, { label: 'alice' });
      const bob = await openPerson(server, { label: 'bob' });
      people.push(alice, bob);
      const { link, resource } = await shareFiles(alice, [file.path]);
      await setUploadCap(alice, 2048); // slow enough to reload in the middle
      await bob.page.goto(link);
      const first = await waitForRow(bob, resource, 'a third of the pieces', (d) => Number(d.pieces) > 0 && Number(d.havePieces) >= Number(d.pieces) / 3);
      const pieces = Number(first.pieces);

      await bob.page.reload();
      // The restored row shows what survived the reload: verified pieces on disk.
      const restored = await waitForRow(bob, resource, 'the download listed again after the reload', () => true);
      const kept = Number(restored.havePieces);
      assert.ok(kept > 0, `pieces kept across the reload: ${kept}`);
      assert.ok(kept < pieces, 'the reload happened mid-transfer');

      await waitForState(bob, resource, 'seeding', { timeoutMs: 180_000 });
      const { downloaded } = await transferred(bob, resource);
      const pieceSize = 256 * 1024;
      assert.ok(
        downloaded <= (pieces - kept) * pieceSize,
        `after the reload bob fetched ${downloaded} bytes; only ${(pieces - kept) * pieceSize} were missing`,
      );
      const [saved] = await saveShare(bob, resource, 1, dir);
      assert.equal(saved.sha256, file.sha256);
    } catch (err) {
      for (const p of people) p.console.attach(err);
      throw err;
    } finally {
      await Promise.all(people.map(closePerson));
    }
  }));

test('the server restarts mid-transfer: the transfer completes and the swarm is rebuilt', { timeout: TEST_TIMEOUT }, () =>
  scenario(async (ctx) => {
    const dataDir = await ctx.tempDir();
    const first = await ctx.startServer({ dataDir });
    const dir = await ctx.tempDir();
    const people = [];
    try {
      const file = await makeRandomFile(dir, 'restart.bin', 16 * MiB);
      const alice = await openPerson(first, { label: 'alice' });
      const bob = await openPerson(first, { label: 'bob' });
      people.push(alice, bob);
      const { link, resource } = await shareFiles(alice, [file.path]);
      await setUploadCap(alice, 2048);
      await bob.page.goto(link);
      await waitForRow(bob, resource, 'a fifth of the pieces', (d) => Number(d.pieces) > 0 && Number(d.havePieces) >= Number(d.pieces) / 5);

      await first.kill9('a crash mid-transfer, for the restart');
      await bob.page.waitForSelector('[data-testid=connection]:not([data-state=open])', { timeout: 15000 });
      const during = Number((await rowData(bob, resource)).havePieces);
      // The DataChannel does not need the server: pieces keep arriving while it is down.
      await waitForRow(bob, resource, 'pieces arriving while the server is down', (d) => Number(d.havePieces) > during);

      const second = await ctx.startServer({ dataDir, port: first.port, label: 'restarted' });
      await waitForState(bob, resource, 'seeding', { timeoutMs: 180_000 });
      const [saved] = await saveShare(bob, resource, 1, dir);
      assert.equal(saved.sha256, file.sha256);
      // Both pages reconnected and re-announced: the restarted server knows both holders.
      await waitFor('both holders re-announced', async () => {
        const info = await getJson(second, `/api/resources/${resource}`);
        return info.status === 200 && info.body.complete_holders === 2;
      }, { timeoutMs: 60_000, intervalMs: 200 });
    } catch (err) {
      for (const p of people) p.console.attach(err);
      throw err;
    } finally {
      await Promise.all(people.map(closePerson));
    }
  }));
