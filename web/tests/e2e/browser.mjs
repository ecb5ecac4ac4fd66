// Owned by the end-to-end tests and benchmarks: shared helpers for driving headless Chromium with
// playwright-core (one browser per simulated person), making and hashing large files by streaming,
// catching downloads, waiting on DOM state, collecting console output, and probing memory (page JS
// heap via CDP, browser process tree RSS/PSS via /proc). See ../shared/MACHINE-NOTES.md for the flags.
//
// How the browser's pid is found (browserRss/browserMemory): playwright-core's Browser has no pid
// API, and chromium.launchServer() + connect() would route downloads through a WebSocket (saveAs of a
// multi-GiB file would stream it through that socket). So launchBrowser() uses chromium.launch() and
// adds a unique, otherwise ignored switch `--peershare-e2e-tag=<random>` to the command line. The
// browser process is the one whose /proc/<pid>/cmdline carries that tag and whose parent does not;
// its process tree (zygotes, renderers, GPU/network/utility processes) is every process whose parent
// chain leads to it. (/usr/bin/chromium is a shell wrapper that execs /usr/lib/chromium/chromium, so
// the tagged process is the real browser.) Linux only.

import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.PEERSHARE_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

const TAG_SWITCH = '--peershare-e2e-tag=';
const tags = new WeakMap(); // Browser → tag
const pids = new WeakMap(); // Browser → browser pid (cached once found)

// ---------------------------------------------------------------------------------------------
// Browsers and pages

// One chromium.launch() per simulated person. `args` are added after the standard flags.
// `headless: false` needs a display. `slowMo` etc. pass through in `launchOptions`.
export async function launchBrowser({ headless = true, args = [], launchOptions = {} } = {}) {
  const tag = crypto.randomBytes(8).toString('hex');
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless,
    args: [...CHROMIUM_ARGS, ...args, `${TAG_SWITCH}${tag}`],
    ...launchOptions,
  });
  tags.set(browser, tag);
  return browser;
}

// One person whose profile lives on disk in `userDataDir` (chromium.launchPersistentContext), so OPFS
// is real disk storage with a real quota; a fresh context from launchBrowser() keeps OPFS in memory.
// Resolves the BrowserContext; browserPid/browserMemory accept it like a Browser. Close it with
// context.close().
export async function launchPersistent(userDataDir, { headless = true, args = [], contextOptions = {} } = {}) {
  const tag = crypto.randomBytes(8).toString('hex');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless,
    acceptDownloads: true,
    args: [...CHROMIUM_ARGS, ...args, `${TAG_SWITCH}${tag}`],
    ...contextOptions,
  });
  tags.set(context, tag);
  return context;
}

// A page in a fresh context of its own (isMobile and hasTouch are context options). Downloads are
// accepted. `contextOptions` passes anything else to browser.newContext(). Closing the browser
// closes it; to drop just this page and its storage, close page.context().
export async function newPage(browser, { viewport, isMobile, hasTouch, contextOptions = {} } = {}) {
  const opts = { acceptDownloads: true, ...contextOptions };
  if (viewport !== undefined) opts.viewport = viewport;
  if (isMobile !== undefined) opts.isMobile = isMobile;
  if (hasTouch !== undefined) opts.hasTouch = hasTouch;
  const context = await browser.newContext(opts);
  return context.newPage();
}

// Closes browsers, ignoring ones already closed or crashed. Never throws.
export async function closeBrowsers(...browsers) {
  await Promise.all(
    browsers.flat().filter(Boolean).map((b) => b.close().catch(() => {})),
  );
}

// ---------------------------------------------------------------------------------------------
// Files

const FILE_CHUNK = 4 * 1024 * 1024;

// Writes `sizeBytes` random bytes to dir/name in 4 MiB chunks (memory stays flat for any size) and
// hashes them on the way. Resolves {path, size, sha256} (sha256 as lowercase hex).
export async function makeRandomFile(dir, name, sizeBytes) {
  await fsp.mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  const hash = crypto.createHash('sha256');
  const fh = await fsp.open(file, 'w');
  try {
    const buf = Buffer.allocUnsafe(Math.min(FILE_CHUNK, Math.max(1, sizeBytes)));
    let left = sizeBytes;
    while (left > 0) {
      const n = Math.min(buf.length, left);
      const view = buf.subarray(0, n);
      await new Promise((resolve, reject) => crypto.randomFill(view, (err) => (err ? reject(err) : resolve())));
      hash.update(view);
      let off = 0;
      while (off < n) off += (await fh.write(view, off, n - off)).bytesWritten;
      left -= n;
    }
  } finally {
    await fh.close();
  }
  return { path: file, size: sizeBytes, sha256: hash.digest('hex') };
}

