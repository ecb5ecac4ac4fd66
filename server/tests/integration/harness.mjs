// Shared harness for the integration tests: runs the real peershare binary, talks WebSocket and HTTP
// to it, and builds share metadata exactly as docs/protocol.md §1 defines it.

import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';

import { KiB, MiB } from './metadata.mjs';

export * from './metadata.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..', '..');
export const BIN = process.env.PEERSHARE_BIN || path.join(REPO_ROOT, 'build', 'bin', 'peershare');
const VERBOSE = Boolean(process.env.PEERSHARE_TEST_VERBOSE);

// How long the harness waits for things the server should do at once (a reply, a start, a close).
// Generous for a loaded 2-core machine; a passing test never waits this long.
export const STEP_TIMEOUT_MS = 5000;
const START_TIMEOUT_MS = 10000;
// How long a process has to exit after SIGTERM before it is killed and the test fails.
const STOP_TIMEOUT_MS = 5000;

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Polls `probe` until it returns a truthy value, or fails with `what` after `timeoutMs`.
export async function waitFor(what, probe, { timeoutMs = 10000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// The server process

let serverSeq = 0;

// CPU seconds (user + system) process `pid` has used so far (Linux /proc; USER_HZ is 100).
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime
}

const execFileAsync = promisify(execFile);

// The server's SQLite database in a data dir (docs/architecture.md, resource lifetime).
export function databaseFile(dataDir) {
  return path.join(dataDir, 'peershare.sqlite3');
}

// `PRAGMA integrity_check` of a database by the sqlite3 CLI (scripts/setup.sh --with-test-tools
// installs it); "ok" for a sound database. Safe while a server has it open (WAL readers).
export async function integrityCheck(dbFile) {
  try {
    const { stdout } = await execFileAsync('sqlite3', [dbFile, 'PRAGMA integrity_check;']);
    return stdout.trim();
  } catch (err) {
    if (err.code === 'ENOENT') throw new Error('the sqlite3 CLI is missing: scripts/setup.sh --with-test-tools installs it');
    throw err;
  }
}

// Fills the file system holding `dir` with one file until it reports ENOSPC; resolves its path.
export async function fillDisk(dir) {
  const file = path.join(dir, 'filler');
  const fh = await fs.open(file, 'w');
  const chunk = Buffer.alloc(64 * KiB, 0x5a);
  try {
    for (;;) await fh.write(chunk); // the last write is short, the one after it fails
  } catch (err) {
    if (err.code !== 'ENOSPC') throw err;
  } finally {
    await fh.close().catch(() => {});
  }
  return file;
}

// What listens on 127.0.0.1:port for pages and WebSockets: a server, or nginx in front of servers.
class LoopbackEndpoint {
  get host() {
    return `127.0.0.1:${this.port}`;
  }
  get origin() {
    return `http://${this.host}`;
  }
  get wsUrl() {
    return `ws://${this.host}/ws`;
  }
}

// What in a server's stderr fails a test whatever the test did, unless the test declared the line
// (`allowedErrors`): a line the log writes at error level (core/log.cpp: "<UTC time>Z error
// <text>"). Reports of the sanitizers and of the C++ and C runtimes fail it always.
const ERROR_LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z error (.*)$/;
const CRASH_REPORTS = [
  /(Address|Leak|Thread|Memory|UndefinedBehavior)Sanitizer/,
  /^==\d+==(ERROR|WARNING)/,
  /runtime error:/, // UBSan
  /terminate called/, // an exception escaped, or a joinable std::thread was destroyed
  /Assertion .* failed/, // assert()
  /\*\*\* .* \*\*\*: terminated|stack smashing detected/, // glibc's fortify and stack checks
  /double free|free\(\): invalid|malloc\(\): |corrupted size vs\. prev_size/, // glibc's heap checks
];

// The lines of `stderr` that report a failure: error-level log lines no pattern of `allowed`
// matches, and every crash report.
export function stderrProblems(stderr, allowed = []) {
  const problems = [];
  for (const line of stderr.split('\n')) {
    if (CRASH_REPORTS.some((re) => re.test(line))) {
      problems.push(`reported: ${line}`);
      continue;
    }
    const m = ERROR_LOG_LINE.exec(line);
    if (m && !allowed.some((re) => re.test(m[1]))) problems.push(`logged an error the test did not declare: ${line}`);
  }
  return problems;
}

export class ServerProcess extends LoopbackEndpoint {
  // `port`: 0 lets the server pick one; a fixed port lets a restarted server keep its address.
  // `descriptorLimit`: run the server under that RLIMIT_NOFILE (soft and hard), through prlimit(1).
  // `allowedErrors`: patterns of the error-level log lines the test provokes on purpose, matched
  // against the text after the level; any other error line fails the test (see `problems()`).
  // `bin`: another build of the server (a benchmark's "before"); the one under test by default.
  constructor({ dataDir, args = [], label, port = 0, descriptorLimit, allowedErrors = [], bin = BIN }) {
    super();
    this.bin = bin;
    this.dataDir = dataDir;
    this.args = args;
    this.descriptorLimit = descriptorLimit;
    this.requestedPort = port;
    this.label = label || `server#${++serverSeq}`;
    this.stderr = '';
    this.stdout = '';
    this.port = undefined;
    this.exit = undefined; // {code, signal} once exited
    this.allowedErrors = [...allowedErrors];
    this.uncleanExit = undefined; // why the test ends this server other than by a clean stop
    this.stopRequested = false;
    this.stopResult = undefined; // {code, signal, forced} of the stop, or of an exit before it
  }

  // Declares that the test provokes error-level log lines matching `re` (after the level), from now on.
  allowError(re) {
    this.allowedErrors.push(re);
  }

  // Declares that this server will not end by a clean stop (the test kills it, or expects it to
  // fail), and why; its exit is then not checked (its stderr still is).
  expectUncleanExit(reason) {
    if (!reason) throw new Error(`${this.label}: say why the server is not expected to exit cleanly`);
    this.uncleanExit = reason;
  }

  async start() {
    // A free UDP port for the STUN responder unless the test chose: many servers run at once.
    const stunArgs = this.args.includes('--stun-port') || this.args.includes('--no-stun') ? [] : ['--stun-port', '0'];
    const argv = ['serve', '--host', '127.0.0.1', '--port', String(this.requestedPort), '--data-dir', this.dataDir, ...stunArgs, ...this.args];
    this.argv = argv;
    const child = this.descriptorLimit
      ? spawn('prlimit', [`--nofile=${this.descriptorLimit}:${this.descriptorLimit}`, '--', this.bin, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(this.bin, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    // A spawn that fails (no binary, or one being relinked) ends with an error, never an exit.
    this.exited = watchExit(child, (exit) => {
      this.exit = exit;
      if (!this.stopRequested) this.stopResult = { ...exit, forced: false, unasked: true };
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      this.stdout += chunk;
      if (VERBOSE) process.stderr.write(prefixLines(`[${this.label} out] `, chunk));
    });
    child.stderr.setEncoding('utf8');
    let pending = '';
    const listening = new Promise((resolve, reject) => {
      child.stderr.on('data', (chunk) => {
        this.stderr += chunk;
        if (VERBOSE) process.stderr.write(prefixLines(`[${this.label}] `, chunk));
        pending += chunk;
        const stun = /STUN responder on udp port (\d+)/.exec(pending);
        if (stun) this.stunPort = Number(stun[1]);
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(pending);
        if (m) resolve(Number(m[1]));
      });
      this.exited.then((e) =>
        reject(e.error ? new Error(`cannot run ${this.bin}: ${e.error.message}`) : new Error(`server exited before listening (code ${e.code}, signal ${e.signal})`)),
      );
    });
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`server did not log its listening line within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    });
    try {
      this.port = await Promise.race([listening, timeout]);
    } catch (err) {
      this.startFailure = err.message;
      this.killNow();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return this;
  }

  // SIGTERM, then SIGKILL after a deadline. Resolves to {code, signal, forced}; `problems()` says
  // whether that was a clean exit.
  async stop({ timeoutMs = STOP_TIMEOUT_MS } = {}) {
    if (this.stopResult) return this.stopResult;
    if (!this.child) return undefined;
    this.stopRequested = true;
    this.stopTimeoutMs = timeoutMs;
    if (this.exit) {
      this.stopResult = { ...this.exit, forced: false };
      return this.stopResult;
    }
    this.child.kill('SIGTERM');
    let timer;
    const timedOut = new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const r = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (r !== 'timeout') {
      this.stopResult = { ...r, forced: false };
      return this.stopResult;
    }
    this.child.kill('SIGKILL');
    const e = await this.exited;
    this.stopResult = { ...e, forced: true };
    return this.stopResult;
  }

  // kill -9: a crash, for restart tests. `reason` says why the test kills it (its exit is then
  // not checked).
  async kill9(reason) {
    this.expectUncleanExit(reason);
    this.killNow();
    return this.exited;
  }

  killNow() {
    this.stopRequested = true;
    if (!this.exit && this.child) this.child.kill('SIGKILL');
  }

  // Why this server, once stopped, fails the test: an exit other than code 0 on SIGTERM within the
  // deadline (unless `expectUncleanExit` said why), and the lines of its stderr `stderrProblems`
  // finds. Empty when all is well.
  problems() {
    if (!this.child) return [];
    const problems = [];
    const e = this.stopResult;
    if (this.startFailure) problems.push(`did not start: ${this.startFailure}`);
    else if (this.uncleanExit) {
      // the test ends it on purpose
    } else if (!e) problems.push('was never stopped');
    else if (e.error) problems.push(`could not run: ${e.error.message}`);
    else if (e.unasked) problems.push(`exited by itself (code ${e.code}, signal ${e.signal}) before the test stopped it`);
    else if (e.forced) problems.push(`did not exit within ${this.stopTimeoutMs} ms of SIGTERM and was killed`);
    else if (e.code !== 0 || e.signal !== null) problems.push(`exited with code ${e.code}, signal ${e.signal} on SIGTERM, not 0`);
    problems.push(...stderrProblems(this.stderr, this.allowedErrors));
    return problems;
  }

  describe() {
    const status = this.exit ? `exited (code ${this.exit.code}, signal ${this.exit.signal})` : 'running';
    return `--- ${this.label}: ${this.bin} ${(this.argv || []).join(' ')} [${status}] ---\n${this.stderr}${this.stdout ? `\n--- stdout ---\n${this.stdout}` : ''}`;
  }
}

// A redis-server of the test's own on a free loopback port, without persistence, stopped by its pid
// (docs/architecture.md, Redis). A missing redis-server fails the test, saying how to install it.
export class RedisProcess {
  constructor(dir) {
    this.dir = dir;
    this.port = undefined;
    this.log = '';
    this.exit = undefined;
    this.problems = []; // unclean exits, over every start and stop
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  // Starts it (on the port it had, after a stop) and resolves once it answers PING.
  async start() {
    if (this.port === undefined) this.port = await freeTcpPort();
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', this.dir, '--daemonize', 'no', '--logfile', ''];
    spawnTool(this, 'redis-server', args);
    await waitFor(`redis-server on port ${this.port} to answer PING`, async () => {
      if (this.exit?.error?.code === 'ENOENT') {
        throw new Error("redis-server is not installed: install it with 'apt-get install redis-server' (scripts/setup.sh --with-test-tools does)");
      }
      if (this.exit) throw new Error(`redis-server exited at start (${JSON.stringify(this.exit)}): ${this.log}`);
      return (await redisCommand(this.port, 'PING')) === '+PONG';
    }, { timeoutMs: START_TIMEOUT_MS, intervalMs: 20 });
    return this;
  }

  // SIGTERM (after a SIGCONT, in case a test paused it), and resolves once it has exited (and so
  // no longer listens). An exit other than code 0 within the deadline is added to `problems`.
  async stop() {
    if (!this.child) return;
    this.child.kill('SIGCONT');
    await stopTool(this, 'redis-server', () => this.child.kill('SIGTERM'));
  }
}

// Ends a test tool started by spawnTool: `terminate()` asks it to exit; SIGKILL after
// STOP_TIMEOUT_MS. An exit by itself before it was asked, an exit other than code 0 and a kill at
// the deadline are each added to owner.problems (what the scenario reports at cleanup).
async function stopTool(owner, name, terminate) {
  if (owner.exit) {
    if (!owner.exitChecked) {
      owner.exitChecked = true;
      owner.problems.push(`${name} exited by itself before it was stopped (${describeExit(owner.exit)})`);
    }
    return;
  }
  terminate();
  let timer;
  const r = await Promise.race([owner.exited, new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS)))]);
  clearTimeout(timer);
  owner.exitChecked = true;
  if (r === 'timeout') {
    owner.child.kill('SIGKILL');
    await owner.exited;
    owner.problems.push(`${name} did not exit within ${STOP_TIMEOUT_MS} ms of being told to and was killed`);
  } else if (r.code !== 0) {
    owner.problems.push(`${name} did not exit cleanly when told to (${describeExit(r)})`);
  }
}

function describeExit(exit) {
  return exit.error ? exit.error.message : `code ${exit.code}, signal ${exit.signal}`;
}

// Resolves once `child` is gone: {code, signal} when it exited, {code: null, signal: null, error}
// when it could not be spawned (then 'exit' never comes). `onExit` sees the result first.
export function watchExit(child, onExit = () => {}) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (exit) => {
      if (done) return;
      done = true;
      onExit(exit);
      resolve(exit);
    };
    child.on('exit', (code, signal) => finish({ code, signal }));
    child.on('error', (error) => finish({ code: null, signal: null, error }));
  });
}

// Runs a test tool (redis-server, nginx) for `owner`: sets owner.child, owner.exited (resolves
// owner.exit: {code, signal}, or {error} when it could not run) and appends its output to owner.log.
function spawnTool(owner, command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  owner.child = child;
  owner.exit = undefined;
  owner.exitChecked = false;
  owner.exited = watchExit(child, (exit) => (owner.exit = exit));
  child.stdout.on('data', (d) => (owner.log += d));
  child.stderr.on('data', (d) => (owner.log += d));
}

const NGINX_CONFIG = path.join(REPO_ROOT, 'deploy', 'nginx', 'peershare.conf');
const NGINX_MISSING = "nginx is not installed: install it with 'apt-get install nginx' (scripts/setup.sh --with-test-tools does)";

function nginxBinary() {
  for (const dir of [...(process.env.PATH || '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin']) {
    if (dir && existsSync(path.join(dir, 'nginx'))) return path.join(dir, 'nginx');
  }
  return undefined;
}

// deploy/nginx/peershare.conf for `servers` on a loopback port: only the upstream's server lines
// and the listen line change.
async function renderNginxConfig(servers, port) {
  const text = await fs.readFile(NGINX_CONFIG, 'utf8');
  const upstream = /(upstream peershare \{\n(?:\s*#.*\n)*)((?:\s*server \S+;\n)+)/;
  const listen = /^ {4}listen 80;$/m;
  if (!upstream.test(text) || !listen.test(text)) {
    throw new Error(`${NGINX_CONFIG} no longer has an upstream block listing servers and a 'listen 80;' line`);
  }
  return text
    .replace(upstream, (_, head) => head + servers.map((s) => `    server ${s.host};\n`).join(''))
    .replace(listen, `    listen 127.0.0.1:${port};`);
}

// nginx of the test's own, in the foreground, running the repo's configuration (rendered into its
// directory) in front of `servers`; stopped by its pid. A missing nginx fails the test, saying how
// to install it.
export class NginxProcess extends LoopbackEndpoint {
  constructor(dir) {
    super();
    this.dir = dir;
    this.port = undefined;
    this.log = '';
    this.exit = undefined;
    this.problems = []; // an unclean exit
  }

  // Starts it and resolves once /healthz answers 200 through it.
  async start(servers) {
    const binary = nginxBinary();
    if (!binary) throw new Error(NGINX_MISSING);
    this.port = await freeTcpPort();
    const site = path.join(this.dir, 'peershare.conf');
    await fs.writeFile(site, await renderNginxConfig(servers, this.port));
    const main = [
      // As root, the workers would otherwise run as nobody and could not use the temp directories.
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      'worker_processes 1;',
      'events { worker_connections 256; }',
      'http {',
      '    access_log off;',
      `    client_body_temp_path ${path.join(this.dir, 'client_body')};`,
      `    proxy_temp_path ${path.join(this.dir, 'proxy')};`,
      `    include ${site};`,
      '}',
    ];
    const conf = path.join(this.dir, 'nginx.conf');
    await fs.writeFile(conf, `${main.join('\n')}\n`);
    const global = `daemon off; pid ${path.join(this.dir, 'nginx.pid')}; error_log stderr;`;
    spawnTool(this, binary, ['-p', this.dir, '-e', 'stderr', '-c', conf, '-g', global]);
    await waitFor(`nginx on port ${this.port} to serve /healthz`, async () => {
      if (this.exit?.error?.code === 'ENOENT') throw new Error(NGINX_MISSING);
      if (this.exit) throw new Error(`nginx exited at start (${JSON.stringify(this.exit)}): ${this.log}`);
      const r = await httpGet(this, '/healthz').catch(() => undefined);
      return r?.status === 200;
    }, { timeoutMs: START_TIMEOUT_MS, intervalMs: 20 });
    return this;
  }

  // SIGTERM to its pid, and resolves once it has exited; an unclean exit is added to `problems`.
  async stop() {
    if (!this.child) return;
    await stopTool(this, 'nginx', () => process.kill(this.child.pid, 'SIGTERM'));
  }

  describe() {
    return `--- nginx on port ${this.port} ---\n${this.log}`;
  }
}

// A TCP port nothing listens on right now (the system's pick; closed again before it is returned).
export async function freeTcpPort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

// Sends one inline command to the Redis on `port`; resolves the first line of the reply
// ("+PONG", ":1", "-ERR ..."), or undefined when nothing answers.
function redisCommand(port, command) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const done = (v) => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(1000, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (d) => {
      data += d;
      const end = data.indexOf('\r\n');
      if (end >= 0) done(data.slice(0, end));
    });
  });
}

// Runs the binary with `args` to its end (a command that is expected to exit, or a server that
// must refuse to start); resolves {code, signal, stdout, stderr}. The working directory is outside
// the repo: a binary that wrongly starts serving must not leave a data dir there.
export function runBinary(args, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: os.tmpdir() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`peershare ${args.join(' ')} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function prefixLines(prefix, text) {
  return text.replace(/^(?=.)/gm, prefix);
}

// ---------------------------------------------------------------------------------------------
// A test scenario: owns the servers, temp dirs and clients it creates, cleans them up, and adds the
// servers' stderr to the error when the test fails. Cleanup stops every process it started and
// fails the test when one did not end cleanly (see ServerProcess.problems() and stopTool).

export async function scenario(fn) {
  const ctx = new Scenario();
  let failure;
  try {
    await fn(ctx);
  } catch (err) {
    failure = err;
  }
  const problems = await ctx.cleanup();
  if (!failure && problems.length === 0) return;
  const report = problems.length ? `processes of the test did not end cleanly:\n${problems.map((p) => `  ${p}`).join('\n')}` : '';
  if (!failure) failure = new Error(report);
  else if (report) appendToError(failure, `\n${report}`);
  const logs = [...ctx.servers, ...ctx.nginxes].map((s) => s.describe()).join('\n');
  if (logs) appendToError(failure, `\n${logs}`);
  throw failure;
}

// Appends `text` to an error's message; some errors have a read-only message: it is printed instead.
function appendToError(err, text) {
  if (err && typeof err === 'object') {
    try {
      err.message = `${err.message}${text}`;
      return;
    } catch {
      // read-only
    }
  }
  process.stderr.write(`${text}\n`);
}

class Scenario {
  constructor() {
    this.servers = [];
    this.clients = [];
    this.dirs = [];
    this.mounts = [];
    this.redises = [];
    this.nginxes = [];
    this.tools = [];
  }

  // Starts nginx with the repo's configuration in front of `servers`; stopped at cleanup before them.
  async startNginx(servers) {
    const nginx = new NginxProcess(await this.tempDir());
    this.nginxes.push(nginx);
    await nginx.start(servers);
    return nginx;
  }

  // `n` servers on one redis-server of their own (`--store`, plus `args`): several instances of
  // one deployment. Resolves {redis, servers}.
  async startInstances(n, { args = [], allowedErrors } = {}) {
    const redis = await this.startRedis();
    const servers = [];
    for (let i = 0; i < n; i++) servers.push(await this.startServer({ args: ['--store', redis.url, ...args], allowedErrors }));
    return { redis, servers };
  }

  // Starts a redis-server of its own; stopped at cleanup after the servers.
  async startRedis() {
    const redis = new RedisProcess(await this.tempDir());
    this.redises.push(redis);
    await redis.start();
    return redis;
  }

  async tempDir() {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'peershare-it-'));
    this.dirs.push(dir);
    return dir;
  }

  // A tmpfs of `bytes` mounted on a fresh temp dir (`readOnly`: mounted read-only), unmounted at
  // cleanup once the servers have stopped. Mounting needs root: resolves {dir}, or {skip: reason}
  // where it is not permitted, for the test to skip with.
  async mountTmpfs(bytes, { readOnly = false } = {}) {
    const dir = await this.tempDir();
    const options = `size=${bytes}${readOnly ? ',ro' : ''}`;
    try {
      await execFileAsync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
    } catch (err) {
      // One line: node:test prints the reason after "# SKIP" on the test's own line.
      const why = String(err.stderr || err.message).trim().split('\n')[0];
      return { skip: `mounting a tmpfs needs root (${why})` };
    }
    this.mounts.push(dir);
    return { dir };
  }

  // Starts a server; `dataDir` reuses a directory (restart), `args` adds flags, `descriptorLimit`
  // runs it under that file-descriptor limit, `port` asks for a port (a restart keeping its
  // address), `allowedErrors` lists the error lines the test provokes (ServerProcess).
  async startServer({ args = [], dataDir, descriptorLimit, port, label, allowedErrors } = {}) {
    const dir = dataDir || (await this.tempDir());
    const server = new ServerProcess({ dataDir: dir, args, descriptorLimit, port, label, allowedErrors });
    this.servers.push(server);
    await server.start();
    return server;
  }

  // Opens a WebSocket and waits for `welcome`.
  async connect(server, opts = {}) {
    const client = await Client.connect(server, opts);
    this.clients.push(client);
    return client;
  }

  // Opens a WebSocket that may be refused; resolves {client} or {status, body}.
  async tryConnect(server, opts = {}) {
    const r = await tryConnect(server, opts);
    if (r.client) this.clients.push(r.client);
    return r;
  }

  // Registers a process of the test's own that is not a server, Redis or nginx (coturn): `stop()`
  // is called at cleanup, after the servers, and what it left in `problems` fails the test.
  stopAtCleanup(tool) {
    this.tools.push(tool);
    return tool;
  }

  // Stops everything and resolves the problems found, one line each, naming the process.
  async cleanup() {
    for (const c of this.clients) c.terminate();
    await Promise.all(this.nginxes.map((n) => n.stop()));
    await Promise.all(this.servers.map((s) => s.stop()));
    await Promise.all([...this.redises, ...this.tools].map((r) => r.stop()));
    const problems = [
      ...this.servers.flatMap((s) => s.problems().map((p) => `${s.label} ${p}`)),
      ...[...this.nginxes, ...this.redises, ...this.tools].flatMap((t) => t.problems),
    ];
    for (const dir of this.mounts) {
      // Lazily if something still holds it, so the test run never leaves a mount behind.
      await execFileAsync('umount', [dir]).catch(() => execFileAsync('umount', ['-l', dir]).catch(() => {}));
    }
    await Promise.all(this.dirs.map((d) => fs.rm(d, { recursive: true, force: true }).catch(() => {})));
    return problems;
  }
}

// ---------------------------------------------------------------------------------------------
// WebSocket client

let requestSeq = 1000;

function wsOptions({ origin, localAddress, headers } = {}) {
  const o = { handshakeTimeout: STEP_TIMEOUT_MS, perMessageDeflate: false, maxPayload: 16 * MiB };
  if (origin !== undefined) o.origin = origin; // ws sends no Origin unless asked
  if (localAddress) o.localAddress = localAddress;
  if (headers) o.headers = headers;
  return o;
}

function urlOf(server) {
  return typeof server === 'string' ? server : server.wsUrl;
}

export class Client {
  constructor(ws) {
    this.ws = ws;
    this.queue = []; // parsed server messages not yet taken by next()
    this.waiters = [];
    this.nonJson = []; // frames that were not JSON text (should never happen)
    this.closeInfo = undefined;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(new Error(`connection closed (code ${code}) while waiting for ${w.what}; unmatched queue: ${JSON.stringify(this.queue)}`));
        }
        resolve(this.closeInfo);
      });
    });
    ws.on('error', (err) => {
      this.lastError = err;
    });
    ws.on('message', (data, isBinary) => {
      let msg;
      try {
        if (isBinary) throw new Error('binary');
        msg = JSON.parse(data.toString('utf8'));
      } catch {
        this.nonJson.push({ data, isBinary });
        return;
      }
      const i = this.waiters.findIndex((w) => w.predicate(msg));
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        clearTimeout(w.timer);
        w.resolve(msg);
      } else {
        this.queue.push(msg);
      }
    });
  }

  static async connect(server, opts = {}) {
    const r = await tryConnect(server, opts);
    if (!r.client) throw new Error(`WebSocket upgrade refused with HTTP ${r.status}: ${r.body}`);
    return r.client;
  }

  get peer() {
    return this.welcome.peer;
  }

  // Resolves with the first message (queued or future) that matches, and takes it off the queue.
  next(predicate = () => true, timeoutMs = STEP_TIMEOUT_MS, what = predicate.toString()) {
    const i = this.queue.findIndex(predicate);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    if (this.closeInfo) {
      return Promise.reject(new Error(`connection already closed (code ${this.closeInfo.code}) while waiting for ${what}`));
    }
    return new Promise((resolve, reject) => {
      const w = { predicate, resolve, reject, what };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; unmatched queue: ${JSON.stringify(this.queue)}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  nextOfType(type, timeoutMs) {
    return this.next((m) => m.type === type, timeoutMs, `a "${type}" message`);
  }

  send(msg) {
    this.ws.send(JSON.stringify(msg));
  }

  sendRaw(data, { binary = false, fin = true } = {}) {
    this.ws.send(data, { binary, fin });
  }

  // Sends `msg` with an id (given or fresh) and resolves with the reply or error carrying that id.
  async request(msg, timeoutMs) {
    const m = { ...msg };
    if (!('id' in m)) m.id = ++requestSeq;
    this.send(m);
    return this.next((r) => r.id === m.id, timeoutMs, `the reply to ${JSON.stringify(m).slice(0, 200)}`);
  }

  // Sends a raw frame carrying request id `id` and resolves with the reply/error with that id.
  async requestRaw(text, id, timeoutMs) {
    this.sendRaw(text);
    return this.next((r) => r.id === id, timeoutMs, `the reply to raw ${text.slice(0, 200)}`);
  }

  // A round trip: everything the server sent this connection before answering it is now queued.
  async barrier() {
    const resource = crypto.randomBytes(32).toString('hex');
    const id = `barrier-${++requestSeq}`;
    const reply = await this.request({ type: 'lookup', id, resource });
    if (reply.type !== 'error' || reply.code !== 'not_found') {
      throw new Error(`barrier lookup got ${JSON.stringify(reply)}`);
    }
  }

  // After a barrier: fails if a queued message matches `predicate`.
  async assertNothing(predicate, what) {
    await this.barrier();
    const hit = this.queue.find(predicate);
    if (hit) throw new Error(`unexpected message (${what}): ${JSON.stringify(hit)}`);
  }

  async close(code = 1000) {
    if (!this.closeInfo) {
      this.ws.close(code);
      let timer;
      await Promise.race([this.closed, new Promise((r) => (timer = setTimeout(r, STEP_TIMEOUT_MS)))]);
      clearTimeout(timer);
      if (!this.closeInfo) this.ws.terminate();
    }
    return this.closed;
  }

  // Waits for the server to close the connection; resolves {code, reason}.
  async waitClosed(timeoutMs = STEP_TIMEOUT_MS) {
    let timer;
    const r = await Promise.race([
      this.closed,
      new Promise((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!r) throw new Error(`connection not closed within ${timeoutMs} ms; queue: ${JSON.stringify(this.queue).slice(0, 500)}`);
    return r;
  }

  terminate() {
    if (!this.closeInfo) this.ws.terminate();
  }
}

// Resolves {client} after the welcome, or {status, body, headers} when the upgrade is refused.
export function tryConnect(server, opts = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(urlOf(server), wsOptions(opts));
    let settled = false;
    const done = (fn, v) => {
      if (!settled) {
        settled = true;
        fn(v);
      }
    };
    const client = new Client(ws);
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        done(resolve, { status: res.statusCode, headers: res.headers, body });
        req.destroy();
      });
      res.on('error', () => done(resolve, { status: res.statusCode, headers: res.headers, body }));
    });
    ws.on('error', (err) => done(reject, err));
    ws.on('open', () => {
      client
        .next((m) => m.type === 'welcome', STEP_TIMEOUT_MS, 'welcome')
        .then((welcome) => {
          client.welcome = welcome;
          done(resolve, { client });
        })
        .catch((err) => done(reject, err));
    });
  });
}

