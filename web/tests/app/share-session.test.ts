// Covers app/share-session: pages on the fake network (pages.ts) with the real swarm, the memory
// piece store and the in-memory library. Every transfer compares the bytes stored with the bytes
// shared. Each test names the behaviour it pins down: a download's states, the announce retried
// after metadata_required, pause and resume, a holder lost mid-download, a holder sending bad
// pieces, a refused relay, a holder that left first, a download resumed after a reload.
import { afterEach, describe, expect, it } from 'vitest';

import { REQUEST_WINDOW_BYTES } from '../../src/engine/constants';
import { ShareSession } from '../../src/app/share-session';
import { settle, until } from './fake-network';
import { network, sameBytes, storedBytes, type Page } from './pages';
import { appShare } from './test-shares';

const MiB = 1024 * 1024;
const PIECE = 256 * 1024;
let pages: Page[] = [];
afterEach(() => {
  for (const p of pages) p.close();
  pages = [];
});

async function world() {
  const n = network();
  const page = async (options?: Parameters<typeof n.page>[0]) => {
    const p = await n.page(options);
    pages.push(p);
    return p;
  };
  return { ...n, page };
}

describe('a download', () => {
  it('goes looking -> downloading -> seeding, stores the share byte for byte, and joins the swarm as complete', async () => {
    const { server, page } = await world();
    const share = await appShare(3 * MiB + 1234);
    const alice = await page();
    await alice.seed(share);
    const bob = await page();
    const session = await bob.download(share);
    await until('bob has every piece', () => session.state.state === 'seeding');
    expect(bob.states(share.resource)).toEqual(['looking', 'waiting', 'downloading', 'seeding']);
    expect(session.state).toMatchObject({ name: 'data.bin', size: share.meta.totalSize, pieces: share.meta.pieceCount, havePieces: share.meta.pieceCount, problem: null });
    expect(sameBytes(await storedBytes(bob, share), share.data)).toBe(true);
    await until('bob announced complete', () => server.swarms.get(share.resource)!.members.get(bob.id)?.complete === true);
    expect(session.transferred().downloaded).toBe(share.meta.totalSize);
  });

  it('waits while nobody holds the share, and starts when a holder joins', async () => {
    const { server, page } = await world();
    const share = await appShare(2 * MiB);
    server.know(share.resource, share.bytes);
    const bob = await page();
    const session = await bob.download(share);
    expect(session.state).toMatchObject({ state: 'waiting', peers: 0, connecting: 0 });
    const alice = await page();
    await alice.seed(share);
    await until('bob has every piece', () => session.state.state === 'seeding');
    expect(sameBytes(await storedBytes(bob, share), share.data)).toBe(true);
  });

  it('fails with a typed problem when the link names a share nobody shared, and starts over on refresh', async () => {
    const { server, page } = await world();
    const share = await appShare(1 * MiB);
    const bob = await page();
    const session = await bob.download(share);
    expect(session.state).toMatchObject({ state: 'failed', problem: { kind: 'signaling', code: 'not_found' } });
    const alice = await page();
    await alice.seed(share);
    session.refresh();
    await until('bob has every piece', () => session.state.state === 'seeding');
    expect(bob.states(share.resource)).toEqual(['looking', 'failed', 'looking', 'waiting', 'downloading', 'seeding']);
    expect(sameBytes(await storedBytes(bob, share), share.data)).toBe(true);
    void server;
  });

  it('stops fetching when paused (only what was in flight arrives) and completes when resumed', async () => {
    const { page } = await world();
    const share = await appShare(24 * MiB);
    const alice = await page();
    await alice.seed(share);
    const bob = await page();
    const session = bob.track(ShareSession.download(bob.deps, share.resource, Date.now()));
    let pausedAt = -1; // bytes received when paused
    session.on('change', (s) => {
      if (pausedAt < 0 && s.havePieces >= 1) {
        pausedAt = session.transferred().downloaded;
        session.pause();
      }
    });
    await session.begin();
    await until('paused', () => pausedAt >= 0);
    await settle(200);
    const bytes = session.transferred().downloaded;
    expect(session.state.state).toBe('paused');
    expect(session.state.havePieces, 'the download stopped before the end').toBeLessThan(share.meta.pieceCount);
    // Pausing stops new requests; what was requested before (at most the window) still arrives.
    expect(bytes - pausedAt, 'only requests in flight arrived').toBeLessThanOrEqual(REQUEST_WINDOW_BYTES);
    await settle(200);
    expect(session.transferred().downloaded, 'nothing more arrives while paused').toBe(bytes);
    expect((await bob.deps.library.records())[0]).toMatchObject({ resource: share.resource, state: 'paused' });
    session.resume();
    await until('bob has every piece', () => session.state.state === 'seeding');
    expect(bob.states(share.resource).slice(-3)).toEqual(['paused', 'downloading', 'seeding']);
    expect(sameBytes(await storedBytes(bob, share), share.data)).toBe(true);
    expect((await bob.deps.library.records())[0]).toMatchObject({ state: 'active' });
  });

  it('finishes from the other holder when one leaves mid-download, and looks for holders again', async () => {
    const { server, page } = await world();
    const share = await appShare(24 * MiB);
    const alice = await page();
    const carol = await page();
    await alice.seed(share);
    const carolSeed = await carol.seed(share);
    const bob = await page();
    const session = bob.track(ShareSession.download(bob.deps, share.resource, Date.now()));
    let left: { havePieces: number; carolUploaded: number; lookups: number } | null = null;
    session.on('change', (s) => {
      if (!left && s.peers === 2 && s.havePieces >= 4) {
        left = { havePieces: s.havePieces, carolUploaded: carolSeed.transferred().uploaded, lookups: server.sent(bob.id, 'lookup').length };
        alice.close();
      }
    });
    await session.begin();
    await until('bob has every piece', () => session.state.state === 'seeding');
    expect(left, 'alice left while bob was connected to both').not.toBeNull();
    expect(left!.havePieces, 'bob was part way through when alice left').toBeLessThan(share.meta.pieceCount);
    expect(carolSeed.transferred().uploaded, 'carol uploaded after alice left').toBeGreaterThan(left!.carolUploaded);
    expect(server.sent(bob.id, 'lookup').length, 'bob looked for holders again').toBeGreaterThan(left!.lookups);
    expect(sameBytes(await storedBytes(bob, share), share.data)).toBe(true);
  });

  it('drops a holder that sends a bad piece and gets the piece from another', async () => {
    const { page } = await world();
    const share = await appShare(8 * MiB);
    const alice = await page();
    const mallory = await page({ corruptUploads: true });
    await alice.seed(share);
    const mallorySeed = await mallory.seed(share);
    const bob = await page();
    const session = await bob.download(share);
    await until('bob has every piece', () => session.state.state === 'seeding');
    expect(session.state.dropped.some((r) => /does not match its hash/.test(r)), session.state.dropped.join('\n')).toBe(true);
    expect(mallorySeed.transferred().uploaded, 'mallory did send (corrupt) data').toBeGreaterThan(0);
    expect(sameBytes(await storedBytes(bob, share), share.data)).toBe(true);
  });

  it('resumes after a reload from the pieces it stored, fetching only the missing ones', async () => {
    const { page } = await world();
    // Large enough that what is in flight when it pauses (a window, 16 pieces) cannot finish it.
    const share = await appShare(24 * MiB);
    const alice = await page();
    await alice.seed(share);
    const bob = await page();
    const first = bob.track(ShareSession.download(bob.deps, share.resource, Date.now()));
    first.on('change', (s) => {
      if (s.havePieces >= 4 && !s.paused) first.pause();
    });
    await first.begin();
    await until('paused', () => first.state.paused);
    await settle(200);
    const kept = first.state.havePieces;
    expect(kept).toBeLessThan(share.meta.pieceCount);
    bob.close();
    // The same browser storage, a new page.
    const again = await page({ origin: bob.origin });
    const [record] = await again.deps.library.records();
    const meta = await again.deps.library.loadMetadata(share.resource);
    const restored = again.track(ShareSession.known(again.deps, { resource: share.resource, meta: share.meta, bytes: meta!, kind: 'download', addedAt: record!.addedAt, paused: record!.state === 'paused' }, 'looking'));
    await restored.restore();
    expect(restored.state).toMatchObject({ state: 'paused', havePieces: kept });
    restored.resume();
    await until('bob has every piece', () => restored.state.state === 'seeding');
    expect(restored.transferred().downloaded).toBeLessThanOrEqual((share.meta.pieceCount - kept) * PIECE);
    expect(sameBytes(await storedBytes(again, share), share.data)).toBe(true);
  });
});

