// Transfer benchmarks of the peershare web app, run against the real server binary in headless
// Chromium, each as a ratio to a baseline measured in the same run:
//   single source: one holder, one downloader ÷ the raw DataChannel baseline (rounds interleaved);
//   multi-source: three holders each capped at C, one downloader ÷ 3C.
// The downloader uses an on-disk profile, so its pieces go to real OPFS storage on disk.
//
//   node bench/transfer.bench.mjs                 # both benchmarks: single source BENCH_BYTES (100MB) × BENCH_RUNS (7) rounds
//   node bench/transfer.bench.mjs --single        # only the single-source benchmark
//   node bench/transfer.bench.mjs --multi         # only the multi-source one (BENCH_CAP_KIB, default 2000)
//   node bench/transfer.bench.mjs --smoke         # small and quick, checks it works, writes nothing (CI)
//   BENCH_WEB_ROOT=web/dist node bench/...        # serve another build of the web app (A/B experiments)
//   BENCH_BEFORE_BIN=../other/build/bin/peershare node bench/transfer.bench.mjs --single
//                                                 # also the build before a change (server and its web app), same rounds
//
// Every run fails unless the downloader received the whole share and, multi-source, every holder
// sent some of it and together at least all of it; the smoke run also saves the download and
// compares its SHA-256 with the shared file's (and checks the raw baseline's bytes the same way).
import { launchPersistent, makeRandomFile, newPage, saveDownload } from '../web/tests/e2e/browser.mjs';
import { busyWarning, envBytes, envInt, fmt, markdownTable, MB, measureRawDataChannel, median, withBench, writeResults } from './lib.mjs';

const log = (s) => process.stderr.write(`${s}\n`);

async function openApp(page, server) {
  await page.goto(`${server.origin}/`);
  await page.waitForSelector('[data-testid=connection][data-state=open]', { timeout: 15000 });
}

async function share(page, filePaths) {
  await page.setInputFiles('[data-testid=file-input]', filePaths);
  await page.waitForSelector('[data-testid=share-result]:not([hidden])', { timeout: 300000 });
  const link = await page.inputValue('[data-testid=share-link]');
  return { link, resource: link.split('#')[1] };
}

// Opens the link and waits for the download to finish; resolves the page's transfer figures.
async function download(page, link, resource, bytes) {
  await page.goto(link);
  const timeout = 120000 + (bytes / MB) * 2000; // far below anything plausible: ≥ 0.5 MB/s
  await page.waitForFunction((id) => window.peershare?.client.transferred(id).completedAt != null, resource, { timeout, polling: 250 });
  return page.evaluate((id) => window.peershare.client.transferred(id), resource);
}

function rate(bytes, t) {
  return bytes / MB / ((t.completedAt - t.firstDataAt) / 1000);
}

// Saves the finished download through the page's Save button and fails unless it is `file`, byte
// for byte.
async function checkSaved(page, resource, file, dir) {
  const saved = await saveDownload(page, () => page.click(`#my-files li[data-resource="${resource}"] [data-action=save]`), { dir });
  if (saved.size !== file.size || saved.sha256 !== file.sha256) {
    throw new Error(`the saved download (${saved.size} bytes, SHA-256 ${saved.sha256}) is not the shared file (${file.size} bytes, ${file.sha256})`);
  }
}

async function serverArgs() {
  return process.env.BENCH_WEB_ROOT ? { webRoot: process.env.BENCH_WEB_ROOT } : {};
}

// Another build of the server, with the web app it embeds: the build before a change, measured in
// the same rounds.
const BEFORE_BIN = process.env.BENCH_BEFORE_BIN;

// One peershare transfer of `file` from a fresh holder to a fresh on-disk downloader; `verify`
// saves the download and compares it with `file`; `bin`: another build of the server.
async function singleSourceOnce(file, { verify = false, bin } = {}) {
  return withBench(async (run) => {
    const server = bin ? await run.startServer({ bin, label: 'peershare before' }) : await run.startServer({ ...(await serverArgs()), label: 'peershare' });
    const holder = await newPage(await run.launchBrowser());
    const profile = await run.tempDir('peershare-bench-profile-');
    const ctx = await launchPersistent(profile);
    run.defer(() => ctx.close());
    const downloader = ctx.pages()[0] ?? (await ctx.newPage());
    await openApp(holder, server);
    const { link, resource } = await share(holder, [file.path]);
    const t = await download(downloader, link, resource, file.size);
    if (t.downloaded < file.size) throw new Error(`downloaded ${t.downloaded} of ${file.size} bytes`);
    if (verify) await checkSaved(downloader, resource, file, await run.tempDir());
    return { mbps: rate(file.size, t), seconds: (t.completedAt - t.firstDataAt) / 1000 };
  });
}

