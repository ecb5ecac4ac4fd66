// Load benchmark of the signaling server, against WebTorrent's bittorrent-tracker measured in the
// same run, driven by build/bin/peershare-loadgen (bench/loadgen/):
//   announce throughput: the same announce workload on bittorrent-tracker and on peershare with 1
//     thread, 2 threads sharing one event loop, and 2 threads with an event loop each (rounds
//     interleaved), with one announce in flight per connection and with pipelines of
//     PIPELINE_DEPTHS — responses/s and the ratio to bittorrent-tracker at each tracker's maximum;
//   mixed load: announce / lookup / relay between peers of shared swarms, at peak (closed loop, one
//     operation in flight per connection) and at half of that peak (open loop) — p50/p99 latency,
//     relay latency above all;
//   idle connections: BENCH_IDLE_CONNECTIONS (15,000) held with pings — resident memory per
//     connection.
//
//   node bench/load.bench.mjs            # full run, writes bench/RESULTS.md
//   node bench/load.bench.mjs --smoke    # small and quick, checks it works, writes nothing (CI)
//
// Every run (smoke or full) fails unless its counts add up: every connection ready, every operation
// sent answered and none refused (loadgen-run.mjs, reportProblems), every idle connection held.
//   BENCH_RUNS=5 BENCH_LOAD_CONNECTIONS=400 BENCH_IDLE_CONNECTIONS=15000 node bench/load.bench.mjs
//   BENCH_BEFORE_BIN=../other/build/bin/peershare node bench/load.bench.mjs   # also the build before a change
import fs from 'node:fs';
import path from 'node:path';

import { busyWarning, envInt, fmt, markdownTable, median, REPO_ROOT, withBench, writeResults } from './lib.mjs';
import { LOADGEN, loadgen, reportProblems, residentBytes, startProcess, UNLIMITED } from './loadgen-run.mjs';

const log = (s) => process.stderr.write(`${s}\n`);
const BASELINE_DIR = path.join(REPO_ROOT, 'bench', 'baseline');

async function startBittorrentTracker(run) {
  if (!fs.existsSync(path.join(BASELINE_DIR, 'node_modules', 'bittorrent-tracker'))) {
    throw new Error('bittorrent-tracker is not installed: run scripts/setup.sh --with-test-tools (or npm ci --ignore-scripts --prefix bench/baseline)');
  }
  const p = await startProcess(run, process.execPath, [path.join(BASELINE_DIR, 'bittorrent-tracker.mjs')], {
    ready: /listening on (\d+)/,
    label: 'bittorrent-tracker',
  });
  return { pid: p.child.pid, port: Number(p.match[1]), label: 'bittorrent-tracker' };
}

// The server configurations measured: one thread; two threads on one shared event loop; two
// threads with an event loop each.
const CONFIGS = [
  { key: 't1', threads: 1, io: 'shared', label: 'peershare, 1 thread' },
  { key: 't2', threads: 2, io: 'shared', label: 'peershare, 2 threads, shared event loop' },
  { key: 't2p', threads: 2, io: 'per-thread', label: 'peershare, 2 threads, event loop per thread' },
];

// BENCH_BEFORE_BIN: another build of the server (the one before a change) measured in the same
// rounds as the announce throughput's fastest configuration, so that a change is compared with
// what it changed on the same machine at the same time. It is not a candidate for the target.
const BEFORE_BIN = process.env.BENCH_BEFORE_BIN;
const BEFORE = BEFORE_BIN
  ? { key: 'before', threads: 2, io: 'per-thread', label: 'peershare before the change, 2 threads, event loop per thread', bin: BEFORE_BIN, before: true }
  : null;

async function startPeershare(run, { threads, io = 'shared', label, bin }, args = []) {
  const server = await run.startServer({ args: ['--threads', String(threads), '--io-model', io, '--no-stun', ...UNLIMITED, ...args], label, bin });
  return { pid: server.child.pid, port: server.port, label };
}

function opsArgs(o) {
  return [
    '--connections', String(o.connections),
    '--swarm-size', String(o.swarmSize),
    '--duration', String(o.duration),
    '--warmup', String(o.warmup),
    ...(o.mix ? ['--mix', o.mix] : []),
    ...(o.rate ? ['--rate', String(Math.round(o.rate))] : []),
    ...(o.depth ? ['--depth', String(o.depth)] : []),
    ...(o.tracker ? ['--tracker', o.tracker] : []),
  ];
}

