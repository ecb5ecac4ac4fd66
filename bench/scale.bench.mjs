// Scale-out benchmark: signal relays with one instance on SQLite, one on Redis, and two instances
// on one Redis (every relay crossing instances through pub/sub), measured in the same run with
// build/bin/peershare-loadgen: relays/s at peak (closed loop) and latency at a fixed offered rate.
//
//   node bench/scale.bench.mjs            # full run, writes bench/RESULTS.md
//   node bench/scale.bench.mjs --smoke    # small and quick, checks it works, writes nothing (CI)
//   BENCH_RUNS=3 BENCH_SCALE_RATE=4000 node bench/scale.bench.mjs
//
// Every run (smoke or full) fails unless its counts add up: every relay sent arrives, none refused
// (loadgen-run.mjs), and the instances' own count of relays routed through Redis
// (peershare_cluster_relays_total) is every relay sent with two instances and none with one.
import { metric, readMetrics, RedisProcess } from '../server/tests/integration/harness.mjs';
import { loadgen, UNLIMITED } from './loadgen-run.mjs';
import { busyWarning, envInt, fmt, markdownTable, median, withBench, writeResults } from './lib.mjs';

const log = (s) => process.stderr.write(`${s}\n`);

const CONFIGS = [
  { key: 'sqlite', label: 'one instance, SQLite', instances: 1, redis: false },
  { key: 'redis1', label: 'one instance, Redis', instances: 1, redis: true },
  { key: 'redis2', label: 'two instances, one Redis', instances: 2, redis: true },
];

// Starts the configuration's processes; resolves {servers, ports, pids} (pids of every server and Redis).
async function deploy(run, config) {
  const pids = [];
  const args = ['--threads', '1', '--no-stun', ...UNLIMITED];
  if (config.redis) {
    const redis = new RedisProcess(await run.tempDir('peershare-bench-redis-'));
    run.defer(() => redis.stop());
    await redis.start();
    pids.push(redis.child.pid);
    args.push('--store', redis.url);
  }
  const servers = [];
  for (let i = 0; i < config.instances; i++) {
    const server = await run.startServer({ args, label: `${config.key}#${i}` });
    servers.push(server);
    pids.push(server.child.pid);
  }
  return { servers, ports: servers.map((s) => s.port), pids };
}

// Relays the instances routed to another instance through Redis and saw delivered.
async function relayedThroughRedis(servers) {
  let n = 0;
  for (const s of servers) n += metric(await readMetrics(s), 'peershare_cluster_relays_total', { result: 'delivered' });
  return n;
}

async function measure(config, o) {
  return withBench(async (run) => {
    const { servers, ports, pids } = await deploy(run, config);
    const target = { pid: pids, ports };
    const args = ['--connections', String(o.connections), '--swarm-size', '10', '--duration', String(o.duration), '--warmup', String(o.warmup), '--mix', '0,0,100'];
    const peak = await loadgen(run, target, args);
    const steady = await loadgen(run, target, [...args, '--rate', String(o.rate)]);
    if (config.redis) {
      const sent = peak.ops.relay.sent + steady.ops.relay.sent;
      const crossed = await relayedThroughRedis(servers);
      const expected = config.instances > 1 ? sent : 0;
      if (crossed !== expected) throw new Error(`${config.label}: ${crossed} relays went through Redis, expected ${expected} of the ${sent} sent`);
    }
    return { peak, steady };
  });
}

async function main() {
  const smoke = process.argv.includes('--smoke');
  const o = {
    runs: smoke ? 1 : envInt('BENCH_RUNS', 3),
    connections: smoke ? 20 : envInt('BENCH_SCALE_CONNECTIONS', 200),
    duration: smoke ? 1 : envInt('BENCH_LOAD_SECONDS', 6),
    warmup: smoke ? 0.5 : 1,
    rate: smoke ? 500 : envInt('BENCH_SCALE_RATE', 4000),
  };
  const busy = await busyWarning();
  if (busy) log(`warning: ${busy}`);
  const results = Object.fromEntries(CONFIGS.map((c) => [c.key, []]));
  for (let round = 1; round <= o.runs; round++) {
    for (const config of CONFIGS) {
      const r = await measure(config, o);
      results[config.key].push(r);
      log(`round ${round}/${o.runs}: ${config.label}: peak ${fmt(r.peak.ops.relay.per_s, 0)} relays/s (CPU ${fmt(r.peak.serverCores, 2)} cores); at ${o.rate}/s p50 ${fmt(r.steady.ops.relay.p50_us / 1000, 2)} ms, p99 ${fmt(r.steady.ops.relay.p99_us / 1000, 2)} ms`);
    }
  }
  if (smoke) {
    log('smoke ok (RESULTS.md not written)');
    return;
  }
  const rows = CONFIGS.map((c) => {
    const list = results[c.key];
    return [
      c.label,
      list.map((r) => fmt(r.peak.ops.relay.per_s, 0)).join(' / '),
      `**${fmt(median(list.map((r) => r.peak.ops.relay.per_s)), 0)}**`,
      fmt(median(list.map((r) => r.peak.serverCores)), 2),
      fmt(median(list.map((r) => r.steady.ops.relay.p50_us)) / 1000, 2),
      fmt(median(list.map((r) => r.steady.ops.relay.p99_us)) / 1000, 2),
    ];
  });
  await writeResults('scale-out relays', [
    `${o.connections} connections in pairs (relay partners are neighbours: with two instances every relay crosses instances), ` +
      `each instance with 1 network thread; peak is closed loop, one relay in flight per connection, ${o.duration} s after ${o.warmup} s; latency at ${o.rate} relays/s offered.`,
    '',
    markdownTable(['deployment', 'peak relays/s per round', 'median peak relays/s', 'CPU of servers + Redis at peak (cores)', `p50 at ${o.rate}/s (ms)`, `p99 at ${o.rate}/s (ms)`], rows),
  ].join('\n'), {
    extra: ['load generator: build/bin/peershare-loadgen (one thread) on the same 2 cores as every server and Redis', `${o.runs} rounds, medians`],
  });
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