async function singleSource({ bytes, runs, smoke }) {
  return withBench(async (run) => {
    const dir = await run.tempDir();
    const file = await makeRandomFile(dir, 'single.bin', bytes);
    const rows = [];
    for (let i = 0; i < runs; i++) {
      // The order turns round by round, so a machine getting busier or quieter during a round
      // does not favour one side.
      const measures = {
        raw: async () => (await measureRawDataChannel({ bytes, runs: 1, verify: smoke })).medianMBps,
        ours: async () => (await singleSourceOnce(file, { verify: smoke })).mbps,
        ...(BEFORE_BIN ? { before: async () => (await singleSourceOnce(file, { verify: smoke, bin: BEFORE_BIN })).mbps } : {}),
      };
      const names = Object.keys(measures);
      const order = names.map((_, k) => names[(i + k) % names.length]);
      const got = {};
      for (const name of order) got[name] = await measures[name]();
      const row = { raw: got.raw, ours: got.ours, ratio: got.ours / got.raw };
      if (BEFORE_BIN) Object.assign(row, { before: got.before, beforeRatio: got.before / got.raw });
      log(`single source round ${i + 1}/${runs}: raw ${fmt(row.raw)} MB/s, peershare ${fmt(row.ours)} MB/s, ratio ${fmt(row.ratio, 2)}` +
        (BEFORE_BIN ? `; before the change ${fmt(row.before)} MB/s, ratio ${fmt(row.beforeRatio, 2)}` : ''));
      rows.push(row);
    }
    const result = {
      rows,
      ratio: median(rows.map((r) => r.ratio)),
      ratioOfMedians: median(rows.map((r) => r.ours)) / median(rows.map((r) => r.raw)),
      ...(BEFORE_BIN ? { beforeRatio: median(rows.map((r) => r.beforeRatio)) } : {}),
    };
    if (!smoke) {
      await writeResults(
        'single-source transfer',
        [
          BEFORE_BIN
            ? markdownTable(
                ['round', 'raw DataChannel (MB/s)', 'peershare (MB/s)', 'ratio', 'peershare before the change (MB/s)', 'ratio before'],
                [
                  ...rows.map((r, i) => [i + 1, fmt(r.raw), fmt(r.ours), fmt(r.ratio, 2), fmt(r.before), fmt(r.beforeRatio, 2)]),
                  ['**median**', fmt(median(rows.map((r) => r.raw))), fmt(median(rows.map((r) => r.ours))), `**${fmt(result.ratio, 2)}**`,
                    fmt(median(rows.map((r) => r.before))), `**${fmt(result.beforeRatio, 2)}**`],
                ],
              )
            : markdownTable(
                ['round', 'raw DataChannel (MB/s)', 'peershare (MB/s)', 'ratio'],
                [
                  ...rows.map((r, i) => [i + 1, fmt(r.raw), fmt(r.ours), fmt(r.ratio, 2)]),
                  ['**median**', fmt(median(rows.map((r) => r.raw))), fmt(median(rows.map((r) => r.ours))), `**${fmt(result.ratio, 2)}**`],
                ],
              ),
          '',
          `Ratio of the medians: ${fmt(result.ratioOfMedians, 2)}.`,
          '',
          ...(BEFORE_BIN ? [`The build before the change (BENCH_BEFORE_BIN: its server and the web app it embeds), same rounds: median ratio ${fmt(result.beforeRatio, 2)}.`, ''] : []),
          `Target: median ratio ≥ 0.90. ${result.ratio >= 0.9 ? 'Met.' : 'Not met.'}`,
        ].join('\n'),
        {
          extra: [
            `${bytes} bytes per transfer, ${runs} rounds; each round runs the raw baseline and peershare${BEFORE_BIN ? ' and the build before the change' : ''} (the order turns round by round), each with fresh browsers`,
            'peershare: a holder seeding a picked file, a downloader with an on-disk profile (OPFS on disk); time from the first block to the last piece stored and its resume state saved; every piece SHA-256-verified',
          ],
        },
      );
    }
    return result;
  });
}