// --- announce throughput: bittorrent-tracker vs peershare ---

// Announces in flight per connection: one (a page waits for each answer), then pipelines of 16 and
// 64, which show where each tracker's rate stops growing.
const PIPELINE_DEPTHS = [16, 64];

// Every tracker at every depth, rounds interleaved. The target compares maxima: each tracker's
// best median over the depths (and, for peershare, over its configurations).
async function announceThroughput(o) {
  const rows = [];
  const depths = [1, ...PIPELINE_DEPTHS];
  const configs = [...CONFIGS, ...(BEFORE ? [BEFORE] : [])];
  const keys = ['bittorrent', ...configs.map((c) => c.key)];
  const results = Object.fromEntries(depths.flatMap((d) => keys.map((k) => [`${k}@${d}`, []])));
  for (let round = 1; round <= o.runs; round++) {
    for (const depth of depths) {
      for (const which of keys) {
        const config = configs.find((c) => c.key === which);
        const r = await withBench(async (run) => {
          const target = config ? await startPeershare(run, config) : await startBittorrentTracker(run);
          const rep = await loadgen(run, target, opsArgs({ ...o, depth, mix: '100,0,0', tracker: config ? 'peershare' : 'bittorrent' }));
          return { label: target.label, depth, ...rep };
        });
        results[`${which}@${depth}`].push(r);
        log(`announce round ${round}/${o.runs}, depth ${depth}: ${r.label}: ${fmt(r.responses_per_s, 0)} responses/s, p99 ${fmt(r.ops.announce.p99_us / 1000, 2)} ms, server ${fmt(r.serverCores, 2)} cores`);
      }
    }
  }
  const summary = {};
  for (const [key, list] of Object.entries(results)) {
    summary[key] = {
      label: list[0].label,
      depth: list[0].depth,
      peershare: !key.startsWith('bittorrent@') && !key.startsWith('before@'),
      before: key.startsWith('before@'),
      rps: median(list.map((r) => r.responses_per_s)),
      p50: median(list.map((r) => r.ops.announce.p50_us)) / 1000,
      p99: median(list.map((r) => r.ops.announce.p99_us)) / 1000,
      cores: median(list.map((r) => r.serverCores)),
      // Responses per CPU-second of the tracker process: its cost per response, whatever the
      // load generator (which shares the machine) leaves it.
      perCpu: median(list.map((r) => r.responses_per_s / Math.max(r.serverCores, 1e-6))),
      rounds: list.map((r) => fmt(r.responses_per_s, 0)).join(' / '),
    };
  }
  const all = Object.values(summary);
  const bestOf = (list) => list.reduce((a, b) => (b.rps > a.rps ? b : a));
  const baseline = bestOf(all.filter((s) => !s.peershare && !s.before));
  const best = bestOf(all.filter((s) => s.peershare));
  for (const depth of depths) {
    const base = summary[`bittorrent@${depth}`];
    for (const which of keys) {
      const s = summary[`${which}@${depth}`];
      rows.push([String(depth), s.label, s.rounds, `**${fmt(s.rps, 0)}**`, fmt(s.p50, 2), fmt(s.p99, 2), fmt(s.cores, 2), fmt(s.perCpu, 0), fmt(s.rps / base.rps, 2), fmt(s.perCpu / base.perCpu, 2)]);
    }
  }
  // The change against the build before it: the same configuration, depth by depth; each round's
  // two runs are adjacent in time, so the ratio is taken per round (the machine's speed drifts
  // between rounds) and its median reported.
  const beforeAfter = BEFORE
    ? depths.map((d) => ({
        depth: d,
        before: summary[`before@${d}`].rps,
        after: summary[`t2p@${d}`].rps,
        ratio: median(results[`t2p@${d}`].map((r, i) => r.responses_per_s / results[`before@${d}`][i].responses_per_s)),
      }))
    : null;
  return {
    baseline,
    best,
    beforeAfter,
    ratio: best.rps / baseline.rps,
    table: markdownTable(['in flight per connection', 'tracker', 'responses/s per round', 'median responses/s', 'p50 (ms)', 'p99 (ms)', 'tracker CPU (cores)', 'responses per CPU-second', 'ratio to bittorrent-tracker (same depth)', 'CPU-efficiency ratio'], rows),
  };
}

// --- mixed load: peak, then half of the peak ---

