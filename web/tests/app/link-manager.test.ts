// Covers app/link-manager over fake links and an in-memory signaling server (fake-network.ts):
// which holders a share connects to and how many, how many peers it accepts, open links handed to
// the swarm, and what it reports when no link opens: no path (with or without a relay), a relay
// the server refused, a holder that left first.
import { describe, expect, it } from 'vitest';

import { MAX_PEERS_PER_SHARE } from '../../src/engine/constants';
import { peerId, shareId, type PeerId } from '../../src/engine/ids';
import type { WireChannel } from '../../src/engine/channel';
import { LinkManager, MAX_INCOMING_PER_SHARE, type PeerSink } from '../../src/app/link-manager';
import type { LinkProblem } from '../../src/app/problems';
import { FakeLinkNet, FakeServer, FakeSignaling, settle, until } from './fake-network';

const R = shareId('ab'.repeat(32));
const pid = (n: number): PeerId => peerId(n.toString(16).padStart(32, 'a'));

// What the swarm would be told.
class RecordingSink implements PeerSink {
  readonly events: string[] = [];
  readonly received: Array<{ from: PeerId; bytes: number[] }> = [];
  readonly channels = new Map<PeerId, WireChannel>();
  addPeer(id: PeerId, channel: WireChannel): void {
    this.events.push(`add ${id}`);
    this.channels.set(id, channel);
  }
  receive(id: PeerId, message: ArrayBuffer, channel?: WireChannel): void {
    if (this.channels.get(id) === channel) this.received.push({ from: id, bytes: [...new Uint8Array(message)] });
  }
  removePeer(id: PeerId, channel?: WireChannel): void {
    if (this.channels.get(id) !== channel) return;
    this.events.push(`remove ${id}`);
    this.channels.delete(id);
  }
}

const quiet = () => undefined;

// A manager whose signals are all relayed, with peers that never answer (for counting links).
function alone(self = pid(0)) {
  const net = new FakeLinkNet();
  const signaling = { peerId: self, iceServers: [], signal: async () => ({ status: 'relayed' as const }) };
  const sink = new RecordingSink();
  const manager = new LinkManager({ resource: R, factory: net.factory(() => self), signaling, peers: sink, log: quiet });
  return { net, manager, sink, self };
}

// One page on the fake server: its connection, its links for share R, in R's swarm.
async function page(server: FakeServer, net: FakeLinkNet, complete: boolean) {
  const signaling = new FakeSignaling(server);
  signaling.start();
  await until('welcome', () => signaling.state === 'open');
  const sink = new RecordingSink();
  const manager = new LinkManager({ resource: R, factory: net.factory(() => signaling.peerId), signaling, peers: sink, log: quiet });
  const problems: Array<LinkProblem | null> = [];
  const lost: PeerId[] = [];
  manager.on('problem', (p) => problems.push(p));
  manager.on('source-lost', ({ peer }) => lost.push(peer));
  signaling.on('signal', (m) => void manager.onSignal(m.from, m.kind, m.data));
  signaling.on('peer_left', (m) => manager.peerLeft(m.peer));
  await signaling.request({ type: 'announce', resource: R, complete });
  return { signaling, sink, manager, problems, lost, id: signaling.peerId! };
}

async function twoPages() {
  const server = new FakeServer();
  server.know(R, Uint8Array.of(1));
  const net = new FakeLinkNet();
  const holder = await page(server, net, true);
  const downloader = await page(server, net, false);
  return { server, net, holder, downloader };
}

