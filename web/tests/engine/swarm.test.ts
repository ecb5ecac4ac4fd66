// Covers engine/swarm (docs/protocol.md §5): whole transfers between in-memory swarm peers (swarm-harness.ts): verification, several sources, departures, stalls, partial seeding, protocol violations, the upload cap, pause/resume and message sizes.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Bitfield } from '../../src/engine/bitfield';
import { BLOCK_SIZE, blockSizeFor, HIGH_WATER, KiB, MiB } from '../../src/engine/constants';
import { pieceLength, pieceOffset, sha256 } from '../../src/engine/metadata';
import { STALL_CHECK_INTERVAL_MS, STALL_TIMEOUT_MS } from '../../src/engine/swarm';
import { encode, encodeData } from '../../src/engine/wire';
import { shareId, type ShareId } from '../../src/engine/ids';
import {
  firstDiff,
  makeShare,
  Net,
  RawPeer,
  randomBytes,
  sha256Sync,
  useFakeTime,
  type SwarmPeer,
  type TestShare,
} from './swarm-harness';
import { pieceAt } from './test-ids';

const BOTH_COMPLETE = 'both peers hold the whole share';

let net: Net;

beforeEach(() => {
  net = new Net();
});

afterEach(() => {
  // Nothing a browser would refuse or a correct swarm would not do, and no storage errors.
  expect(net.problems).toEqual([]);
  for (const p of net.peers) expect(p.errors).toEqual([]);
  net.destroy();
  vi.useRealTimers();
});

const allPieces = (share: TestShare) => [...Array(share.meta.pieceCount).keys()].map(pieceAt);
const sorted = (xs: Iterable<number>) => [...xs].sort((a, b) => a - b);

async function expectWholeShare(peer: SwarmPeer): Promise<void> {
  expect(peer.swarm.isComplete).toBe(true);
  expect(firstDiff(await peer.bytes(), peer.share.data)).toBe(-1);
}

// Offsets of the writes whose bytes differ from the share's at that offset.
function corruptWrites(peer: SwarmPeer): number[] {
  const { data } = peer.share;
  return peer.writes
    .filter((w) => firstDiff(w.data, data.subarray(w.offset, w.offset + w.data.length)) !== -1)
    .map((w) => w.offset);
}

describe('harness', () => {
  it('its synchronous SHA-256 agrees with WebCrypto', async () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 1000, 256 * KiB + 3]) {
      const bytes = randomBytes(n, n + 1);
      expect(sha256Sync(bytes)).toEqual(await sha256(bytes));
    }
  });
});