// Rounds as for announces: each configuration's peak is the median of `runs` closed-loop runs
// (configurations interleaved); the best configuration is then run `runs` times at half of its
// median peak, and the latency reported is the median round's, so one lucky or unlucky run moves
// neither the offered rate nor the result.
async function mixedLoad(o) {
  const rounds = CONFIGS.map(() => []);
  for (let i = 0; i < o.runs; i++) {
    for (const [c, config] of CONFIGS.entries()) {
      const r = await withBench(async (run) => loadgen(run, await startPeershare(run, config), opsArgs(o)));
      rounds[c].push(r);
      log(`mixed peak round ${i + 1}/${o.runs}, ${config.label}: ${fmt(r.ops_per_s, 0)} ops/s, relay p99 ${fmt(r.ops.relay.p99_us / 1000, 2)} ms`);
    }
  }
  const medianRound = (rs, key) => [...rs].sort((a, b) => key(a) - key(b))[(rs.length - 1) >> 1];
  const peaks = CONFIGS.map((config, c) => ({ config, rounds: rounds[c], ...medianRound(rounds[c], (r) => r.ops_per_s) }));
  const best = peaks.reduce((a, b) => (b.ops_per_s > a.ops_per_s ? b : a));
  const rate = best.ops_per_s / 2;
  const halves = [];
  for (let i = 0; i < o.runs; i++) {
    const r = await withBench(async (run) => loadgen(run, await startPeershare(run, best.config), opsArgs({ ...o, rate })));
    halves.push(r);
    log(`mixed at half peak round ${i + 1}/${o.runs} (${fmt(rate, 0)} ops/s offered): relay p99 ${fmt(r.ops.relay.p99_us / 1000, 2)} ms`);
  }
  const half = medianRound(halves, (r) => r.ops.relay.p99_us);
  const row = (what, config, r) => [
    what,
    config.label,
    fmt(r.ops_per_s, 0),
    ...['relay', 'announce', 'lookup'].flatMap((k) => [fmt(r.ops[k].p50_us / 1000, 2), fmt(r.ops[k].p99_us / 1000, 2)]),
    fmt(r.serverCores, 2),
  ];
  const rows = peaks.map((p) => row(`peak (closed loop; rounds ${p.rounds.map((r) => fmt(r.ops_per_s, 0)).join(' / ')})`, p.config, p));
  rows.push(
    row(`half of peak: ${fmt(rate, 0)} ops/s offered (relay p99 per round ${halves.map((r) => fmt(r.ops.relay.p99_us / 1000, 2)).join(' / ')} ms)`, best.config, half),
  );
  return {
    half,
    best,
    table: markdownTable(['load', 'server', 'ops/s', 'relay p50 (ms)', 'relay p99 (ms)', 'announce p50', 'announce p99', 'lookup p50', 'lookup p99', 'server CPU (cores)'], rows),
  };
}

// --- idle connections: resident memory per connection ---

async function idleMemory({ connections, hold, idleTimeout }) {
  return withBench(async (run) => {
    const target = await startPeershare(run, CONFIGS[2], ['--idle-timeout', `${idleTimeout}s`]); // the default model
    const before = residentBytes(target.pid);
    const gen = await startProcess(
      run,
      LOADGEN,
      ['--port', String(target.port), '--mode', 'idle', '--connections', String(connections), '--swarm-size', '10', '--duration', String(hold), '--connect-concurrency', '500'],
      { ready: /READY (\d+)/, label: 'peershare-loadgen' },
    );
    const ready = Number(gen.match[1]);
    log(`idle: ${ready} connections open; holding ${hold} s (the server pings every ${idleTimeout / 2} s)`);
    // Resident memory while held, sampled each second until the load generator lets go.
    let peak = residentBytes(target.pid);
    const timer = setInterval(() => {
      try {
        peak = Math.max(peak, residentBytes(target.pid));
      } catch {}
    }, 1000);
    const { code } = await gen.exited;
    clearInterval(timer);
    if (code !== 0) throw new Error(`peershare-loadgen exited with ${code}:\n${gen.errors()}`);
    const report = JSON.parse(gen.output().trim().split('\n').at(-1));
    const problems = reportProblems(report);
    if (report.open_at_end !== ready) problems.push(`${ready - report.open_at_end} idle connections were dropped while held`);
    if (problems.length) throw new Error(`the idle run does not add up: ${problems.join('; ')}\n${JSON.stringify(report)}\n${gen.errors()}`);
    const perConnection = (peak - before) / ready;
    return { ready, report, before, peak, perConnection };
  });
}

