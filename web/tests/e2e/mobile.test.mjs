// End-to-end on a phone-sized, touch-only viewport (390×844): sharing and downloading with taps.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { scenario } from '../../../server/tests/integration/harness.mjs';
import { makeRandomFile } from './browser.mjs';
import { closePerson, openPerson, ROW, shareFiles, waitForState } from './app.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

test('on a phone-sized touch screen a person can share and another can download', { timeout: 180_000 }, () =>
  scenario(async (ctx) => {
    const server = await ctx.startServer();
    const dir = await ctx.tempDir();
    const people = [];
    try {
      const file = await makeRandomFile(dir, 'phone.bin', 5 * 1024 * 1024);
      const alice = await openPerson(server, { label: 'alice', ...PHONE });
      const bob = await openPerson(server, { label: 'bob', ...PHONE });
      people.push(alice, bob);
      const { link, resource } = await shareFiles(alice, [file.path]);

      // Nothing sticks out sideways: the page fits the phone's width.
      for (const p of [alice, bob]) {
        const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${p.label}: the page is ${overflow}px wider than the screen`);
      }

      await bob.page.tap('[data-testid=link-input]');
      await bob.page.fill('[data-testid=link-input]', link);
      await bob.page.tap('[data-testid=download-button]');
      await waitForState(bob, resource, 'seeding', { timeoutMs: 120_000 });

      const [download] = await Promise.all([
        bob.page.waitForEvent('download'),
        bob.page.tap(`#my-files ${ROW(resource)} [data-action=save]`),
      ]);
      const saved = `${dir}/saved.bin`;
      await download.saveAs(saved);
      const { sha256OfFile } = await import('./browser.mjs');
      assert.equal(await sha256OfFile(saved), file.sha256);

      // The save button is a comfortable touch target.
      const box = await bob.page.locator(`#my-files ${ROW(resource)} [data-action=save]`).boundingBox();
      assert.ok(box && box.height >= 40, `save button height ${box?.height}`);
    } catch (err) {
      for (const p of people) p.console.attach(err);
      throw err;
    } finally {
      await Promise.all(people.map(closePerson));
    }
  }));