// SHA-256 (lowercase hex) of a file, streamed.
export async function sha256OfFile(file) {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file, { highWaterMark: FILE_CHUNK }), hash);
  return hash.digest('hex');
}

// Runs `triggerFn()` (which makes the page start a download: a click, an <a download>, …), waits for
// Playwright's download event, saves the file and hashes it. Resolves {path, size, sha256,
// suggestedFilename}. The file goes to `dir` (default: a new temp dir the caller removes) under
// `name` (default: the suggested file name). `startTimeoutMs` bounds only the wait for the download
// to start; saving waits for the download to finish, however long it takes (the caller's own
// timeout applies). Playwright's own copy is moved (or copied, then deleted) so big files are not
// kept twice.
export async function saveDownload(page, triggerFn, { dir, name, startTimeoutMs = 30000 } = {}) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: startTimeoutMs }), triggerFn()]);
  const failure = await download.failure();
  if (failure) throw new Error(`download of ${download.suggestedFilename()} failed: ${failure}`);
  const outDir = dir || (await fsp.mkdtemp(path.join(os.tmpdir(), 'peershare-download-')));
  await fsp.mkdir(outDir, { recursive: true });
  const file = path.join(outDir, name || download.suggestedFilename());
  // Move Playwright's finished copy into place (instant on one filesystem, no second multi-GiB
  // copy); fall back to saveAs (a copy) across filesystems.
  const tmp = await download.path();
  try {
    await fsp.rename(tmp, file);
  } catch {
    await download.saveAs(file);
  }
  await download.delete().catch(() => {});
  const { size } = await fsp.stat(file);
  return { path: file, size, sha256: await sha256OfFile(file), suggestedFilename: download.suggestedFilename() };
}

// ---------------------------------------------------------------------------------------------
// Waiting on the DOM (polling in the page, bounded by a timeout; no fixed sleeps)

// Waits until the text of `selector` (default: body, innerText) contains `text` (a string) or
// matches it (a RegExp). Resolves with the matching text (the whole match for a RegExp). On timeout
// the error quotes the start of the element's current text.
export async function waitForText(page, text, { selector = 'body', timeoutMs = 30000, pollMs = 100 } = {}) {
  const arg = text instanceof RegExp ? { source: text.source, flags: text.flags, selector } : { plain: String(text), selector };
  try {
    const handle = await page.waitForFunction(
      ({ source, flags, plain, selector: sel }) => {
        const el = document.querySelector(sel);
        if (!el) return false;
        const t = el.innerText ?? el.textContent ?? '';
        if (plain !== undefined) return t.includes(plain) ? plain : false;
        const m = new RegExp(source, flags).exec(t);
        return m ? m[0] : false;
      },
      arg,
      { timeout: timeoutMs, polling: pollMs },
    );
    return await handle.jsonValue();
  } catch (err) {
    const now = await page
      .evaluate((sel) => document.querySelector(sel)?.innerText ?? '(no such element)', selector)
      .catch((e) => `(page unavailable: ${e.message})`);
    err.message = `waitForText(${text}) in ${selector}: ${err.message}\n--- current text (first 2000 chars) ---\n${String(now).slice(0, 2000)}`;
    throw err;
  }
}

// Waits for the element with data-testid=`testId` to reach `state` (attached, detached, visible,
// hidden; default visible) and, when `text` is given (string: contains; RegExp: matches), for its
// text to match. Resolves with the Locator.
export async function waitForTestId(page, testId, { state = 'visible', text, timeoutMs = 30000, pollMs = 100 } = {}) {
  const locator = page.getByTestId(testId).first();
  const deadline = Date.now() + timeoutMs;
  await locator.waitFor({ state, timeout: timeoutMs });
  if (text === undefined) return locator;
  const sel = `[data-testid="${testId.replace(/["\\]/g, '\\$&')}"]`;
  await waitForText(page, text, { selector: sel, timeoutMs: Math.max(1, deadline - Date.now()), pollMs });
  return locator;
}