async function main() {
  const smoke = process.argv.includes('--smoke');
  const runs = smoke ? 1 : envInt('BENCH_RUNS', 3);
  const o = {
    runs,
    connections: smoke ? 40 : envInt('BENCH_LOAD_CONNECTIONS', 400),
    swarmSize: 10,
    duration: smoke ? 1 : envInt('BENCH_LOAD_SECONDS', 8),
    warmup: smoke ? 0.5 : 2,
  };
  const idle = {
    connections: smoke ? 200 : envInt('BENCH_IDLE_CONNECTIONS', 15000),
    hold: smoke ? 2 : 12,
    idleTimeout: smoke ? 2 : 10,
  };
  const busy = await busyWarning();
  if (busy) log(`warning: ${busy}`);

  const announce = await announceThroughput(o);
  log(`announce: best peershare ${fmt(announce.ratio, 2)} × best bittorrent-tracker (target ≥ 5)`);
  const beforeAfter = announce.beforeAfter
    ? announce.beforeAfter.map((b) => `${b.depth} in flight: ${fmt(b.after, 0)} and ${fmt(b.before, 0)} (medians), ${fmt(b.ratio, 2)} (median of the rounds' ratios)`).join('; ')
    : null;
  if (beforeAfter) log(`announce, this build ÷ the build before (${BEFORE_BIN}): ${beforeAfter}`);
  const mixed = await mixedLoad(o);
  const held = await idleMemory(idle);
  const kib = held.perConnection / 1024;
  log(`idle: ${held.ready} connections, ${held.report.open_at_end} open at the end; ${fmt(kib, 2)} KiB resident per connection (target ≤ 16)`);
  if (smoke) {
    log('smoke ok (RESULTS.md not written)');
    return;
  }

  const relayP99 = mixed.half.ops.relay.p99_us / 1000;
  await writeResults('signaling load', [
    `### Announce throughput (${o.connections} connections, swarms of ${o.swarmSize}, 1, ${PIPELINE_DEPTHS.join(' or ')} announces in flight per connection, ${o.duration} s measured after ${o.warmup} s)`,
    '',
    announce.table,
    '',
    `Target: ≥ 5 × bittorrent-tracker's responses/s, each at its maximum rate (its best median over the depths). ${announce.ratio >= 5 ? 'Met' : 'Not met'}: ${fmt(announce.ratio, 2)} × (${announce.best.label}, ${announce.best.depth} in flight: ${fmt(announce.best.rps, 0)}/s; bittorrent-tracker, ${announce.baseline.depth} in flight: ${fmt(announce.baseline.rps, 0)}/s).`,
    '',
    ...(beforeAfter
      ? [`This build against the build before it (BENCH_BEFORE_BIN, same rounds, 2 threads with an event loop each), responses/s of this build and the one before: ${beforeAfter}.`, '']
      : []),
    `### Mixed load (announce 20 : lookup 20 : relay 60; relays between pairs of one swarm)`,
    '',
    mixed.table,
    '',
    `Target: p99 relay latency < 5 ms at half of peak. ${relayP99 < 5 ? 'Met' : 'Not met'}: ${fmt(relayP99, 2)} ms (median round; the row shows its other latencies).`,
    '',
    `### Idle connections (peershare, 2 threads, event loop per thread; each announced once, then held ${idle.hold} s with pings every ${idle.idleTimeout / 2} s)`,
    '',
    markdownTable(
      ['connections held', 'open at the end', 'server RSS before (MiB)', 'server RSS held (MiB)', 'per connection (KiB)'],
      [[String(held.ready), String(held.report.open_at_end), fmt(held.before / 2 ** 20, 1), fmt(held.peak / 2 ** 20, 1), `**${fmt(kib, 2)}**`]],
    ),
    '',
    `Target: ≤ 16 KiB per connection. ${kib <= 16 ? 'Met' : 'Not met'}.`,
  ].join('\n'), {
    extra: [
      'load generator: build/bin/peershare-loadgen (C++, Asio, one thread, its own WebSocket framing: a connection\'s pending messages leave in one write) on the same machine; baseline: bittorrent-tracker 11.2.3 (WebSocket only), each target a fresh process per round',
      `${runs} rounds; throughput is the median round; mixed load: each peak is the median of its rounds, and half of the best is run ${runs} times (median round reported)`,
    ],
  });
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