describe('LinkManager: which links it opens and accepts', () => {
  it(`connects to complete holders first, at most ${MAX_PEERS_PER_SHARE} of its own`, () => {
    const { net, manager, self } = alone();
    const peers = Array.from({ length: 12 }, (_, i) => ({ peer: pid(i + 1), complete: i >= 8 }));
    manager.connect(peers);
    const remotes = net.of(self).map((l) => l.remote);
    expect(remotes.length).toBe(MAX_PEERS_PER_SHARE);
    expect(remotes.slice(0, 4)).toEqual([pid(9), pid(10), pid(11), pid(12)]);
    expect(net.of(self).every((l) => l.initiator)).toBe(true);
    manager.connect([{ peer: pid(20), complete: true }]);
    expect(net.of(self).length, 'no more once the cap is reached').toBe(MAX_PEERS_PER_SHARE);
  });

  it('never connects to itself, nor twice to one peer', () => {
    const { net, manager, self } = alone();
    manager.connect([{ peer: self, complete: true }, { peer: pid(1), complete: true }, { peer: pid(1), complete: false }]);
    manager.connect([{ peer: pid(1), complete: true }]);
    expect(net.of(self).map((l) => l.remote)).toEqual([pid(1)]);
  });

  it(`answers offers from at most ${MAX_INCOMING_PER_SHARE} peers`, async () => {
    const { net, manager, self } = alone();
    for (let i = 1; i <= MAX_INCOMING_PER_SHARE + 4; i++) await manager.onSignal(pid(i), 'offer', { sdp: {}, link: `l${i}` });
    const incoming = net.of(self);
    expect(incoming.length).toBe(MAX_INCOMING_PER_SHARE);
    expect(incoming.every((l) => !l.initiator && l.signals.some((s) => s.kind === 'answer'))).toBe(true);
    // One of them going away makes room for another.
    incoming[0]!.close('the peer closed the connection');
    await manager.onSignal(pid(99), 'offer', { sdp: {}, link: 'l99' });
    expect(net.of(self, pid(99)).length).toBe(1);
  });

  it('answers an ICE restart on the link it has, and replaces the link when the peer starts a new one', async () => {
    const { net, manager, self } = alone();
    await manager.onSignal(pid(1), 'offer', { sdp: {}, link: 'first' });
    await manager.onSignal(pid(1), 'offer', { sdp: {}, link: 'first' });
    expect(net.of(self).length).toBe(1);
    expect(net.of(self)[0]!.signals.filter((s) => s.kind === 'answer').length).toBe(2);
    await manager.onSignal(pid(1), 'offer', { sdp: {}, link: 'second' });
    const [old, replacement] = net.of(self);
    expect(old!.isClosed).toBe(true);
    expect(replacement!.linkId).toBe('second');
    expect(replacement!.isClosed).toBe(false);
  });
});

describe('LinkManager: links that open', () => {
  it('hands both ends to their swarms once the offer is answered, and carries messages both ways', async () => {
    const { net, holder, downloader } = await twoPages();
    downloader.manager.connect([{ peer: holder.id, complete: true }]);
    await until('both ends open', () => holder.manager.openCount === 1 && downloader.manager.openCount === 1);
    expect(downloader.sink.events).toEqual([`add ${holder.id}`]);
    expect(holder.sink.events).toEqual([`add ${downloader.id}`]);
    net.of(downloader.id)[0]!.send(Uint8Array.of(1, 2, 3).buffer);
    net.of(holder.id)[0]!.send(Uint8Array.of(9).buffer);
    await until('messages delivered', () => holder.sink.received.length === 1 && downloader.sink.received.length === 1);
    expect(holder.sink.received).toEqual([{ from: downloader.id, bytes: [1, 2, 3] }]);
    expect(downloader.sink.received).toEqual([{ from: holder.id, bytes: [9] }]);
    expect(downloader.problems).toEqual([null]);
  });

  it('reports a holder it downloaded from going away as a lost source, but not a refresh', async () => {
    const { net, holder, downloader } = await twoPages();
    downloader.manager.connect([{ peer: holder.id, complete: true }]);
    await until('open', () => downloader.manager.openCount === 1);
    net.of(holder.id)[0]!.close('the holder closed its page');
    await until('closed on both ends', () => downloader.manager.openCount === 0);
    expect(downloader.lost).toEqual([holder.id]);
    expect(downloader.sink.events).toEqual([`add ${holder.id}`, `remove ${holder.id}`]);
    downloader.manager.connect([{ peer: holder.id, complete: true }]);
    await until('open again', () => downloader.manager.openCount === 1);
    downloader.manager.closeAll('refreshed');
    await settle();
    expect(downloader.lost).toEqual([holder.id]);
  });

  it('counts open links whose path goes through a relay', async () => {
    const { net, holder, downloader } = await twoPages();
    downloader.manager.connect([{ peer: holder.id, complete: true }]);
    await until('open', () => downloader.manager.openCount === 1);
    expect(await downloader.manager.relayedCount()).toBe(0);
    net.path = 'relay';
    expect(await downloader.manager.relayedCount()).toBe(1);
    expect(await downloader.manager.paths()).toEqual([{ peer: holder.id, path: 'relay' }]);
  });
});

