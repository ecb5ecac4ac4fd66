// A real coturn (Debian package coturn, /usr/bin/turnserver) for tests: one process on 127.0.0.1,
// TURN REST-API authentication (use-auth-secret + static-auth-secret, the credentials peershare
// mints), plain UDP/TCP only, in the foreground, not root-dependent, every file it writes (log, pid
// file, SQLite user db) inside a temp dir of its own. It is ready when it answers a STUN Binding
// request on its port (polled, no sleeps), and stop() ends it by pid: SIGTERM, then SIGKILL; an
// unclean end is kept in `problems` (a scenario's stopAtCleanup fails the test on it).
//
// Ports: the listening port (UDP and TCP) and a small relay range are picked below the kernel's
// ephemeral range (/proc/sys/net/ipv4/ip_local_port_range), where port-0 binds of other processes
// (browsers, the peershare server, other tests) never land; each is checked free before use, and
// a start that loses a race for its port (coturn logs "Cannot bind" and retries forever) is killed
// and retried on other ports.
//
// Loopback only: allow-loopback-peers is for tests; never use it in production (see README.md,
// "Deploying with coturn").
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { watchExit } from '../../../server/tests/integration/harness.mjs';

export const TURNSERVER = process.env.PEERSHARE_TURNSERVER || '/usr/bin/turnserver';
export const REALM = 'peershare.test';
const HOST = '127.0.0.1';
const RELAY_PORTS = 16;
const START_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 5000;
const ATTEMPTS = 5;