async function multiSource({ bytes, capKiB, smoke }) {
  return withBench(async (run) => {
    const dir = await run.tempDir();
    const file = await makeRandomFile(dir, 'multi.bin', bytes);
    const server = await run.startServer({ ...(await serverArgs()), label: 'peershare' });
    const holders = [];
    for (let i = 0; i < 3; i++) {
      const page = await newPage(await run.launchBrowser());
      await openApp(page, server);
      holders.push(page);
    }
    const { link, resource } = await share(holders[0], [file.path]);
    for (const h of holders.slice(1)) await download(h, link, resource, bytes);
    for (const h of holders) await h.evaluate((kib) => localStorage.setItem('peershare.uploadCapKiB', String(kib)), capKiB);
    const before = await Promise.all(holders.map((h) => h.evaluate((id) => window.peershare.client.transferred(id).uploaded, resource)));
    const profile = await run.tempDir('peershare-bench-profile-');
    const ctx = await launchPersistent(profile);
    run.defer(() => ctx.close());
    const downloader = ctx.pages()[0] ?? (await ctx.newPage());
    const t = await download(downloader, link, resource, bytes);
    const after = await Promise.all(holders.map((h) => h.evaluate((id) => window.peershare.client.transferred(id).uploaded, resource)));
    const capMBps = (capKiB * 1024) / MB;
    const measured = rate(bytes, t);
    const ratio = measured / (3 * capMBps);
    const uploads = after.map((a, i) => a - before[i]);
    const total = uploads.reduce((a, b) => a + b, 0);
    log(`multi-source: 3 holders capped at ${fmt(capMBps, 2)} MB/s: ${fmt(measured)} MB/s = ${fmt(ratio, 2)} × 3C; uploads ${uploads.join(', ')} (${total - bytes} bytes beyond the share: endgame copies)`);
    // The holders hold the whole share, so they sent to no one but the downloader.
    if (uploads.some((u) => !(u > 0))) throw new Error(`not every holder sent part of the share: ${uploads.join(', ')}`);
    if (total < bytes || t.downloaded < bytes) throw new Error(`the holders sent ${total} bytes, the downloader received ${t.downloaded}, of ${bytes}`);
    if (smoke) await checkSaved(downloader, resource, file, await run.tempDir());
    if (!smoke) {
      await writeResults(
        'multi-source transfer',
        [
          markdownTable(
            ['holders', 'cap C per holder (MB/s)', '3C (MB/s)', 'downloader (MB/s)', 'ratio to 3C', 'bytes from each holder'],
            [[3, fmt(capMBps, 2), fmt(3 * capMBps, 2), fmt(measured, 2), `**${fmt(ratio, 2)}**`, uploads.join(' / ')]],
          ),
          '',
          `Target: ratio ≥ 0.90. ${ratio >= 0.9 ? 'Met.' : 'Not met.'}`,
        ].join('\n'),
        {
          extra: [
            `${bytes} bytes; the cap is the app's per-peer upload limit (Settings), ${capKiB} KiB/s`,
            'time from the first block to the last piece stored; the downloader uses an on-disk profile',
          ],
        },
      );
    }
    return { measured, ratio };
  });
}

async function main() {
  const smoke = process.argv.includes('--smoke');
  const onlySingle = process.argv.includes('--single');
  const onlyMulti = process.argv.includes('--multi');
  const bytes = smoke ? 8 * MB : envBytes('BENCH_BYTES', 100 * MB);
  const runs = smoke ? 1 : envInt('BENCH_RUNS', 7);
  const capKiB = envInt('BENCH_CAP_KIB', 2000);
  const busy = await busyWarning();
  if (busy) log(`warning: ${busy}`);
  if (!onlyMulti) {
    const r = await singleSource({ bytes, runs, smoke });
    log(`single source: median ratio ${fmt(r.ratio, 2)} (target ≥ 0.90)${BEFORE_BIN ? `; the build before the change: ${fmt(r.beforeRatio, 2)}` : ''}`);
  }
  if (!onlySingle) {
    const r = await multiSource({ bytes: smoke ? 8 * MB : envBytes('BENCH_MULTI_BYTES', 60 * MB), capKiB, smoke });
    log(`multi-source: ratio ${fmt(r.ratio, 2)} to 3C (target ≥ 0.90)`);
  }
  if (smoke) log('smoke ok (RESULTS.md not written)');
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
