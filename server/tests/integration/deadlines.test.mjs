// Connection deadlines (docs/protocol.md §2.3, §2.4): a silent or slowloris client is cut at --handshake-timeout (a total deadline, not one per read), an idle keep-alive connection too, and a peer that stops answering pings at --idle-timeout.
//
// Timing tolerances: a deadline of D is asserted to close no earlier than 0.8 D (the client starts
// its clock a little after the server's accept) and no later than 3 D or a fixed few seconds (a
// loaded 2-core machine). A deadline reset on every read would keep a trickling client open for the
// whole ~15 s its request takes, far past the upper bound.

import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';

import { assertServes, closeTimer, rawWebSocket, scenario } from './harness.mjs';

const HANDSHAKE_MS = 1000;
const EARLIEST = 0.8 * HANDSHAKE_MS;
const LATEST = 3 * HANDSHAKE_MS;

function connect(srv) {
  const sock = net.connect(srv.port, '127.0.0.1');
  return new Promise((resolve, reject) => {
    sock.once('connect', () => resolve(sock));
    sock.once('error', reject);
  });
}

function assertCutAtDeadline(elapsed, what) {
  assert.ok(elapsed !== undefined, `${what}: still open after ${LATEST} ms`);
  assert.ok(elapsed >= EARLIEST, `${what}: closed after ${elapsed} ms, before the ${HANDSHAKE_MS} ms deadline`);
}

test('a silent connection and one stuck in its headers are closed at --handshake-timeout', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--handshake-timeout', `${HANDSHAKE_MS}ms`] });
    const [silent, partial] = await Promise.all([connect(srv), connect(srv)]);
    partial.write('GET /ws HTTP/1.1\r\nHost: x\r\n');
    const [a, b] = await Promise.all([closeTimer(silent, LATEST), closeTimer(partial, LATEST)]);
    silent.destroy();
    partial.destroy();
    assertCutAtDeadline(a, 'a silent connection');
    assertCutAtDeadline(b, 'a connection stuck in its headers');
    await assertServes(srv);
  }));

test('upgrade headers trickled one byte at a time are cut at --handshake-timeout: the deadline is total, not per read', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--handshake-timeout', `${HANDSHAKE_MS}ms`] });
    const sock = await connect(srv);
    const request =
      `GET /ws HTTP/1.1\r\nHost: ${srv.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${Buffer.alloc(16, 1).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      `X-Slow: ${'s'.repeat(120)}\r\n\r\n`;
    // One byte every 50 ms: each read sees new bytes well inside the deadline, the whole request
    // would take ~15 s.
    let sent = 0;
    const trickle = setInterval(() => {
      if (sock.destroyed || sent >= request.length) return clearInterval(trickle);
      sock.write(request[sent++]);
    }, 50);
    const elapsed = await closeTimer(sock, LATEST);
    clearInterval(trickle);
    sock.destroy();
    assertCutAtDeadline(elapsed, 'a trickling client');
    assert.ok(sent < request.length, `cut mid-request (${sent} of ${request.length} bytes sent)`);
    await assertServes(srv);
  }));

test('an idle keep-alive HTTP connection is closed at --handshake-timeout after its response', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--handshake-timeout', `${HANDSHAKE_MS}ms`] });
    const sock = await connect(srv);
    let head = '';
    const answered = new Promise((resolve) => {
      sock.on('data', (d) => {
        head += d.toString('latin1');
        if (head.includes('\r\n\r\n')) resolve();
      });
    });
    sock.write(`GET /healthz HTTP/1.1\r\nHost: ${srv.host}\r\n\r\n`); // HTTP/1.1: keep-alive by default
    await answered;
    assert.match(head, /^HTTP\/1\.1 200/);
    assertCutAtDeadline(await closeTimer(sock, LATEST), 'an idle keep-alive connection');
    sock.destroy();
    await assertServes(srv);
  }));

test('a peer that does not answer pings is dropped at --idle-timeout; one that answers stays', () =>
  scenario(async (ctx) => {
    const idleMs = 1000;
    const srv = await ctx.startServer({ args: ['--idle-timeout', `${idleMs}ms`] });
    const alive = await ctx.connect(srv); // ws answers pings by itself
    let pings = 0;
    alive.ws.on('ping', () => pings++);
    // Two silent peers in a row: each is dropped at the idle timeout, so `alive` has been
    // connected for at least two idle periods when the second goes.
    for (let i = 0; i < 2; i++) {
      const mute = await rawWebSocket(srv); // never reads its frames, never answers pings
      const started = Date.now();
      const ended = await mute.waitEnded(6000);
      mute.destroy();
      assert.equal(ended, true, 'the silent peer was dropped');
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 0.8 * idleMs, `dropped after ${elapsed} ms, before the ${idleMs} ms idle timeout`);
    }
    assert.ok(pings >= 1, 'the server pinged the live peer');
    assert.equal(alive.closeInfo, undefined);
    await alive.barrier();
    await assertServes(srv);
  }));