// Fails unless `server` still serves a new client: a fresh WebSocket gets its welcome and a reply
// to a lookup. Every abuse case ends with it: what one client did must not hurt anyone else.
export async function assertServes(server) {
  const client = await Client.connect(server);
  try {
    await client.barrier();
  } finally {
    await client.close();
  }
}

// Sends every message at once, as a flood, and collects what comes back until each has been
// answered or the server closed the connection. Resolves {answers, closed}: answers in arrival
// order, closed the close info or undefined.
export async function floodAndCollect(client, messages) {
  for (const m of messages) client.send(m);
  const answers = [];
  while (answers.length < messages.length) {
    try {
      answers.push(await client.next(() => true));
    } catch (err) {
      if (client.closeInfo) break;
      throw err;
    }
  }
  return { answers, closed: client.closeInfo };
}

// Resolves the milliseconds from now until `sock` is closed (by either side), or undefined when it
// is still open after `timeoutMs`. Reads and discards what arrives.
export function closeTimer(sock, timeoutMs) {
  const started = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    sock.on('error', () => {});
    sock.resume();
    sock.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// A raw WebSocket over a TCP socket, for what the ws client will not do (a frame header with no
// payload yet).

// `headers`: more request header lines ({name: value}); the 101 response's head is kept in
// `upgradeHead`. `after`: bytes (client frames) sent in the same TCP write as the upgrade request,
// before any answer: a client that does not wait for the handshake.
export async function rawWebSocket(server, { headers = {}, after } = {}) {
  const sock = net.connect(server.port, '127.0.0.1');
  await once(sock, 'connect');
  const key = crypto.randomBytes(16).toString('base64');
  const more = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const upgrade = Buffer.from(
    `GET /ws HTTP/1.1\r\nHost: ${server.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${more}\r\n`,
    'latin1',
  );
  sock.write(after ? Buffer.concat([upgrade, after]) : upgrade);
  const raw = new RawWs(sock);
  const head = await raw.readHttpHead();
  if (!/^HTTP\/1\.1 101/.test(head)) throw new Error(`raw upgrade refused: ${head}`);
  raw.upgradeHead = head;
  return raw;
}

export const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 };

