// Driving the peershare web app in end-to-end tests: a "person" is one browser with one page on the
// real server; these helpers share files, open links, wait for a share's row to reach a state and
// read what the row shows. Conditions are polled in the page, never slept on.
import path from 'node:path';

import { scenario } from '../../../server/tests/integration/harness.mjs';
import { collectConsole, launchBrowser, newPage, saveDownload, waitUntil } from './browser.mjs';

export const ROW = (resource) => `li[data-resource="${resource}"]`;

// Opens the app in a fresh browser and waits until it is connected to the server.
export async function openPerson(server, { label, viewport, isMobile, hasTouch, beforeLoad } = {}) {
  const browser = await launchBrowser();
  const page = await newPage(browser, { viewport, isMobile, hasTouch });
  const consoleLog = collectConsole(page, { label });
  await page.goto(`${server.origin}/`);
  if (beforeLoad) {
    await beforeLoad(page);
    await page.reload();
  }
  await page.waitForSelector('[data-testid=connection][data-state=open]', { timeout: 15000 });
  return { browser, page, console: consoleLog, label };
}

// Picks files in the share input; resolves with the share's id once it is seeding.
export async function shareFiles(person, filePaths) {
  const { page } = person;
  await page.setInputFiles('[data-testid=file-input]', filePaths);
  await page.waitForSelector('[data-testid=share-result]:not([hidden])', { timeout: 120000 });
  const link = await page.inputValue('[data-testid=share-link]');
  const resource = link.split('#')[1];
  await page.waitForSelector(`#my-files ${ROW(resource)}[data-state=seeding]`, { timeout: 30000 });
  return { link, resource };
}

// Waits until the share's row has one of `states` (a string or array).
export async function waitForState(person, resource, states, { timeoutMs = 120000 } = {}) {
  const wanted = Array.isArray(states) ? states : [states];
  const selector = wanted.map((s) => `${ROW(resource)}[data-state="${s}"]`).join(', ');
  await person.page.waitForSelector(selector, { timeout: timeoutMs, state: 'attached' });
}

// The row's data attributes (state, havePieces, pieces, uploaded, peers, dropped, ...).
export async function rowData(person, resource) {
  return person.page.$eval(ROW(resource), (li) => ({ ...li.dataset }));
}

// Waits until `probe(row data)` is true.
export async function waitForRow(person, resource, what, probe, { timeoutMs = 120000 } = {}) {
  return waitUntil(what, async () => {
    const data = await person.page.$$eval(ROW(resource), (lis) => (lis[0] ? { ...lis[0].dataset } : null));
    return data && probe(data) ? data : false;
  }, { timeoutMs, intervalMs: 100 });
}

// Exact bytes moved for the share in this page's life.
export async function transferred(person, resource) {
  return person.page.evaluate((id) => window.peershare.client.transferred(id), resource);
}

// Clicks Save and saves every file of the share; resolves [{path, sha256, suggestedFilename}].
export async function saveShare(person, resource, fileCount, dir) {
  const { page } = person;
  const saved = [];
  const downloads = [];
  const onDownload = (d) => downloads.push(d);
  page.on('download', onDownload);
  try {
    await page.click(`#my-files ${ROW(resource)} [data-action=save]`);
    await waitUntil(`${fileCount} downloads to start`, () => downloads.length >= fileCount, { timeoutMs: 30000 });
  } finally {
    page.off('download', onDownload);
  }
  const { sha256OfFile } = await import('./browser.mjs');
  for (const d of downloads) {
    const failure = await d.failure();
    if (failure) throw new Error(`download of ${d.suggestedFilename()} failed: ${failure}`);
    const file = path.join(dir, d.suggestedFilename());
    await d.saveAs(file);
    await d.delete().catch(() => {});
    saved.push({ path: file, sha256: await sha256OfFile(file), suggestedFilename: d.suggestedFilename() });
  }
  return saved;
}

export { saveDownload };

// The lowest upload cap the page applies, in KiB/s (MIN_UPLOAD_CAP_BYTES in
// web/src/engine/constants.ts): a holder held to it cannot serve much of a share meanwhile.
export const LOWEST_UPLOAD_CAP_KIB = 64;

// Sets an upload cap (KiB/s per peer) through the settings input, as a person would; null clears
// it. The settings open first if they are closed. The page applies it to the next block it sends.
export async function setUploadCap(person, kib) {
  const { page } = person;
  if (!(await page.$eval('details.settings', (d) => d.open))) await page.click('details.settings summary');
  await page.fill('[data-testid=upload-cap]', kib === null ? '' : String(kib));
  await page.dispatchEvent('[data-testid=upload-cap]', 'change');
}

export async function closePerson(person) {
  if (!person) return;
  await person.browser.close().catch(() => {});
}

// Runs fn({ctx, server, dir, open}) with a fresh server and temp dir; `open(label, opts)` opens a
// person who is closed afterwards, and whose browser console is added to a failure.
export function e2e(fn, { serverArgs = [] } = {}) {
  return scenario(async (ctx) => {
    const server = await ctx.startServer({ args: serverArgs });
    const dir = await ctx.tempDir();
    const people = [];
    const open = async (label, opts = {}) => {
      const p = await openPerson(server, { label, ...opts });
      people.push(p);
      return p;
    };
    try {
      await fn({ ctx, server, dir, open });
    } catch (err) {
      for (const p of people) p.console.attach(err);
      throw err;
    } finally {
      await Promise.all(people.map(closePerson));
    }
  });
}

// Opens a link as a person does: a fresh page load, not a hash change.
export async function openLink(person, link) {
  await person.page.goto('about:blank');
  await person.page.goto(link);
}