describe('a share from disk', () => {
  it('announces with the metadata the server asks for: uploaded once, then announced again', async () => {
    const { server, page } = await world();
    const share = await appShare(1 * MiB);
    const alice = await page();
    const session = await alice.seed(share);
    expect(session.state).toMatchObject({ state: 'seeding', havePieces: share.meta.pieceCount, problem: null });
    expect(server.uploads.map((u) => u.resource)).toEqual([share.resource]);
    expect(sameBytes(server.uploads[0]!.bytes, share.bytes)).toBe(true);
    expect(server.sent(alice.id, 'announce').length).toBe(2);
    expect(server.swarms.get(share.resource)!.members.get(alice.id)).toEqual({ complete: true });
  });

  it('after a reload, refuses other files and seeds again from the same ones', async () => {
    const { page } = await world();
    const share = await appShare(1 * MiB);
    const impostor = await appShare(1 * MiB, { seed: 42 });
    const alice = await page();
    const session = alice.track(ShareSession.known(alice.deps, { ...share, kind: 'seed', addedAt: 1 }, 'needs-files'));
    await session.reshare([impostor.file]);
    expect(session.state).toMatchObject({ state: 'needs-files', problem: { kind: 'files-differ' } });
    await session.reshare([share.file]);
    expect(session.state).toMatchObject({ state: 'seeding', problem: null });
    expect(alice.states(share.resource)).toEqual(['needs-files', 'hashing', 'needs-files', 'hashing', 'seeding']);
  });
});