describe('Swarm: transfers', () => {
  it('one seeder, one downloader: every byte arrives, complete fires once, the saved have marks every piece', async () => {
    const share = await makeShare(3 * MiB);
    // Both use the default (WebCrypto) digest here; the other tests use the harness's.
    const s = net.peer('S', share, { have: 'all', seeder: true, webCrypto: true });
    const d = net.peer('D', share, { webCrypto: true });
    net.connect(d, s);
    await net.run(() => d.completes > 0);
    await net.settle();

    await expectWholeShare(d);
    expect(d.completes).toBe(1);
    expect(sorted(d.writes.map((w) => w.offset))).toEqual(allPieces(share).map((i) => pieceOffset(share.meta, i)));
    expect(corruptWrites(d)).toEqual([]);
    const full = Bitfield.full(share.meta.pieceCount).toBytes();
    expect(d.haveAtComplete).toEqual(full); // saved before 'complete' fired
    expect(await d.store!.loadHave()).toEqual(full);
    expect(sorted(d.piecesFrom('S'))).toEqual(allPieces(share));
    expect(s.swarm.uploadedTotal).toBe(share.meta.totalSize);
    expect(d.swarm.downloadedTotal).toBe(share.meta.totalSize);
    expect(d.swarm.firstDataAt).not.toBeNull();
    expect(d.swarm.completedAt).not.toBeNull();
    // Complete, the downloader has nothing left to get from the seeder.
    expect(d.dropped.map((x) => [x.peer, x.reason])).toEqual([['S', BOTH_COMPLETE]]);
    expect(d.swarm.peerCount).toBe(0);
    expect(s.swarm.peerCount).toBe(0);
  });

  it('two seeders: both upload and the download is correct', async () => {
    const share = await makeShare(3 * MiB);
    const a = net.peer('A', share, { have: 'all', seeder: true });
    const b = net.peer('B', share, { have: 'all', seeder: true });
    const d = net.peer('D', share);
    net.connect(d, a);
    net.connect(d, b);
    await net.run(() => d.completes > 0);
    await net.settle();

    await expectWholeShare(d);
    expect(d.completes).toBe(1);
    expect(corruptWrites(d)).toEqual([]);
    expect(a.swarm.uploadedTotal).toBeGreaterThan(0);
    expect(b.swarm.uploadedTotal).toBeGreaterThan(0);
    expect(d.swarm.downloadedTotal).toBeGreaterThanOrEqual(share.meta.totalSize);
    expect(sorted(d.pieces.map((p) => p.piece))).toEqual(allPieces(share)); // each piece counted once
    expect(d.dropped.filter((x) => x.reason !== BOTH_COMPLETE)).toEqual([]);
  });

  it('a corrupting seeder is dropped for a piece that does not match its hash; no corrupt byte is written', async () => {
    const share = await makeShare(3 * MiB);
    const c = net.peer('C', share, { have: 'all', seeder: true, corruptUploads: true });
    const h = net.peer('H', share, { have: 'all', seeder: true });
    const d = net.peer('D', share);
    // C is connected first, so its copy of a piece completes first and is the one verified.
    net.connect(d, c);
    net.connect(d, h);
    await net.run(() => d.completes > 0);
    await net.settle();

    await expectWholeShare(d);
    const cDrops = d.dropped.filter((x) => x.peer === 'C');
    expect(cDrops).toHaveLength(1);
    expect(cDrops[0].reason).toMatch(/does not match its hash/);
    expect(d.piecesFrom('C')).toEqual([]);
    expect(corruptWrites(d)).toEqual([]);
    expect(d.writes.length).toBeGreaterThanOrEqual(share.meta.pieceCount);
    // Nothing unverified was advertised either: every `have` D sent names a piece it had written.
    const written = new Set(d.writes.map((w) => w.offset / share.meta.pieceSize));
    for (const m of [...net.sent('D', 'C', 'have'), ...net.sent('D', 'H', 'have')]) expect(written.has(m.piece)).toBe(true);
  });

  it('a seeder that leaves mid-transfer: its pieces go to the other seeder, which finishes', async () => {
    // 24 pieces: more than one request window (16), so the two seeders get different pieces.
    const share = await makeShare(6 * MiB);
    const a = net.peer('A', share, { have: 'all', seeder: true });
    const b = net.peer('B', share, { have: 'all', seeder: true });
    const d = net.peer('D', share);
    const la = net.connect(d, a);
    net.connect(d, b);
    await net.run(() => d.piecesFrom('A').length >= 2);

    const askedA = new Set(net.sent('D', 'A', 'request').map((r) => r.piece));
    const askedB = new Set(net.sent('D', 'B', 'request').map((r) => r.piece));
    const orphaned = [...askedA].filter((p) => !askedB.has(p) && !d.swarm.have.has(pieceAt(p)));
    expect(orphaned.length).toBeGreaterThan(0); // pieces only A was fetching
    const fromA = d.piecesFrom('A').length;
    const requestsToB = net.sent('D', 'B', 'request').length;
    la.ba.close(); // A closes its channel
    await net.run(() => d.completes > 0);
    await net.settle();

    await expectWholeShare(d);
    expect(d.removed.map((r) => r.peer)).toContain('A');
    expect(d.dropped.filter((x) => x.peer === 'A')).toEqual([]); // it left; it was not dropped
    expect(d.piecesFrom('A')).toHaveLength(fromA);
    const laterToB = new Set(net.sent('D', 'B', 'request').slice(requestsToB).map((r) => r.piece));
    for (const p of orphaned) expect(laterToB.has(p)).toBe(true);
    expect(corruptWrites(d)).toEqual([]);
  });

  it('a peer that reconnects on a new channel replaces the old one; the old channel’s late messages and close change nothing', async () => {
    const share = await makeShare(6 * MiB);
    const s = net.peer('S', share, { have: 'all', seeder: true });
    const d = net.peer('D', share);
    const first = net.connect(d, s);
    await net.run(() => d.piecesFrom('S').length >= 2);
    first.ab.held = true; // D's requests on the old channel stay queued: late traffic
    first.ba.held = true;
    net.connect(d, s); // both sides open a new channel before the old one closes
    expect(d.removed.map((r) => r.peer)).toEqual(['S']); // the old state gave way at once
    first.ab.held = false;
    first.ba.held = false;
    await net.run(() => d.completes > 0);
    first.ab.close(); // the replaced channel closes late: the peer on the new one stays
    await net.settle();

    await expectWholeShare(d);
    expect(corruptWrites(d)).toEqual([]);
    expect(d.dropped.filter((x) => x.reason !== BOTH_COMPLETE)).toEqual([]); // no "second handshake"
    expect(s.dropped.filter((x) => x.reason !== BOTH_COMPLETE)).toEqual([]);
    expect(net.sent('S', 'D', 'handshake')).toHaveLength(2); // one per channel
  });

  it('a stalled peer is dropped after STALL_TIMEOUT_MS and its pieces go to another peer; a slow one is kept', async () => {
    useFakeTime();
    const share = await makeShare(6 * MiB);
    const a = net.peer('A', share, { have: 'all', seeder: true });
    // B is slow (64 KiB/s: a 240 KiB block every 3.75 s) but never silent for STALL_TIMEOUT_MS.
    const b = net.peer('B', share, { have: 'all', seeder: true, uploadCap: 64 * KiB });
    const d = net.peer('D', share);
    const la = net.connect(d, a);
    net.connect(d, b);
    await net.run(() => d.piecesFrom('A').length >= 1);

    la.ba.held = true; // A's channel silently stops delivering
    const lastFromA = Math.max(...net.log.filter((e) => e.event === 'deliver' && e.from === 'A').map((e) => e.at));
    await net.run(() => d.dropped.some((x) => x.peer === 'A'), { stepMs: 500, maxSteps: 100 });

    const drop = d.dropped.find((x) => x.peer === 'A')!;
    expect(drop.reason).toBe('stalled');
    expect(drop.at - lastFromA).toBeGreaterThan(STALL_TIMEOUT_MS);
    expect(drop.at - lastFromA).toBeLessThanOrEqual(STALL_TIMEOUT_MS + STALL_CHECK_INTERVAL_MS);
    // The pieces only A was fetching are requested from B once A is gone.
    const askedBefore = (peer: string) =>
      new Set(net.log.filter((e) => e.event === 'send' && e.from === 'D' && e.to === peer && e.msg.type === 'request' && e.at < drop.at).map((e) => e.msg.piece));
    const orphaned = [...askedBefore('A')].filter((p) => !askedBefore('B').has(p) && !d.swarm.have.has(pieceAt(p)));
    expect(orphaned.length).toBeGreaterThan(0);

    await net.run(() => d.completes > 0, { stepMs: 500, maxSteps: 400 });
    await net.settle();
    await expectWholeShare(d);
    const laterToB = new Set(
      net.log.filter((e) => e.event === 'send' && e.to === 'B' && e.msg.type === 'request' && e.at >= drop.at).map((e) => e.msg.piece),
    );
    for (const p of orphaned) expect(laterToB.has(p)).toBe(true);
    expect(d.dropped.filter((x) => x.peer === 'B' && x.reason !== BOTH_COMPLETE)).toEqual([]);
  });

  it('a peer is not dropped as stalled while its connection is interrupted; the stall counts from when it is back', async () => {
    useFakeTime();
    const share = await makeShare(6 * MiB);
    const a = net.peer('A', share, { have: 'all', seeder: true });
    const d = net.peer('D', share);
    const la = net.connect(d, a);
    await net.run(() => d.piecesFrom('A').length >= 1);

    // The path goes down (what D's link reports while an ICE restart runs): nothing arrives.
    la.ba.held = true;
    la.ab.interrupted = true;
    await net.advance(3 * STALL_TIMEOUT_MS, 500);
    expect(d.dropped).toEqual([]);

    // The path is back but A still sends nothing: now it is a stall, counted from the return.
    la.ab.interrupted = false;
    const back = Date.now();
    await net.run(() => d.dropped.some((x) => x.peer === 'A'), { stepMs: 500, maxSteps: 100 });
    const drop = d.dropped.find((x) => x.peer === 'A')!;
    expect(drop.reason).toBe('stalled');
    expect(drop.at - back).toBeGreaterThan(STALL_TIMEOUT_MS - STALL_CHECK_INTERVAL_MS);
    expect(drop.at - back).toBeLessThanOrEqual(STALL_TIMEOUT_MS + STALL_CHECK_INTERVAL_MS);
  });

  it('partial seeding: a downloader serves the pieces it has, and is asked only for pieces it advertised', async () => {
    const share = await makeShare(3 * MiB);
    const s = net.peer('S', share, { have: 'all', seeder: true });
    const evens = allPieces(share).filter((i) => i % 2 === 0);
    const d1 = net.peer('D1', share, { have: evens });
    const d2 = net.peer('D2', share);
    net.connect(d1, s);
    net.connect(d2, d1); // D2 reaches the share only through D1
    await net.run(() => d2.completes > 0);
    await net.settle();

    await expectWholeShare(d2);
    expect(sorted(d2.piecesFrom('D1'))).toEqual(allPieces(share));
    // Walk the log: what D1 had told D2 when D2 sent each request.
    const advertised = new Set<number>();
    const unadvertised: number[] = [];
    for (const e of net.log) {
      if (e.event === 'deliver' && e.from === 'D1' && e.to === 'D2') {
        if (e.msg.type === 'handshake') {
          const bits = Bitfield.fromBytes(share.meta.pieceCount, e.msg.bitfield!);
          for (const i of allPieces(share)) if (bits.has(i)) advertised.add(i);
        }
        if (e.msg.type === 'have') advertised.add(e.msg.piece);
      }
      if (e.event === 'send' && e.from === 'D2' && e.to === 'D1' && e.msg.type === 'request' && !advertised.has(e.msg.piece))
        unadvertised.push(e.msg.piece);
    }
    expect(unadvertised).toEqual([]);
    expect(net.sent('D1', 'D2', 'reject')).toEqual([]);
    // D2 starts with the pieces D1 held from the start.
    const firstRequests = net.sent('D2', 'D1', 'request').slice(0, 4).map((r) => r.piece);
    for (const p of firstRequests) expect(evens).toContain(p);
    expect(d1.swarm.uploadedTotal).toBe(share.meta.totalSize);
  });

  // Our handshake goes out in addPeer, so `have` may follow it at once: verify() tells every peer,
  // whether or not its own handshake has arrived. Here D1 relays S's pieces to D2 while D2's
  // handshake is held back; were the pieces D1 verified in that window never advertised, D2 would
  // stay incomplete with nothing outstanding (no stall, no error).
  it('a piece verified before a peer’s handshake arrives is still advertised to that peer', async () => {
    const share = await makeShare(3 * MiB);
    const s = net.peer('S', share, { have: 'all', seeder: true });
    const d1 = net.peer('D1', share);
    const d2 = net.peer('D2', share);
    net.connect(d1, s);
    const l = net.connect(d2, d1);
    l.ab.held = true; // D2's handshake is slow to reach D1
    await net.run(() => d1.pieces.length >= 1);
    const early = d1.pieces.map((p) => p.piece);
    l.ab.held = false;
    await net.run(() => d1.completes > 0);
    await net.settle();

    expect(d1.swarm.isComplete).toBe(true);
    const told = new Set(net.sent('D1', 'D2', 'have').map((m) => m.piece));
    expect(early.filter((p) => !told.has(p))).toEqual([]);
    expect(d2.swarm.have.count()).toBe(share.meta.pieceCount);
  });

  it('upload cap: the uploader sends no more than cap × elapsed + burst', async () => {
    useFakeTime();
    const CAP = 512 * KiB;
    const share = await makeShare(2 * MiB);
    const s = net.peer('S', share, { have: 'all', seeder: true, uploadCap: CAP });
    const d = net.peer('D', share);
    const t0 = Date.now();
    net.connect(d, s);
    await net.run(() => d.completes > 0, { stepMs: 20, maxSteps: 1000 });
    await net.settle();

    await expectWholeShare(d);
    const burst = Math.max(CAP / 4, BLOCK_SIZE);
    let sent = 0;
    const over: string[] = [];
    for (const e of net.log) {
      if (e.event !== 'send' || e.from !== 'S' || e.msg.type !== 'data') continue;
      sent += e.msg.length;
      const allowed = (CAP * (e.at - t0)) / 1000 + burst;
      if (sent > allowed) over.push(`${sent} bytes by ${e.at - t0} ms, allowed ${allowed}`);
    }
    expect(over).toEqual([]);
    expect(sent).toBe(share.meta.totalSize);
    // And the cap is a cap, not a crawl: the share took about totalSize / CAP.
    const elapsed = d.swarm.completedAt! - t0;
    expect(elapsed).toBeGreaterThanOrEqual(((share.meta.totalSize - burst) / CAP) * 1000);
    expect(elapsed).toBeLessThanOrEqual((share.meta.totalSize / CAP) * 1000 + 500);
  });

  // A downloader drops a peer that delivers no block for STALL_TIMEOUT_MS (15 s), and a capped
  // uploader sends a whole block (up to 240 KiB) once its token bucket holds it: a cap below
  // MIN_UPLOAD_CAP_BYTES is raised to it, so a block always arrives well within the stall timeout.
  it('a seeder capped at 10 KiB/s is raised to the minimum cap: slow, never dropped as stalled', async () => {
    useFakeTime();
    const share = await makeShare(2 * MiB);
    const s = net.peer('S', share, { have: 'all', seeder: true, uploadCap: 10 * KiB });
    const d = net.peer('D', share);
    net.connect(d, s);
    await net.advance(60_000, 1000);

    expect(d.dropped.filter((x) => x.reason === 'stalled')).toEqual([]);
    expect(d.swarm.isComplete).toBe(true); // 2 MiB at the 64 KiB/s minimum: about 32 s
  });

  it('two complete peers connecting to each other are dropped: both hold the whole share', async () => {
    const share = await makeShare(2 * MiB);
    const s1 = net.peer('S1', share, { have: 'all', seeder: true });
    const s2 = net.peer('S2', share, { have: 'all' }); // a finished download, seeding from its store
    net.connect(s1, s2);
    await net.settle();

    const drops = [...s1.dropped, ...s2.dropped];
    expect(drops.length).toBeGreaterThan(0);
    for (const x of drops) expect(x.reason).toBe(BOTH_COMPLETE);
    expect(s1.swarm.peerCount).toBe(0);
    expect(s2.swarm.peerCount).toBe(0);
    expect(net.log.filter((e) => e.msg.type !== 'handshake')).toEqual([]);
  });

  it('setDownloading(false) before any handshake: nothing is requested; setDownloading(true) completes', async () => {
    const share = await makeShare(3 * MiB);
    const s = net.peer('S', share, { have: 'all', seeder: true });
    const d = net.peer('D', share);
    d.swarm.setDownloading(false);
    net.connect(d, s);
    await net.settle();

    expect(net.sent('D', 'S', 'request')).toEqual([]);
    expect(d.swarm.have.count()).toBe(0);
    expect(d.swarm.peerCount).toBe(1);
    d.swarm.setDownloading(true);
    await net.run(() => d.completes > 0);
    await expectWholeShare(d);
  });

  it('setDownloading(false) mid-transfer stops new requests (requests in flight still land); true resumes', async () => {
    const share = await makeShare(6 * MiB); // more than one request window
    const s = net.peer('S', share, { have: 'all', seeder: true });
    const d = net.peer('D', share);
    net.connect(d, s);
    await net.run(() => d.pieces.length >= 1);
    d.swarm.setDownloading(false);
    const asked = net.sent('D', 'S', 'request');
    await net.settle();

    expect(net.sent('D', 'S', 'request')).toHaveLength(asked.length);
    expect(d.swarm.isComplete).toBe(false);
    const askedPieces = new Set(asked.map((r) => r.piece));
    for (const i of allPieces(share)) if (d.swarm.have.has(i)) expect(askedPieces.has(i)).toBe(true);
    expect(d.swarm.have.count()).toBe(askedPieces.size); // the requests in flight did complete
    expect(d.dropped).toEqual([]);

    d.swarm.setDownloading(true);
    await net.run(() => d.completes > 0);
    await expectWholeShare(d);
  });

  it('the uploader stops sending at HIGH_WATER buffered bytes and resumes when the channel drains', async () => {
    const share = await makeShare(3 * MiB);
    const s = net.peer('S', share, { have: 'all', seeder: true });
    const d = net.peer('D', share);
    const l = net.connect(d, s);
    await net.run(() => d.swarm.downloadedTotal > 0);
    l.ba.held = true; // the link stops carrying S's data
    await net.settle();

    // S filled its buffer up to HIGH_WATER (the last send may cross it) and then waited.
    expect(l.ba.bufferedAmount).toBeGreaterThanOrEqual(HIGH_WATER);
    expect(l.ba.bufferedAmount).toBeLessThan(HIGH_WATER + BLOCK_SIZE + 9);
    const sends = net.sent('S', 'D', 'data').length;
    await net.settle();
    expect(net.sent('S', 'D', 'data')).toHaveLength(sends);
    expect(s.swarm.uploadedTotal).toBeLessThan(share.meta.totalSize);

    l.ba.held = false; // draining below LOW_WATER wakes it up
    await net.run(() => d.completes > 0);
    await expectWholeShare(d);
    expect(s.swarm.uploadedTotal).toBe(share.meta.totalSize);
  });

  it.each([
    [262144, 240 * KiB],
    [65536, 48 * KiB],
  ])('over a channel of maxMessageSize %i the downloader asks for %i-byte blocks and no message exceeds it', async (mms, block) => {
    expect(blockSizeFor(mms)).toBe(block);
    const share = await makeShare(3 * MiB);
    const s = net.peer('S', share, { have: 'all', seeder: true });
    const d = net.peer('D', share);
    net.connect(d, s, { maxMessageSize: mms });
    await net.run(() => d.completes > 0);
    await net.settle();

    await expectWholeShare(d);
    const requests = net.sent('D', 'S', 'request');
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) expect(r.length).toBe(Math.min(block, pieceLength(share.meta, pieceAt(r.piece)) - r.offset));
    expect(Math.max(...net.log.map((e) => e.msg.size))).toBeLessThanOrEqual(mms);
    expect(Math.max(...net.sent('S', 'D', 'data').map((m) => m.size))).toBe(block + 9);
  });
});

