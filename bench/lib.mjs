// Owned by the benchmarks: shared plumbing for bench/*.bench.mjs. Starts the peershare server (via
// the integration harness) and headless browsers (via web/tests/e2e/browser.mjs) and always stops
// them, runs the raw DataChannel baseline (bench/raw-datachannel/), and records results in
// bench/RESULTS.md (one section per benchmark, replaced in place, with date and machine).
//
// Benchmarks measure ratios against a baseline taken in the same run; they are not timed tests.

import { execFileSync } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { REPO_ROOT, ServerProcess } from '../server/tests/integration/harness.mjs';
import { CHROMIUM_PATH, closeBrowsers, collectConsole, launchBrowser, newPage } from '../web/tests/e2e/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BENCH_DIR = here;
export const RESULTS_PATH = path.join(here, 'RESULTS.md');
export const RAW_PAGE_ROOT = path.join(here, 'raw-datachannel');
export { REPO_ROOT };

export const MB = 1e6; // throughput is reported in MB/s with MB = 10^6 bytes

// ---------------------------------------------------------------------------------------------
// Lifetime: everything a run starts is stopped, in reverse order, even when the run fails.

const activeRuns = new Set();
let signalsHooked = false;

// SIGINT/SIGTERM (Ctrl-C, a CI timeout) still stop the servers and browsers of unfinished runs.
function hookSignals() {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: stopping servers and browsers\n`);
      Promise.allSettled([...activeRuns].map((r) => r.cleanup())).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
  }
}

export class BenchRun {
  constructor() {
    this.cleanups = [];
    activeRuns.add(this);
    hookSignals();
  }

  // Registers fn to run at cleanup (last registered runs first).
  defer(fn) {
    this.cleanups.push(fn);
  }

  async tempDir(prefix = 'peershare-bench-') {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
    this.defer(() => fsp.rm(dir, { recursive: true, force: true }));
    return dir;
  }

  // Starts build/bin/peershare (or `bin`, another build) on 127.0.0.1:<free port> with a temp data
  // dir. `webRoot` serves a folder instead of the embedded app; `args` adds flags. Returns the
  // harness ServerProcess (.origin, .wsUrl, .port, .describe()). Stopped by pid (SIGTERM, then
  // SIGKILL) at cleanup.
  async startServer({ webRoot, args = [], label, bin } = {}) {
    const dataDir = await this.tempDir('peershare-bench-data-');
    const argv = [...(webRoot ? ['--web-root', webRoot] : []), ...args]; // keep log level info: the harness waits for the "listening on" line
    const server = new ServerProcess({ dataDir, args: argv, label, ...(bin ? { bin } : {}) });
    this.defer(() => server.stop());
    this.servers = [...(this.servers || []), server];
    await server.start();
    return server;
  }

  // One headless Chromium per simulated person (see browser.mjs launchBrowser); closed at cleanup.
  async launchBrowser(opts) {
    const browser = await launchBrowser(opts);
    this.defer(() => closeBrowsers(browser));
    return browser;
  }

  async cleanup() {
    activeRuns.delete(this);
    for (const fn of this.cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`cleanup: ${err && err.message}\n`);
      }
    }
  }
}

// Runs fn(run) with a BenchRun and cleans up afterwards whatever happens. A server that did not
// end cleanly at cleanup (ServerProcess.problems(): an exit other than 0 on SIGTERM, an error line
// or crash report in its stderr) fails the run. On failure the servers' logs are added to the error.
export async function withBench(fn) {
  const run = new BenchRun();
  let result;
  let failure;
  try {
    result = await fn(run);
  } catch (err) {
    failure = err;
  }
  await run.cleanup();
  const problems = (run.servers || []).flatMap((s) => s.problems().map((p) => `${s.label} ${p}`));
  if (!failure && problems.length === 0) return result;
  const report = problems.length ? `a server did not end cleanly:\n${problems.map((p) => `  ${p}`).join('\n')}` : '';
  failure ??= new Error(report);
  const logs = [failure.message === report ? '' : report, ...(run.servers || []).map((s) => s.describe())].filter(Boolean).join('\n');
  if (logs && typeof failure === 'object') {
    try {
      failure.message += `\n${logs}`;
    } catch {
      process.stderr.write(`${logs}\n`);
    }
  }
  throw failure;
}

// ---------------------------------------------------------------------------------------------
// Small statistics and formatting

export function median(values) {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function mbps(bytes, ms) {
  return bytes / MB / (ms / 1000);
}

export function fmt(n, digits = 1) {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}

// Builds a Markdown table from a header row and rows of cells.
export function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.map((c) => String(c)).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

// Reads a byte count from the environment ("200000000", "200MB", "200MiB", "1GiB", "64k").
export function envBytes(name, fallback) {
  const raw = process.env[name];
  if (!raw) return fallback;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(raw);
  if (!m) throw new Error(`${name}=${raw}: expected a byte count such as 200000000, 200MB or 1GiB`);
  const units = { b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3 };
  return Math.round(Number(m[1]) * units[(m[2] || 'b').toLowerCase()]);
}

export function envInt(name, fallback) {
  const raw = process.env[name];
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${raw}: expected a positive integer`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// The raw DataChannel baseline

// One transfer of `bytes` from a sender browser to a receiver browser through the bare page in
// bench/raw-datachannel/ served by `server` (started with --web-root RAW_PAGE_ROOT). Resolves
// {bytes, ms, mbps, senderMs, connectMs, candidate}. `pageParams` adds sender URL parameters (msg,
// low, high: see raw.js) for experiments; the baseline uses the page's defaults. It fails unless
// the receiver got every byte the sender sent, in as many messages; `verify` also has both pages
// hash the messages (slower: for checks, not measurements) and compares the digests.
export async function rawTransfer({ server, sender, receiver, bytes, room, timeoutMs, pageParams = {}, verify = false }) {
  const r = room || `raw-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const timeout = timeoutMs ?? 60000 + (bytes / MB) * 1000; // ≥ 1 MB/s, far below anything plausible
  const rp = await newPage(receiver);
  const sp = await newPage(sender);
  const logs = [collectConsole(rp, { label: 'receiver' }), collectConsole(sp, { label: 'sender' })];
  try {
    const check = verify ? '&verify=1' : '';
    await rp.goto(`${server.origin}/index.html?role=receiver&room=${encodeURIComponent(r)}${check}`);
    const extra = new URLSearchParams({ ...pageParams, ...(verify ? { verify: '1' } : {}) }).toString();
    await sp.goto(`${server.origin}/index.html?role=sender&room=${encodeURIComponent(r)}&bytes=${bytes}${extra ? `&${extra}` : ''}`);
    // Both pages must reach "done"; either reaching "error" ends the wait at once.
    const settle = async (page, who) => {
      await page.waitForFunction(() => window.__raw && (window.__raw.state === 'done' || window.__raw.state === 'error'), null, { timeout, polling: 200 });
      const s = await page.evaluate(() => ({ state: window.__raw.state, error: window.__raw.error }));
      if (s.state !== 'done') throw new Error(`${who} page failed: ${s.error}`);
    };
    await Promise.all([settle(rp, 'receiver'), settle(sp, 'sender')]);
    const [rx, tx] = await Promise.all([rp.evaluate(() => window.__raw), sp.evaluate(() => window.__raw)]);
    for (const [who, s] of [['receiver', rx], ['sender', tx]]) {
      if (s.state !== 'done') throw new Error(`${who} ended in state ${s.state}: ${s.error}\n${s.log.join('\n')}`);
    }
    if (rx.bytes !== bytes || tx.sentBytes !== bytes) throw new Error(`the sender sent ${tx.sentBytes} bytes, the receiver got ${rx.bytes}, expected ${bytes}`);
    if (rx.messages !== tx.sentMessages) throw new Error(`the sender sent ${tx.sentMessages} messages, the receiver got ${rx.messages}`);
    if (verify && !(rx.digest && rx.digest === tx.digest)) throw new Error(`what the receiver got (digest ${rx.digest}) is not what the sender sent (${tx.digest})`);
    return {
      bytes: rx.bytes,
      ms: rx.elapsedMs,
      mbps: mbps(rx.bytes, rx.elapsedMs),
      senderMs: tx.senderElapsedMs,
      connectMs: tx.connectMs,
      candidate: rx.candidate,
    };
  } catch (err) {
    for (const page of [rp, sp]) {
      const s = await page.evaluate(() => window.__raw && { state: window.__raw.state, error: window.__raw.error, log: window.__raw.log }).catch(() => undefined);
      if (s) err.message += `\n--- page state ---\n${JSON.stringify(s, null, 1)}`;
    }
    for (const l of logs) l.attach(err);
    throw err;
  } finally {
    await Promise.all([rp.context().close().catch(() => {}), sp.context().close().catch(() => {})]);
  }
}

// The baseline the peershare benchmarks divide by: `runs` transfers of `bytes` each between two
// separate headless Chromium instances over one DataChannel (64 KiB messages paced by
// bufferedamountlow). Starts its own server (--web-root bench/raw-datachannel) and two browsers
// unless given (`server` must serve RAW_PAGE_ROOT; `sender`/`receiver` are Browsers). `verify`:
// see rawTransfer. Resolves {bytes, runs: [{bytes, ms, mbps, senderMs, connectMs, candidate}], medianMBps}.
export async function measureRawDataChannel({ bytes = 200 * MB, runs = 3, server, sender, receiver, verify = false, log = () => {} } = {}) {
  return withBench(async (run) => {
    const srv = server || (await run.startServer({ webRoot: RAW_PAGE_ROOT, label: 'raw-baseline' }));
    const tx = sender || (await run.launchBrowser());
    const rx = receiver || (await run.launchBrowser());
    const results = [];
    for (let i = 0; i < runs; i++) {
      const r = await rawTransfer({ server: srv, sender: tx, receiver: rx, bytes, verify });
      log(`raw DataChannel run ${i + 1}/${runs}: ${bytes} bytes in ${fmt(r.ms, 0)} ms = ${fmt(r.mbps)} MB/s (${r.candidate})`);
      results.push(r);
    }
    return { bytes, runs: results, medianMBps: median(results.map((r) => r.mbps)) };
  });
}

// ---------------------------------------------------------------------------------------------
// RESULTS.md

let chromiumVersionCache;
export function chromiumVersion() {
  if (chromiumVersionCache === undefined) {
    try {
      // The Debian wrapper prints a harmless shell warning on stderr; only stdout matters.
      chromiumVersionCache = execFileSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch (err) {
      chromiumVersionCache = `unknown (${err.message.split('\n')[0]})`;
    }
  }
  return chromiumVersionCache;
}

// A warning (or '') when other work is using the CPU: samples /proc/stat for `ms` and reports how
// busy the machine was. With 2 cores anything else competes with the browsers and lowers every
// absolute number (ratios taken in the same run stay meaningful). Linux only; '' elsewhere.
export async function busyWarning({ ms = 2000, threshold = 0.15 } = {}) {
  const sample = async () => {
    const f = (await fsp.readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return { idle: f[3] + f[4], total: f.reduce((a, b) => a + b, 0) };
  };
  try {
    const a = await sample();
    await new Promise((r) => setTimeout(r, ms));
    const b = await sample();
    const busy = 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
    return busy > threshold ? `the machine was ${(busy * 100).toFixed(0)}% busy before the run: absolute numbers will be low` : '';
  } catch {
    return '';
  }
}

export async function machineInfo() {
  let model = 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(await fsp.readFile('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1].trim();
  } catch {
    // not Linux
  }
  return {
    nproc: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    cpuModel: model,
    memTotalGiB: os.totalmem() / 1024 ** 3,
    chromium: chromiumVersion(),
    node: process.version,
  };
}

const RESULTS_HEADER = `# Benchmark results

Written by \`bench/*.bench.mjs\` (see \`bench/lib.mjs\`); each benchmark replaces its own section.

Benchmarks measure ratios against a baseline taken in the same run on the same machine (for
transfers: the raw DataChannel baseline of \`bench/raw-datachannel/\`, two headless Chromium
instances moving bytes over one RTCDataChannel with no protocol on top). They are not timed tests:
absolute numbers depend on the machine and its load, and nothing here fails a build.
MB = 10^6 bytes.
`;

// Replaces (or appends) the section `section` of bench/RESULTS.md with the date (UTC), the machine
// and `markdownBody` (a table, optionally with notes). `extra` lines are listed under the machine.
export async function writeResults(section, markdownBody, { extra = [] } = {}) {
  if (!/^[\w .-]+$/.test(section)) throw new Error(`section name ${JSON.stringify(section)}: use letters, digits, space, . _ -`);
  let text;
  try {
    text = await fsp.readFile(RESULTS_PATH, 'utf8');
  } catch {
    text = RESULTS_HEADER;
  }
  const m = await machineInfo();
  const begin = `<!-- section: ${section} -->`;
  const end = `<!-- /section: ${section} -->`;
  const block = [
    begin,
    `## ${section}`,
    '',
    `- date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `- machine: ${m.nproc} cores, ${m.cpuModel}, ${m.memTotalGiB.toFixed(1)} GiB RAM; ${m.chromium}; node ${m.node}`,
    ...extra.map((e) => `- ${e}`),
    '',
    markdownBody.trim(),
    end,
  ].join('\n');
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else text = `${text.replace(/\s*$/, '')}\n\n${block}\n`;
  await fsp.writeFile(RESULTS_PATH, text);
}
