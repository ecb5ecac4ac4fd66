// ICE support of the server (issue: connectivity): the built-in STUN responder over real UDP, the
// ICE servers and TURN credentials handed out in `welcome` and on refresh, and relay-only mode.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

import { BIN, scenario } from './harness.mjs';

const COOKIE = 0x2112a442;

function bindingRequest() {
  const msg = Buffer.alloc(20);
  msg.writeUInt16BE(0x0001, 0);
  msg.writeUInt16BE(0, 2);
  msg.writeUInt32BE(COOKIE, 4);
  crypto.randomBytes(12).copy(msg, 8);
  return msg;
}

// Sends datagrams in order and resolves the first answer.
function exchange(port, datagrams, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error('no STUN answer'));
    }, timeoutMs);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      const local = sock.address();
      sock.close();
      resolve({ msg, local });
    });
    sock.bind(0, '127.0.0.1', () => {
      for (const d of datagrams) sock.send(d, port, '127.0.0.1');
    });
  });
}

function xorMappedAddress(msg) {
  let at = 20;
  while (at + 4 <= msg.length) {
    const type = msg.readUInt16BE(at);
    const len = msg.readUInt16BE(at + 2);
    if (type === 0x0020) {
      const port = msg.readUInt16BE(at + 6) ^ (COOKIE >>> 16);
      const ip = [0, 1, 2, 3].map((i) => msg[at + 8 + i] ^ ((COOKIE >>> (24 - 8 * i)) & 0xff)).join('.');
      return { family: msg[at + 5], ip, port };
    }
    at += 4 + Math.ceil(len / 4) * 4;
  }
  return null;
}

test('a STUN Binding request over UDP gets a success response with the sender in XOR-MAPPED-ADDRESS', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    assert.ok(srv.stunPort > 0, 'the server logged its STUN port');
    const request = bindingRequest();
    const { msg, local } = await exchange(srv.stunPort, [request]);
    assert.equal(msg.readUInt16BE(0), 0x0101, 'Binding success response');
    assert.equal(msg.readUInt32BE(4), COOKIE);
    assert.deepEqual(msg.subarray(8, 20), request.subarray(8, 20), 'same transaction id');
    assert.deepEqual(xorMappedAddress(msg), { family: 1, ip: local.address, port: local.port });
    const fp = msg.subarray(msg.length - 8);
    assert.equal(fp.readUInt16BE(0), 0x8028, 'FINGERPRINT last');
  }));

test('datagrams that are not Binding requests are never answered', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer();
    const garbage = [Buffer.from('hello'), Buffer.alloc(20), Buffer.concat([bindingRequest(), Buffer.alloc(600)])];
    const indication = bindingRequest();
    indication.writeUInt16BE(0x0011, 0);
    const valid = bindingRequest();
    // The first answer must be the one to the valid request sent last.
    const { msg } = await exchange(srv.stunPort, [...garbage, indication, valid]);
    assert.deepEqual(msg.subarray(8, 20), valid.subarray(8, 20));
  }));

test('welcome lists the STUN responder under the host the client used, and TURN with time-limited credentials', () =>
  scenario(async (ctx) => {
    const secret = 'north-wind';
    const srv = await ctx.startServer({ args: ['--turn-url', 'turn:127.0.0.1:3479?transport=udp', '--turn-secret', secret, '--turn-ttl', '1h'] });
    const a = await ctx.connect(srv);
    const [stun, turn] = a.welcome.ice_servers;
    assert.deepEqual(stun.urls, [`stun:127.0.0.1:${srv.stunPort}`]);
    assert.deepEqual(turn.urls, ['turn:127.0.0.1:3479?transport=udp']);
    const [expiry, peer] = turn.username.split(':');
    assert.equal(peer, a.welcome.peer);
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Math.abs(Number(expiry) - (now + 3600)) <= 5, `expiry ${expiry} is about an hour away`);
    assert.equal(a.welcome.ice_expires, Number(expiry));
    assert.equal(turn.credential, crypto.createHmac('sha1', secret).update(turn.username).digest('base64'));
    assert.equal(a.welcome.ice_transport_policy, 'all');

    const fresh = await a.request({ type: 'ice' });
    assert.equal(fresh.type, 'ice_servers');
    assert.equal(fresh.ice_servers[1].credential, crypto.createHmac('sha1', secret).update(fresh.ice_servers[1].username).digest('base64'));
    assert.ok(fresh.ice_expires >= a.welcome.ice_expires);
  }));

test('relay-only mode hands out the relay policy, and refuses to start without a TURN server', () =>
  scenario(async (ctx) => {
    const srv = await ctx.startServer({ args: ['--relay-only', '--turn-url', 'turn:127.0.0.1:3479', '--turn-secret', 's'] });
    const a = await ctx.connect(srv);
    assert.equal(a.welcome.ice_transport_policy, 'relay');
    const r = spawnSync(BIN, ['serve', '--relay-only', '--port', '0', '--no-stun'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--relay-only needs a TURN server/);
  }));