describe('Swarm: protocol violations', () => {
  const OTHER_SHARE = shareId('ab'.repeat(32));

  async function withRawPeer(share: TestShare, options: { have?: number[]; maxMessageSize?: number } = {}) {
    const d = net.peer('D', share, { have: options.have ?? [] });
    const r = new RawPeer('R');
    net.connect(d, r, { maxMessageSize: options.maxMessageSize });
    await net.settle();
    expect(r.inbox.map((m) => m.type)).toEqual(['handshake']); // D spoke first, as it must
    return { d, r };
  }

  const handshake = (share: TestShare, have = new Bitfield(share.meta.pieceCount), resource: ShareId = share.resource) =>
    encode({ type: 'handshake', resource, bitfield: have });

  const cases: [string, (share: TestShare) => ArrayBuffer[], RegExp][] = [
    ['a message before the handshake', () => [encode({ type: 'have', piece: pieceAt(0) })], /^have before handshake$/],
    ['a request before the handshake', () => [encode({ type: 'request', piece: pieceAt(0), offset: 0, length: 1024 })], /^request before handshake$/],
    ['a handshake for another share', (sh) => [handshake(sh, undefined, OTHER_SHARE)], /^handshake for another share$/],
    [
      'a handshake with another piece count',
      (sh) => [encode({ type: 'handshake', resource: sh.resource, bitfield: new Bitfield(sh.meta.pieceCount + 1) })],
      /^handshake for 9 pieces, the share has 8$/,
    ],
    ['a second handshake', (sh) => [handshake(sh), handshake(sh)], /^second handshake$/],
    ['an unrequested data block', (sh) => [handshake(sh), encodeData(pieceAt(0), 0, new Uint8Array(1000))], /^unrequested block 0:0\+1000$/],
    ['an unknown message type', (sh) => [handshake(sh), new Uint8Array([0x7f, 0, 0]).buffer], /^unknown message type 127$/],
  ];

  it.each(cases)('%s closes the peer', async (_name, messages, reason) => {
    const share = await makeShare(2 * MiB);
    const { d, r } = await withRawPeer(share);
    for (const m of messages(share)) r.send(m);
    await net.settle();

    expect(d.dropped).toHaveLength(1);
    expect(d.dropped[0].peer).toBe('R');
    expect(d.dropped[0].reason).toMatch(reason);
    expect(r.isClosed).toBe(true);
    expect(d.swarm.peerCount).toBe(0);
    expect(d.removed.map((x) => x.peer)).toEqual(['R']);
  });

  it('a data block of another length than requested closes the peer', async () => {
    const share = await makeShare(2 * MiB);
    const { d, r } = await withRawPeer(share);
    r.send(handshake(share, Bitfield.full(share.meta.pieceCount)));
    await net.settle();
    const req = net.sent('D', 'R', 'request')[0];
    expect(req).toBeDefined();
    r.send(encodeData(pieceAt(req.piece), req.offset, new Uint8Array(100)));
    await net.settle();

    expect(d.dropped.map((x) => x.reason)).toEqual([`block ${req.piece}:${req.offset} is 100 bytes, ${req.length} were requested`]);
    expect(r.isClosed).toBe(true);
  });

  it('a request for a piece we do not have is answered with reject, not treated as a violation', async () => {
    const share = await makeShare(2 * MiB);
    const { d, r } = await withRawPeer(share, { have: [0, 1, 2, 3] });
    r.send(handshake(share));
    r.send(encode({ type: 'request', piece: pieceAt(5), offset: 0, length: BLOCK_SIZE }));
    r.send(encode({ type: 'request', piece: pieceAt(1), offset: 16 * KiB, length: BLOCK_SIZE }));
    await net.settle();

    const replies = r.inbox.slice(1);
    expect(replies.map((m) => [m.type, m.piece, m.offset, m.length])).toEqual([
      ['reject', 5, 0, BLOCK_SIZE],
      ['data', 1, 16 * KiB, BLOCK_SIZE],
    ]);
    const at = pieceOffset(share.meta, pieceAt(1)) + 16 * KiB;
    expect(firstDiff(replies[1].payload!, share.data.subarray(at, at + BLOCK_SIZE))).toBe(-1);
    expect(d.dropped).toEqual([]);
    expect(r.isClosed).toBe(false);
    expect(d.swarm.peerCount).toBe(1);
  });

  it('a request whose data would not fit the channel is rejected; one that fits is served', async () => {
    const share = await makeShare(2 * MiB);
    const { d, r } = await withRawPeer(share, { have: [0, 1, 2, 3], maxMessageSize: 65536 });
    r.send(handshake(share));
    r.send(encode({ type: 'request', piece: pieceAt(2), offset: 0, length: BLOCK_SIZE }));
    r.send(encode({ type: 'request', piece: pieceAt(2), offset: 0, length: 48 * KiB }));
    await net.settle();

    expect(r.inbox.slice(1).map((m) => [m.type, m.piece, m.offset, m.length])).toEqual([
      ['reject', 2, 0, BLOCK_SIZE],
      ['data', 2, 0, 48 * KiB],
    ]);
    expect(d.dropped).toEqual([]);
  });
});