describe('connections the server will not help with', () => {
  // Alice seeds a small share; Bob starts downloading it, with no network path when `noPath`.
  async function bobConnecting({ noPath }: { noPath: boolean }) {
    const w = await world();
    const share = await appShare(1 * MiB);
    const alice = await w.page();
    await alice.seed(share);
    w.net.noPath = noPath;
    const bob = await w.page();
    const session = await bob.download(share);
    if (noPath) await until('connecting', () => session.state.connecting === 1);
    return { ...w, alice, session };
  }

  it('a refused relay ends the connection and the state says so, instead of waiting', async () => {
    const { server, page } = await world();
    const share = await appShare(1 * MiB);
    const alice = await page();
    await alice.seed(share);
    server.refuseSignal = (_from, m) => (m.kind === 'offer' ? 'too_many_offers' : null);
    const bob = await page();
    const session = await bob.download(share);
    await until('the refusal shown', () => session.state.linkProblem !== null);
    expect(session.state).toMatchObject({ state: 'waiting', peers: 0, connecting: 0, linkProblem: { kind: 'relay-refused', signal: 'offer', code: 'too_many_offers' } });
  });

  it('a holder that left before the connection opened is given up at once, and the state says so', async () => {
    const { alice, session } = await bobConnecting({ noPath: true });
    alice.close();
    await until('given up', () => session.state.linkProblem !== null);
    expect(session.state).toMatchObject({ state: 'waiting', connecting: 0, linkProblem: { kind: 'peer-left' } });
  });

  it('says no path was found when no connection opens', async () => {
    const { net, session } = await bobConnecting({ noPath: true });
    net.timeOut();
    await settle();
    expect(session.state.linkProblem).toEqual({ kind: 'no-path', relay: false });
  });
});
