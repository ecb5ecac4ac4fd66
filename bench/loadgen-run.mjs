// Running build/bin/peershare-loadgen (bench/loadgen/) from the load benchmarks: child processes
// stopped by pid at cleanup, the load generator's JSON report, and the CPU the targets used.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { cpuSeconds } from '../server/tests/integration/harness.mjs';
import { REPO_ROOT } from './lib.mjs';

export const LOADGEN = path.join(REPO_ROOT, 'build', 'bin', 'peershare-loadgen');

// Limits lifted for the benchmark: one address opens every connection, at full rate.
export const UNLIMITED = ['--max-connections-per-ip', '1000000', '--messages-per-second', '1000000', '--message-burst', '1000000'];

export function residentBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

// Starts a child process, stopped by pid at cleanup. `ready` matches a stdout line; resolves with
// {child, match, output()} once it appears.
export async function startProcess(run, command, args, { ready, label }) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c) => (err += c));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  run.defer(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  });
  const match = await new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c;
      const m = ready && ready.exec(out);
      if (m) resolve(m);
    });
    child.on('error', (e) => reject(new Error(`cannot run ${label}: ${e.message}`)));
    exited.then(({ code, signal }) => (ready ? reject(new Error(`${label} exited (${code ?? signal}) before it was ready:\n${err}`)) : resolve(null)));
  });
  return { child, match, exited, output: () => out, errors: () => err };
}

// Runs the load generator to completion against `target`; resolves its JSON report plus the
// target's CPU use (cores) over the run. `target`: {port or ports, pid or pids}; the CPU sums every pid.
export async function loadgen(run, target, args) {
  if (!fs.existsSync(LOADGEN)) throw new Error(`${LOADGEN} is missing: run scripts/build.sh --tests`);
  const pids = [target.pid].flat();
  const ports = [target.ports ?? target.port].flat();
  const cpu = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const cpu0 = cpu();
  const t0 = Date.now();
  const p = await startProcess(run, LOADGEN, [...ports.flatMap((port) => ['--port', String(port)]), ...args], { label: 'peershare-loadgen' });
  const { code } = await p.exited;
  const seconds = (Date.now() - t0) / 1000;
  if (code !== 0) throw new Error(`peershare-loadgen exited with ${code}:\n${p.errors()}`);
  const report = JSON.parse(p.output().trim().split('\n').at(-1));
  const problems = reportProblems(report);
  if (problems.length) throw new Error(`the load run does not add up: ${problems.join('; ')}\n${JSON.stringify(report)}\n${p.errors()}`);
  return { ...report, serverCores: (cpu() - cpu0) / seconds };
}

// What makes a load generator's report unusable: connections that failed or were refused, and for
// an operations run any operation sent and not answered, answered with an error, or lost with a
// closed connection, any error that answered nothing, or no operation at all. Empty when it adds up.
export function reportProblems(report) {
  const problems = [];
  if (report.failed > 0 || report.setup_errors > 0 || report.ready !== report.connections)
    problems.push(`${report.ready} of ${report.connections} connections ready (${report.failed} failed, ${report.setup_errors} refused at setup)`);
  if (report.mode !== 'ops') return problems;
  if (report.closed > 0) problems.push(`${report.closed} connections closed by the server`);
  for (const [kind, o] of Object.entries(report.ops)) {
    if (o.answered !== o.sent) problems.push(`${o.sent} ${kind}s sent, ${o.answered} answered`);
    if (o.refused > 0) problems.push(`${o.refused} ${kind}s answered with an error`);
    if (o.lost > 0) problems.push(`${o.lost} ${kind}s lost with their connection`);
  }
  if (report.stray_errors > 0) problems.push(`${report.stray_errors} errors that answered no operation`);
  if (!(report.ops_per_s > 0)) problems.push('no operation was counted');
  return problems;
}

