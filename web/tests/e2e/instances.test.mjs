// End-to-end across server instances: two instances on one real redis-server, a browser on each
// (connected directly, then through the repo's nginx configuration in front of both), and a file
// that arrives byte for byte — signaling crosses instances through Redis.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { getJson, scenario, waitFor } from '../../../server/tests/integration/harness.mjs';
import { closePerson, openLink, openPerson, saveShare, shareFiles, waitForState } from './app.mjs';
import { makeRandomFile } from './browser.mjs';

const TEST_TIMEOUT = 240_000;
const BYTES = 5 * 1000 * 1000;
// Page reloads allowed for nginx's round-robin to put the second browser on the other instance.
const PLACEMENT_ATTEMPTS = 6;

async function twoInstances(ctx) {
  return (await ctx.startInstances(2, { args: ['--trusted-proxy', '127.0.0.1'] })).servers;
}

const connections = async (server) => (await getJson(server, '/api/stats')).body.connections;

// Waits until the instances hold `want` WebSocket connections, in order.
function waitForPlacement(instances, want) {
  return waitFor(`connections per instance to be ${want.join('/')}`, async () => {
    const have = await Promise.all(instances.map(connections));
    return have.every((n, i) => n === want[i]);
  });
}

// Alice shares a random file from `aliceAt`, Bob downloads it from `bobAt` and saves it.
async function transfer(ctx, { aliceAt, bobAt, place }) {
  const dir = await ctx.tempDir();
  const file = await makeRandomFile(dir, 'across.bin', BYTES);
  const people = [];
  try {
    const alice = await openPerson(aliceAt, { label: 'alice' });
    people.push(alice);
    const bob = await openPerson(bobAt, { label: 'bob' });
    people.push(bob);
    await place(bob);
    const { resource } = await shareFiles(alice, [file.path]);
    await openLink(bob, `${bobAt.origin}/#${resource}`);
    await waitForState(bob, resource, 'seeding', { timeoutMs: 120_000 });
    const [saved] = await saveShare(bob, resource, 1, dir);
    assert.equal(saved.sha256, file.sha256);
  } finally {
    await Promise.all(people.map(closePerson));
  }
}

test('two browsers, each on its own instance of one Redis: the file arrives byte for byte', { timeout: TEST_TIMEOUT }, () =>
  scenario(async (ctx) => {
    const [a, b] = await twoInstances(ctx);
    await transfer(ctx, { aliceAt: a, bobAt: b, place: () => waitForPlacement([a, b], [1, 1]) });
  }));

test('two browsers through nginx in front of two instances: each on its own instance, the file arrives byte for byte', { timeout: TEST_TIMEOUT }, () =>
  scenario(async (ctx) => {
    const [a, b] = await twoInstances(ctx);
    const nginx = await ctx.startNginx([a, b]);
    const place = async (bob) => {
      // Round-robin spreads every request, page loads included: reload Bob's page until his
      // WebSocket is on the instance Alice's is not. A page load makes the same requests each
      // time, so one more request first shifts which instance the WebSocket lands on.
      for (let attempt = 1; ; attempt++) {
        await waitFor('both WebSockets connected', async () => (await connections(a)) + (await connections(b)) === 2);
        if ((await connections(a)) === 1) return;
        assert.ok(attempt < PLACEMENT_ATTEMPTS, 'nginx never put the two browsers on different instances');
        assert.equal((await getJson(nginx, '/healthz')).status, 200);
        await bob.page.reload();
        await bob.page.waitForSelector('[data-testid=connection][data-state=open]', { timeout: 15000 });
      }
    };
    await transfer(ctx, { aliceAt: nginx, bobAt: nginx, place });
  }));