// Polls `probe()` (node side, may be async) until it returns a truthy value; rejects with `what`
// after `timeoutMs`.
export async function waitUntil(what, probe, { timeoutMs = 30000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---------------------------------------------------------------------------------------------
// Console capture

// Records the page's console messages, uncaught errors, crashes and failed requests (the last
// `max` lines). Returns {lines, text(), attach(err)}: attach appends the log to err.message (and
// returns err) so a failing test shows what the browser said.
export function collectConsole(page, { label = 'page', max = 1000 } = {}) {
  const lines = [];
  const t0 = Date.now();
  const push = (kind, text) => {
    lines.push(`[${label} +${((Date.now() - t0) / 1000).toFixed(3)}s ${kind}] ${text}`);
    if (lines.length > max) lines.shift();
  };
  page.on('console', (m) => {
    const loc = m.location();
    push(m.type(), `${m.text()}${loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
  });
  page.on('pageerror', (e) => push('pageerror', e.stack || e.message));
  page.on('crash', () => push('crash', 'the page crashed'));
  page.on('requestfailed', (r) => push('requestfailed', `${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on('worker', (w) => {
    push('worker', `started ${w.url()}`);
    w.on('console', (m) => push(`worker ${m.type()}`, m.text()));
  });
  const text = () => lines.join('\n');
  return {
    lines,
    text,
    attach(err) {
      const block = `\n--- ${label} console (${lines.length} lines) ---\n${text()}`;
      if (err && typeof err === 'object') {
        try {
          err.message += block;
        } catch {
          process.stderr.write(`${block}\n`);
        }
      }
      return err;
    },
  };
}

// Runs fn(); if it throws, appends every collector's log to the error before rethrowing.
export async function withConsoleOnFailure(collectors, fn) {
  try {
    return await fn();
  } catch (err) {
    for (const c of [collectors].flat()) c.attach(err);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Memory probes

const cdpSessions = new WeakMap(); // Page → CDPSession

// The page's main-thread JS heap in use, in bytes (CDP Performance.getMetrics JSHeapUsedSize).
// Workers' heaps are not included. `gc: true` runs a full garbage collection first (CDP
// HeapProfiler.collectGarbage) so the number is what is actually retained.
export async function jsHeapUsed(page, { gc = false } = {}) {
  let session = cdpSessions.get(page);
  if (!session) {
    session = await page.context().newCDPSession(page);
    await session.send('Performance.enable');
    cdpSessions.set(page, session);
  }
  if (gc) await session.send('HeapProfiler.collectGarbage');
  const { metrics } = await session.send('Performance.getMetrics');
  const m = metrics.find((x) => x.name === 'JSHeapUsedSize');
  if (!m) throw new Error('JSHeapUsedSize missing from Performance.getMetrics');
  return m.value;
}

// The pid of the browser process behind a Browser from launchBrowser().
export async function browserPid(browser) {
  const cached = pids.get(browser);
  if (cached && fs.existsSync(`/proc/${cached}`)) return cached;
  const tag = tags.get(browser);
  if (!tag) throw new Error('browserPid: this browser was not started by launchBrowser()');
  const needle = `${TAG_SWITCH}${tag}`;
  const procs = await listProcesses();
  const tagged = new Set();
  for (const p of procs.values()) if (p.cmdline.includes(needle)) tagged.add(p.pid);
  const roots = [...tagged].filter((pid) => !tagged.has(procs.get(pid).ppid));
  if (roots.length !== 1) throw new Error(`browserPid: expected one tagged browser process, found ${roots.length}`);
  pids.set(browser, roots[0]);
  return roots[0];
}

// Memory of the browser's whole process tree: {rss, pss, processes: [{pid, ppid, type, rss, pss}]}
// in bytes. `rss` sums VmRSS (shared pages counted once per process, so it overstates the total);
// `pss` sums Pss from /proc/<pid>/smaps_rollup (shared pages split between sharers; the better
// "how much does this browser cost" number). Processes that exit mid-scan are skipped.
export async function browserMemory(browser) {
  const root = await browserPid(browser);
  const procs = await listProcesses();
  const children = new Map();
  for (const p of procs.values()) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(p.pid);
  }
  const tree = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    tree.push(pid);
    for (const c of children.get(pid) || []) stack.push(c);
  }
  const out = { rss: 0, pss: 0, processes: [] };
  for (const pid of tree) {
    const rss = await readKb(`/proc/${pid}/status`, 'VmRSS');
    if (rss === undefined) continue;
    const pss = (await readKb(`/proc/${pid}/smaps_rollup`, 'Pss')) ?? 0;
    const cmd = procs.get(pid)?.cmdline || '';
    const type = /--type=([\w-]+)/.exec(cmd)?.[1] || (pid === root ? 'browser' : 'other');
    out.rss += rss;
    out.pss += pss;
    out.processes.push({ pid, ppid: procs.get(pid)?.ppid, type, rss, pss });
  }
  return out;
}

// Sum of VmRSS over the browser's process tree, in bytes (see browserMemory for PSS).
export async function browserRss(browser) {
  return (await browserMemory(browser)).rss;
}

async function listProcesses() {
  const procs = new Map();
  for (const name of await fsp.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    try {
      const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may contain spaces and parentheses
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = (await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' ');
      procs.set(pid, { pid, ppid, cmdline });
    } catch {
      // exited while we looked
    }
  }
  return procs;
}

async function readKb(file, field) {
  let text;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}
