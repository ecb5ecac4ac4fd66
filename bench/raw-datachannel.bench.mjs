// Owned by the raw DataChannel baseline benchmark: measures how fast two separate headless Chromium
// instances move bytes over one bare RTCDataChannel (bench/raw-datachannel/), the ceiling the
// peershare engine's transfer benchmarks are divided by, and records it in bench/RESULTS.md.
//
//   node bench/raw-datachannel.bench.mjs            # BENCH_BYTES (default 200MB) × BENCH_RUNS (default 3)
//   BENCH_BYTES=1GiB BENCH_RUNS=5 node bench/raw-datachannel.bench.mjs
//   node bench/raw-datachannel.bench.mjs --smoke    # 8 MB once, checks it works, writes nothing (CI)
//
// Every run fails unless the receiver got every byte and message the sender sent; the smoke run
// also compares what both pages hashed.
//
// Needs build/bin/peershare (scripts/build.sh) and /usr/bin/chromium (apt-get install -y chromium).

import { busyWarning, envBytes, envInt, fmt, markdownTable, MB, measureRawDataChannel, writeResults } from './lib.mjs';

const SECTION = 'raw-datachannel';

async function main() {
  const smoke = process.argv.includes('--smoke');
  const bytes = smoke ? 8 * MB : envBytes('BENCH_BYTES', 200 * MB);
  const runs = smoke ? 1 : envInt('BENCH_RUNS', 3);
  const log = (s) => process.stderr.write(`${s}\n`);

  log(`raw DataChannel baseline: ${runs} run(s) of ${bytes} bytes${smoke ? ' (smoke)' : ''}`);
  const busy = await busyWarning();
  if (busy) log(`warning: ${busy}`);
  const result = await measureRawDataChannel({ bytes, runs, verify: smoke, log });
  log(`median ${fmt(result.medianMBps)} MB/s`);

  if (smoke) {
    log(`smoke: the receiver got the ${bytes} bytes sent, and what it hashed is what the sender hashed`);
    log('smoke ok (RESULTS.md not written)');
    return;
  }

  const table = markdownTable(
    ['run', 'bytes', 'receive time (ms)', 'MB/s', 'connect (ms)', 'candidate pair'],
    [
      ...result.runs.map((r, i) => [i + 1, r.bytes, fmt(r.ms, 0), fmt(r.mbps), r.connectMs, r.candidate]),
      ['**median**', bytes, '', `**${fmt(result.medianMBps)}**`, '', ''],
    ],
  );
  await writeResults(SECTION, table, {
    extra: [
      'two `chromium.launch()` instances, pages on http://127.0.0.1, one ordered DataChannel, 64 KiB messages, ' +
        'sender paced by `bufferedamountlow` (threshold 256 KiB, sends while `bufferedAmount` < 1 MiB)',
      'time: on the receiver, from the sender\'s start message to the last byte',
      ...(busy ? [`warning: ${busy}`] : []),
    ],
  });
  log(`wrote section "${SECTION}" of bench/RESULTS.md`);
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