// Last resort: a test that times out may never reach its stop(); no coturn outlives this process.
const live = new Set();
process.on('exit', () => {
  for (const pid of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

// Starts coturn. `secret`: its static-auth-secret. `dir`: where its files go (default: a new temp
// dir, removed by stop()). `args`: more turnserver flags. Resolves a handle:
// {host, port, pid, dir, logFile, argv, url(transport), log(), waitForLog(re), stop(), restart(),
// describe()}.
export async function startCoturn({ secret, dir, args = [] } = {}) {
  if (!secret) throw new Error('startCoturn: a secret is required');
  if (!fs.existsSync(TURNSERVER)) {
    throw new Error(`${TURNSERVER} is missing: install Debian's coturn (apt-get install -y coturn)`);
  }
  const ownDir = !dir;
  const home = dir || (await fsp.mkdtemp(path.join(os.tmpdir(), 'peershare-coturn-')));
  let lastError;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const ports = await pickPorts(RELAY_PORTS + 1);
    const sub = path.join(home, `run${attempt}`);
    await fsp.mkdir(sub, { recursive: true });
    const turn = new Coturn({ secret, dir: sub, port: ports[0], minPort: ports[1], maxPort: ports[ports.length - 1], args });
    try {
      await turn.start();
      turn.onStopped = ownDir ? () => fsp.rm(home, { recursive: true, force: true }).catch(() => {}) : null;
      return turn;
    } catch (err) {
      lastError = err;
      await turn.stop();
      if (!turn.bindFailed) break; // only a lost port race is worth another try
    }
  }
  if (ownDir) await fsp.rm(home, { recursive: true, force: true }).catch(() => {});
  throw lastError;
}

class Coturn {
  constructor({ secret, dir, port, minPort, maxPort, args }) {
    this.host = HOST;
    this.port = port;
    this.minPort = minPort;
    this.maxPort = maxPort;
    this.dir = dir;
    this.logFile = path.join(dir, 'turnserver.log');
    this.output = ''; // what coturn prints despite --no-stdout-log (early socket probes)
    this.exit = undefined;
    this.bindFailed = false;
    this.problems = []; // unclean exits, over every start and stop (a restart stops it too)
    this.argv = [
      '-n', // no configuration file: /etc/turnserver.conf (Debian's says "syslog") is not read
      `--listening-ip=${HOST}`,
      `--relay-ip=${HOST}`,
      `--listening-port=${port}`,
      `--min-port=${minPort}`,
      `--max-port=${maxPort}`,
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      `--realm=${REALM}`,
      '--no-tls',
      '--no-dtls',
      '--no-rfc5780',
      '--allow-loopback-peers', // tests only: both browsers are on 127.0.0.1
      '--no-cli',
      `--log-file=${this.logFile}`,
      '--simple-log', // exactly that file name, no pid/date appended
      '--no-stdout-log',
      '--verbose', // 'moderate': one line per session event (new session, ALLOCATE processed, …)
      `--pidfile=${path.join(dir, 'turnserver.pid')}`,
      `--userdb=${path.join(dir, 'turndb')}`, // SQLite; the default is /var/lib/turn/turndb
      ...args,
    ];
  }

  url(transport = 'udp') {
    return `turn:${this.host}:${this.port}?transport=${transport}`;
  }

  get pid() {
    return this.child?.pid;
  }

  async start() {
    const child = spawn(TURNSERVER, this.argv, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exitChecked = false;
    if (child.pid) live.add(child.pid);
    this.exited = watchExit(child, (exit) => {
      live.delete(child.pid);
      this.exit = exit;
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        this.output += chunk;
        if (this.output.length > 100000) this.output = this.output.slice(-100000);
      });
    }
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (this.exit) {
        const why = this.exit.error ? this.exit.error.message : `code ${this.exit.code}, signal ${this.exit.signal}`;
        throw new Error(`coturn exited before answering STUN (${why})\n${this.describe()}`);
      }
      if (/Cannot bind/i.test(this.output) || /Cannot bind/i.test(this.log())) {
        this.bindFailed = true;
        throw new Error(`coturn could not bind its ports ${this.port}, ${this.minPort}-${this.maxPort}\n${this.describe()}`);
      }
      if (await stunAnswers(this.host, this.port, 250)) return this;
      if (Date.now() > deadline) throw new Error(`coturn did not answer STUN within ${START_TIMEOUT_MS} ms\n${this.describe()}`);
    }
  }

  // Ends this coturn (SIGTERM, then SIGKILL) and starts it again with the same argv: the same
  // listening port, relay range and secret, but none of the old allocations. Its files stay (the
  // dir is not removed, whatever stop() would do); coturn appends to the same log file. Resolves
  // once the new process answers STUN.
  async restart() {
    const onStopped = this.onStopped;
    this.onStopped = null;
    await this.stop();
    this.onStopped = onStopped;
    this.exit = undefined;
    this.output = '';
    this.bindFailed = false;
    return this.start();
  }

  // The whole log file so far ('' before coturn opened it).
  log() {
    try {
      return fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  // Polls the log until `re` matches; resolves the match.
  async waitForLog(re, { timeoutMs = 10000, what = String(re) } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.log());
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`coturn's log did not show ${what} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  // SIGTERM, then SIGKILL after a deadline; never throws. coturn has no handler for SIGTERM, so
  // a clean stop is an end by that signal (or exit code 0) within the deadline; anything else (an
  // exit before it was stopped, another code or signal, the SIGKILL) is added to `problems`.
  async stop({ timeoutMs = STOP_TIMEOUT_MS } = {}) {
    if (this.child && this.exit && !this.exitChecked) {
      this.problems.push(`coturn exited before it was stopped (code ${this.exit.code}, signal ${this.exit.signal})`);
    } else if (this.child && !this.exit) {
      try {
        process.kill(this.child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      let timer;
      const r = await Promise.race([this.exited, new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)))]);
      clearTimeout(timer);
      if (r === 'timeout') {
        try {
          process.kill(this.child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await this.exited;
        this.problems.push(`coturn did not exit within ${timeoutMs} ms of SIGTERM and was killed`);
      } else if (!(r.signal === 'SIGTERM' || r.code === 0)) {
        this.problems.push(`coturn did not end cleanly on SIGTERM (code ${r.code}, signal ${r.signal})`);
      }
    }
    this.exitChecked = true;
    if (this.onStopped) {
      const f = this.onStopped;
      this.onStopped = null;
      await f();
    }
  }

  describe() {
    const status = this.exit ? `exited (code ${this.exit.code}, signal ${this.exit.signal})` : 'running';
    const out = this.output.trim() ? `\n--- coturn stdout/stderr ---\n${this.output.trim()}` : '';
    return `--- coturn: ${TURNSERVER} ${this.argv.join(' ').replace(/--static-auth-secret=\S+/, '--static-auth-secret=…')} [${status}] ---\n${this.log().slice(-20000)}${out}`;
  }
}

// `count` consecutive ports, all free for UDP on 127.0.0.1 and the first also for TCP, below the
// ephemeral range.
async function pickPorts(count) {
  let low = 32768;
  try {
    low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: keep the usual default
  }
  const min = 20000;
  const max = Math.max(min + 1000, low) - count;
  for (let tries = 0; tries < 200; tries++) {
    const base = min + crypto.randomInt(max - min);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if (!(await tcpFree(ports[0]))) continue;
    let ok = true;
    for (const p of ports) {
      if (!(await udpFree(p))) {
        ok = false;
        break;
      }
    }
    if (ok) return ports;
  }
  throw new Error('no free block of ports for coturn');
}

function udpFree(port) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, HOST, () => s.close(() => resolve(true)));
  });
}

function tcpFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, HOST, () => s.close(() => resolve(true)));
  });
}

// One STUN Binding request (RFC 5389) over UDP; true when a Binding success response with the same
// transaction id comes back within `timeoutMs`.
export function stunAnswers(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const req = Buffer.alloc(20);
    req.writeUInt16BE(0x0001, 0);
    req.writeUInt16BE(0, 2);
    req.writeUInt32BE(0x2112a442, 4);
    crypto.randomBytes(12).copy(req, 8);
    const sock = dgram.createSocket('udp4');
    let done = false;
    const finish = (v) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(v);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('error', () => finish(false)); // e.g. ICMP port unreachable before coturn binds
    sock.on('message', (msg) => {
      if (msg.length >= 20 && msg.readUInt16BE(0) === 0x0101 && msg.subarray(8, 20).equals(req.subarray(8, 20))) finish(true);
    });
    sock.bind(0, host, () => sock.send(req, port, host));
  });
}