// A masked client frame (RFC 6455 §5.2); `fin: false` leaves the message open for continuations.
export function clientFrame(opcode, payload, { fin = true } = {}) {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const h = Buffer.alloc(2 + ext + 4);
  h[0] = (fin ? 0x80 : 0) | opcode;
  if (ext === 0) h[1] = 0x80 | len;
  else if (ext === 2) {
    h[1] = 0x80 | 126;
    h.writeUInt16BE(len, 2);
  } else {
    h[1] = 0x80 | 127;
    h.writeBigUInt64BE(BigInt(len), 2);
  }
  const mask = crypto.randomBytes(4);
  mask.copy(h, 2 + ext);
  const masked = Buffer.from(payload);
  for (let i = 0; i < len; i++) masked[i] ^= mask[i & 3];
  return Buffer.concat([h, masked]);
}

export class RawWs {
  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.ended = false;
    this.notify = () => {};
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.notify();
    });
    const end = () => {
      this.ended = true;
      this.notify();
    };
    sock.on('end', end);
    sock.on('close', end);
    sock.on('error', end);
  }

  async waitData(timeoutMs) {
    let timer;
    await new Promise((resolve, reject) => {
      this.notify = resolve;
      timer = setTimeout(() => reject(new Error(`raw socket: nothing within ${timeoutMs} ms`)), timeoutMs);
    });
    clearTimeout(timer);
  }

  async readHttpHead(timeoutMs = STEP_TIMEOUT_MS) {
    for (;;) {
      const i = this.buf.indexOf('\r\n\r\n');
      if (i >= 0) {
        const head = this.buf.subarray(0, i).toString('latin1');
        this.buf = this.buf.subarray(i + 4);
        return head;
      }
      if (this.ended) throw new Error('raw socket ended during the HTTP head');
      await this.waitData(timeoutMs);
    }
  }

  // Resolves {opcode, fin, rsv, payload} (rsv: the three reserved bits) or undefined when the
  // socket ended.
  async readFrame(timeoutMs = STEP_TIMEOUT_MS) {
    for (;;) {
      const f = this.tryParse();
      if (f) return f;
      if (this.ended) return undefined;
      await this.waitData(timeoutMs);
    }
  }

  tryParse() {
    const b = this.buf;
    if (b.length < 2) return undefined;
    let len = b[1] & 0x7f;
    let off = 2;
    if (len === 126) {
      if (b.length < 4) return undefined;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10) return undefined;
      len = Number(b.readBigUInt64BE(2));
      off = 10;
    }
    if (b[1] & 0x80) off += 4; // servers do not mask, but be safe
    if (b.length < off + len) return undefined;
    const frame = { fin: Boolean(b[0] & 0x80), rsv: (b[0] >> 4) & 0x07, opcode: b[0] & 0x0f, payload: b.subarray(off, off + len) };
    this.buf = b.subarray(off + len);
    return frame;
  }

  // A masked client frame header claiming `length` payload bytes, without the payload.
  writeHeaderOnly(opcode, length) {
    const h = Buffer.alloc(14);
    h[0] = 0x80 | opcode;
    h[1] = 0x80 | 127;
    h.writeBigUInt64BE(BigInt(length), 2);
    crypto.randomFillSync(h, 10, 4);
    this.sock.write(h);
  }

  // A masked client text frame.
  writeText(text) {
    this.sock.write(clientFrame(OPCODE.text, Buffer.from(text, 'utf8')));
  }

  // One text message cut into frames of `size` bytes (the first a text frame, the rest
  // continuation frames), written at once; `ping`: a ping frame after the first fragment.
  writeFragmented(text, size, { ping = false } = {}) {
    const payload = Buffer.from(text, 'utf8');
    const frames = [];
    for (let off = 0; off < payload.length; off += size) {
      const fin = off + size >= payload.length;
      frames.push(clientFrame(off === 0 ? OPCODE.text : OPCODE.continuation, payload.subarray(off, off + size), { fin }));
      if (ping && off === 0) frames.push(clientFrame(OPCODE.ping, Buffer.from('mid-message')));
    }
    this.sock.write(Buffer.concat(frames));
  }

  // The next text frame's JSON, skipping control frames; undefined when the socket ended.
  async readJson(timeoutMs = STEP_TIMEOUT_MS) {
    for (;;) {
      const f = await this.readFrame(timeoutMs);
      if (!f) return undefined;
      if (f.opcode === OPCODE.text) return JSON.parse(f.payload.toString('utf8'));
      if (f.opcode === OPCODE.close) return undefined;
    }
  }

  // Resolves once the TCP connection is closed by either side (or after timeoutMs with false).
  async waitEnded(timeoutMs = STEP_TIMEOUT_MS) {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.waitData(left).catch(() => {});
      this.buf = Buffer.alloc(0); // the caller only cares about the end
    }
    return true;
  }

  destroy() {
    this.sock.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

// One request on its own connection (agent: false → Connection: close), so no idle keep-alive
// connection lingers and counts against per-IP limits.
export function httpRequest(server, method, urlPath, { body, headers = {}, timeoutMs = STEP_TIMEOUT_MS } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: server.port, method, path: urlPath, headers, agent: false, timeout: timeoutMs },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: buf,
            text: () => buf.toString('utf8'),
            json: () => JSON.parse(buf.toString('utf8')),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`HTTP ${method} ${urlPath} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

export const httpGet = (server, p, opts) => httpRequest(server, 'GET', p, opts);

export function putMetadata(server, id, bytes) {
  return httpRequest(server, 'PUT', `/api/resources/${id}/metadata`, {
    body: bytes,
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length },
  });
}

export async function getJson(server, p) {
  const r = await httpGet(server, p);
  return { status: r.status, headers: r.headers, body: r.body.length ? r.json() : undefined };
}

// ---------------------------------------------------------------------------------------------
// Prometheus text format

// Returns [{name, labels, value}] for every sample, plus `types`: name → type from # TYPE lines.
export function parseMetrics(text) {
  const samples = [];
  const types = new Map();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const t = /^# TYPE (\S+) (\S+)/.exec(line);
    if (t) {
      types.set(t[1], t[2]);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      let l;
      while ((l = re.exec(m[2]))) labels[l[1]] = l[2];
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  samples.types = types;
  return samples;
}

export async function readMetrics(server) {
  const r = await httpGet(server, '/metrics');
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  const m = parseMetrics(r.text());
  m.response = r;
  return m;
}

// The value of the one sample of `name` whose labels include `labels`. A missing sample fails,
// naming it: a renamed or dropped metric must not read as 0 (the server renders every series, at
// 0 until it moves). So does a choice of labels that matches several series.
export function metric(samples, name, labels = {}) {
  const hits = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  const series = `${name}${Object.keys(labels).length ? JSON.stringify(labels) : ''}`;
  if (hits.length === 0) {
    const known = samples.filter((s) => s.name === name).map((s) => JSON.stringify(s.labels));
    throw new Error(`/metrics has no sample ${series}${known.length ? `; ${name} has ${known.join(', ')}` : ''}`);
  }
  if (hits.length > 1) throw new Error(`/metrics has ${hits.length} samples matching ${series}: name every label`);
  return hits[0].value;
}

export function randomId() {
  return crypto.randomBytes(32).toString('hex');
}

// Asserts an `error` message: its code, and its id when `id` is given.
export function isError(msg, code, id) {
  return msg && msg.type === 'error' && msg.code === code && (id === undefined || msg.id === id);
}