describe('LinkManager: what it says when no link opens', () => {
  it('no path: without a relay configured, and with one', async () => {
    for (const relay of [false, true]) {
      const { server, net, holder, downloader } = await twoPages();
      if (relay) server.iceServers = [{ urls: ['stun:s:3478'] }, { urls: ['turn:t:3478'], username: 'u', credential: 'c' }];
      net.noPath = true;
      downloader.manager.connect([{ peer: holder.id, complete: true }]);
      await settle();
      expect(downloader.manager.connectingCount).toBe(1);
      net.timeOut();
      expect(downloader.problems).toEqual([{ kind: 'no-path', relay }]);
      expect(holder.problems, 'the side that answered says nothing').toEqual([]);
    }
  });

  it('clears the problem once a link opens', async () => {
    const { net, holder, downloader } = await twoPages();
    net.noPath = true;
    downloader.manager.connect([{ peer: holder.id, complete: true }]);
    await settle();
    net.timeOut();
    net.noPath = false;
    downloader.manager.connect([{ peer: holder.id, complete: true }]);
    await until('open', () => downloader.manager.openCount === 1);
    expect(downloader.problems).toEqual([{ kind: 'no-path', relay: false }, null]);
  });

  it('a refused offer ends the link at once with the reason, and says the relay was refused', async () => {
    const { server, net, holder, downloader } = await twoPages();
    server.refuseSignal = (_from, m) => (m.kind === 'offer' ? 'too_many_offers' : null);
    downloader.manager.connect([{ peer: holder.id, complete: true }]);
    await until('the link closed', () => net.of(downloader.id)[0]!.isClosed);
    expect(net.of(downloader.id)[0]!.closedReason).toMatch(/refused to relay the offer: refused: too_many_offers/);
    expect(downloader.problems).toEqual([{ kind: 'relay-refused', signal: 'offer', code: 'too_many_offers' }]);
    expect(net.of(holder.id)).toEqual([]);
  });

  it('an offer to a peer that is no longer in the swarm is refused as unknown_peer', async () => {
    const { server, net, holder, downloader } = await twoPages();
    server.disconnect(holder.id);
    await settle(); // its peer_left came before any link to it
    downloader.manager.connect([{ peer: holder.id, complete: true }]);
    await until('the link closed', () => net.of(downloader.id)[0]!.isClosed);
    expect(downloader.problems).toEqual([{ kind: 'relay-refused', signal: 'offer', code: 'unknown_peer' }]);
  });

  it('a refused answer ends the answering link, and the holder says so', async () => {
    const { server, net, holder, downloader } = await twoPages();
    server.refuseSignal = (_from, m) => (m.kind === 'answer' ? 'no_offer' : null);
    downloader.manager.connect([{ peer: holder.id, complete: true }]);
    await until('the answering link closed', () => net.of(holder.id)[0]?.isClosed === true);
    expect(holder.problems).toEqual([{ kind: 'relay-refused', signal: 'answer', code: 'no_offer' }]);
  });

  it('a refused candidate is left to the offer or answer it belongs to', async () => {
    const { server, net, holder, downloader } = await twoPages();
    server.refuseSignal = (_from, m) => (m.kind === 'candidate' ? 'no_offer' : null);
    downloader.manager.connect([{ peer: holder.id, complete: true }]);
    const link = net.of(downloader.id)[0]!;
    link.candidate();
    await until('open', () => downloader.manager.openCount === 1);
    expect(link.isClosed).toBe(false);
  });

  it('gives up a link to a holder that left the swarm before it opened, at once, and says so', async () => {
    const { server, net, holder, downloader } = await twoPages();
    net.noPath = true; // the link would otherwise wait for its timeout
    downloader.manager.connect([{ peer: holder.id, complete: true }]);
    await settle();
    expect(downloader.manager.connectingCount).toBe(1);
    await holder.signaling.request({ type: 'leave', resource: R });
    await until('the link given up', () => net.of(downloader.id)[0]!.isClosed);
    expect(net.of(downloader.id)[0]!.closedReason).toBe('the peer left the share');
    expect(downloader.problems).toEqual([{ kind: 'peer-left' }]);
    void server;
  });

  it('keeps an open link to a peer that left the swarm: the channel works without the server', async () => {
    const { net, holder, downloader } = await twoPages();
    downloader.manager.connect([{ peer: holder.id, complete: true }]);
    await until('open', () => downloader.manager.openCount === 1);
    await holder.signaling.request({ type: 'leave', resource: R });
    await settle();
    expect(downloader.manager.openCount).toBe(1);
    net.of(holder.id)[0]!.send(Uint8Array.of(7).buffer);
    await until('delivered', () => downloader.sink.received.length === 1);
    expect(downloader.problems).toEqual([null]);
  });

  it('says nothing of links it closed itself (refresh), and opens none once stopped', async () => {
    const { net, holder, downloader } = await twoPages();
    net.noPath = true;
    downloader.manager.connect([{ peer: holder.id, complete: true }]);
    await settle();
    downloader.manager.closeAll('refreshed');
    expect(downloader.problems).toEqual([]);
    downloader.manager.stop('removed');
    downloader.manager.connect([{ peer: holder.id, complete: true }]);
    expect(net.of(downloader.id).length).toBe(1);
  });
});
