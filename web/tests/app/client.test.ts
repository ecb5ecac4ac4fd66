// Covers app/client, the facade the page, the end-to-end tests and the benchmarks use, on the fake
// network: sharing and downloading byte for byte through its public surface, the snapshots it
// hands out, removal (storage and record gone), what a reload restores, and a server error that
// answers no request shown as one notice however often it comes.
import { afterEach, describe, expect, it } from 'vitest';

import { PeershareClient } from '../../src/app/client';
import { FakeLinkNet, FakeServer, FakeSignaling, settle, until } from './fake-network';
import { MemoryOrigin } from './memory-library';
import { sameBytes, testHasher } from './pages';
import { appShare } from './test-shares';

const MiB = 1024 * 1024;
let clients: PeershareClient[] = [];
afterEach(() => {
  for (const c of clients) c.stop();
  clients = [];
});

function browser(server: FakeServer, net: FakeLinkNet, origin = new MemoryOrigin()) {
  const signaling = new FakeSignaling(server);
  const client = new PeershareClient({
    signaling,
    storage: origin.pieces,
    library: origin.tab(),
    links: net.factory(() => signaling.peerId),
    hash: testHasher,
    fetch: server.fetch,
    linkOrigin: 'http://share.example',
  });
  clients.push(client);
  return { client, signaling, origin };
}

async function started(b: ReturnType<typeof browser>) {
  await b.client.start();
  await until('connected', () => b.client.connection === 'open');
  return b;
}

describe('PeershareClient', () => {
  it('shares files and downloads them in another browser byte for byte, through its public surface', async () => {
    const server = new FakeServer();
    const net = new FakeLinkNet();
    const alice = await started(browser(server, net));
    const bob = await started(browser(server, net));
    const share = await appShare(2 * MiB + 77, { name: 'photo.jpg' });
    const id = await alice.client.shareFiles([share.file]);
    expect(id).toBe(share.resource);
    expect(alice.client.shareLink(id)).toBe(`http://share.example/#${id}`);
    expect(alice.client.entry(id)).toMatchObject({ state: 'seeding', kind: 'seed', name: 'photo.jpg' });
    void bob.client.download(id);
    await until('bob has it', () => bob.client.entry(id)?.state === 'seeding');
    const files = await bob.client.files(id);
    expect(files.map((f) => f.path)).toEqual(['photo.jpg']);
    expect(sameBytes(new Uint8Array(await files[0]!.blob.arrayBuffer()), share.data)).toBe(true);
    expect(bob.client.transferred(id)).toMatchObject({ downloaded: share.meta.totalSize });
    expect(bob.client.transferred(id).completedAt).not.toBeNull();
    expect(alice.client.transferred(id).uploaded).toBe(share.meta.totalSize);
  });

  it('hands out frozen snapshots: a new one when a share changed, the same one when not', async () => {
    const server = new FakeServer();
    const net = new FakeLinkNet();
    const alice = await started(browser(server, net));
    const share = await appShare(1 * MiB);
    const id = await alice.client.shareFiles([share.file]);
    const before = alice.client.entry(id)!;
    expect(Object.isFrozen(before)).toBe(true);
    expect(() => ((before as { state: string }).state = 'failed')).toThrow(TypeError);
    expect(alice.client.entry(id)).toBe(before);
    expect(alice.client.entries()).toEqual([before]);
    void alice.client.download('not a share id').catch(() => undefined);
    alice.client.pause(id); // a share from disk does not pause
    expect(alice.client.entry(id)).toBe(before);
  });

  it('lists a share while its files are hashed, and stops hashing when it is removed', async () => {
    const server = new FakeServer();
    const alice = await started(browser(server, new FakeLinkNet()));
    const share = await appShare(1 * MiB);
    const sharing = alice.client.shareFiles([share.file]);
    const [hashing] = alice.client.entries();
    expect(hashing).toMatchObject({ state: 'hashing', resource: null, kind: 'seed', name: 'data.bin' });
    await alice.client.remove(hashing!.key);
    await expect(sharing).rejects.toBeDefined();
    expect(alice.client.entries()).toEqual([]);
  });

  it('removing a download deletes its data and its record, and the server hears it leave', async () => {
    const server = new FakeServer();
    const net = new FakeLinkNet();
    const alice = await started(browser(server, net));
    const bob = await started(browser(server, net));
    const share = await appShare(1 * MiB);
    const id = await alice.client.shareFiles([share.file]);
    await bob.client.download(id);
    await until('bob has it', () => bob.client.entry(id)?.state === 'seeding');
    expect(await bob.origin.pieces.listStoredShares()).toEqual([id]);
    await bob.client.remove(id);
    expect(bob.client.entry(id)).toBeUndefined();
    expect(await bob.origin.pieces.listStoredShares()).toEqual([]);
    expect(await bob.origin.metadata.list()).toEqual([]);
    expect(await bob.origin.tab().records()).toEqual([]);
    await until('bob left the swarm', () => !server.members(id).includes(bob.signaling.peerId!));
  });

  it('after a reload, lists a share from disk as needing its files and resumes a download from what it stored', async () => {
    const server = new FakeServer();
    const net = new FakeLinkNet();
    const aliceOrigin = new MemoryOrigin();
    const alice = await started(browser(server, net, aliceOrigin));
    const bob = await started(browser(server, net));
    const share = await appShare(1 * MiB);
    const id = await alice.client.shareFiles([share.file]);
    await bob.client.download(id);
    await until('bob has it', () => bob.client.entry(id)?.state === 'seeding');
    alice.client.stop();
    bob.client.stop();
    const aliceAgain = await started(browser(server, net, aliceOrigin));
    expect(aliceAgain.client.entry(id)).toMatchObject({ state: 'needs-files', kind: 'seed', name: 'data.bin' });
    const bobAgain = await started(browser(server, net, bob.origin));
    expect(bobAgain.client.entry(id)).toMatchObject({ state: 'seeding', kind: 'download', havePieces: share.meta.pieceCount });
    await until('bob announced again', () => server.members(id).includes(bobAgain.signaling.peerId!));
    await aliceAgain.client.reshareFiles(id, [share.file]);
    expect(aliceAgain.client.entry(id)?.state).toBe('seeding');
  });

  it('shows a server error that answers no request as one notice, however many arrive', async () => {
    const server = new FakeServer();
    const alice = await started(browser(server, new FakeLinkNet()));
    let changes = 0;
    alice.client.on('change', () => changes++);
    expect(alice.client.notice).toBeNull();
    for (let i = 0; i < 5; i++) alice.signaling.deliver({ type: 'error', code: 'rate_limited', message: 'slow down' });
    await settle();
    const notice = alice.client.notice;
    expect(notice).toMatchObject({ code: 'rate_limited' });
    expect(changes, 'one change for five errors').toBe(1);
    alice.signaling.deliver({ type: 'error', code: 'internal', message: 'oops' });
    await settle();
    expect(alice.client.notice).toMatchObject({ code: 'internal' });
    expect(alice.client.notice).not.toBe(notice);
  });
});
