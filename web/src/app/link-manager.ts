// The connections of one share: links to the holders it downloads from (complete holders first,
// at most MAX_PEERS_PER_SHARE of ours), links other peers open to it (the offer policy of
// net/offer-policy.ts, at most MAX_INCOMING_PER_SHARE), open links handed to the share's swarm,
// and what a person is told when no connection opens: no network path (with or without a relay),
// a relay the server refused, or a holder that left first. The links themselves (WebRTC, the ICE
// restart) are PeerLinks in the page and fakes over in-memory channels in unit tests: a
// LinkFactory makes them.
import type { WireChannel } from '../engine/channel';
import { MAX_PEERS_PER_SHARE } from '../engine/constants';
import { Emitter, type Listener } from '../engine/emitter';
import type { PeerId, ShareId } from '../engine/ids';
import type { LookupPeer, SignalKind } from '../net/messages';
import { linkIdOf, offerAction } from '../net/offer-policy';
import type { PathType, PeerLinkEvents } from '../net/peer-link';
import type { SignalingPort } from '../net/signaling-client';
import type { LinkProblem } from './problems';

// Connections accepted from other peers for one share (they download from us): with
// MAX_PEERS_PER_SHARE of a downloader's own, more than one browser serves well at once.
export const MAX_INCOMING_PER_SHARE = 16;

// What the manager needs of one connection (net/peer-link.ts PeerLink has it).
export interface ManagedLink extends WireChannel {
  readonly remote: PeerId;
  readonly initiator: boolean; // we sent its offer
  readonly linkId: string;
  readonly isOpen: boolean;
  readonly isClosed: boolean;
  readonly opened: boolean; // its channel opened at some point
  start(): Promise<void>;
  handleSignal(kind: SignalKind, data: unknown): Promise<void>;
  pathType(): Promise<PathType>;
  close(reason?: string): void;
  on<K extends keyof PeerLinkEvents>(type: K, listener: Listener<PeerLinkEvents[K]>): () => void;
}

export interface LinkSpec {
  readonly resource: ShareId;
  readonly remote: PeerId;
  readonly initiator: boolean;
  readonly linkId?: string; // the offer's, for a link another peer opened
  readonly sendSignal: (kind: SignalKind, data: unknown) => void;
}
export type LinkFactory = (spec: LinkSpec) => ManagedLink;

// Where open links go: the share's swarm.
export interface PeerSink {
  addPeer(id: PeerId, channel: WireChannel): void;
  receive(id: PeerId, message: ArrayBuffer, channel?: WireChannel): void;
  removePeer(id: PeerId, channel?: WireChannel): void;
}

export interface LinkManagerEvents {
  // A link was made, opened or closed.
  changed: void;
  // The connection problem to show; null once a link opens.
  problem: LinkProblem | null;
  // A holder we downloaded from went away: look for others.
  'source-lost': { peer: PeerId };
}

export interface LinkManagerOptions {
  readonly resource: ShareId;
  readonly factory: LinkFactory;
  readonly signaling: Pick<SignalingPort, 'peerId' | 'iceServers' | 'signal'>;
  readonly peers: PeerSink;
  readonly log?: (line: string) => void;
}

// Why the manager closed a link itself: `problem` to show (a refused relay, a holder that left),
// or `quiet` for a close the person or the page asked for (refresh, removal, a replaced link).
interface OwnClose {
  readonly problem: LinkProblem | null;
  readonly quiet: boolean;
}

const short = (id: string) => id.slice(0, 8);

export class LinkManager extends Emitter<LinkManagerEvents> {
  private readonly links = new Map<PeerId, ManagedLink>();
  private readonly ownCloses = new WeakMap<ManagedLink, OwnClose>();
  private stopped = false;
  private readonly log: (line: string) => void;

  constructor(private readonly options: LinkManagerOptions) {
    super();
    this.log = options.log ?? ((line) => console.info(line));
  }

  // Opens links to holders that may have pieces we miss, complete holders first.
  connect(peers: readonly LookupPeer[]): void {
    if (this.stopped) return;
    const self = this.options.signaling.peerId;
    const ordered = [...peers].sort((a, b) => Number(b.complete) - Number(a.complete));
    let opened = 0;
    for (const { peer } of ordered) {
      if (peer === self || this.links.has(peer)) continue;
      if (this.outgoing() >= MAX_PEERS_PER_SHARE) break;
      void this.create(peer, true).start();
      opened++;
    }
    if (opened > 0) this.emit('changed', undefined);
  }

  // A relayed offer, answer or candidate from `from`.
  async onSignal(from: PeerId, kind: SignalKind, data: unknown): Promise<void> {
    if (this.stopped) return;
    let link = this.links.get(from);
    const signalLink = linkIdOf(data);
    if (kind === 'offer') {
      const action = offerAction(link, signalLink, this.options.signaling.peerId ?? '', from);
      if (action === 'ignore') return;
      if (action === 'replace-existing') {
        this.closeOwn(link!, { problem: null, quiet: true }, link!.initiator ? 'crossed offers, or the peer started over' : 'the peer started a new connection');
        link = undefined;
      }
      if (!link || link.isClosed) {
        if (this.incoming() >= MAX_INCOMING_PER_SHARE) return;
        link = this.create(from, false, signalLink);
      }
    } else if (link && signalLink !== undefined && signalLink !== link.linkId) {
      return; // an answer or candidate of a link that was replaced
    }
    if (link) await link.handleSignal(kind, data);
  }

  // The server says `peer` left the share's swarm: a link to it that has not opened yet cannot
  // (no more signals are relayed), so it is given up now. An open one carries on without the server.
  peerLeft(peer: PeerId): void {
    const link = this.links.get(peer);
    if (!link || link.isOpen || link.isClosed) return;
    this.closeOwn(link, { problem: link.initiator ? { kind: 'peer-left' } : null, quiet: false }, 'the peer left the share');
  }

  // The swarm dropped the peer (corrupt piece, protocol violation, stall).
  drop(peer: PeerId, reason: string): void {
    const link = this.links.get(peer);
    if (link) this.closeOwn(link, { problem: null, quiet: false }, reason);
  }

  // Closes every link (refresh: the share looks for peers again).
  closeAll(reason: string): void {
    for (const link of [...this.links.values()]) this.closeOwn(link, { problem: null, quiet: true }, reason);
  }

  // Closes every link for good (the share stops).
  stop(reason: string): void {
    this.stopped = true;
    this.closeAll(reason);
  }

  get openCount(): number {
    return this.count((l) => l.isOpen);
  }

  // Links of ours still negotiating.
  get connectingCount(): number {
    return this.count((l) => l.initiator && !l.isOpen && !l.isClosed);
  }

  // Open links whose path goes through a TURN relay.
  async relayedCount(): Promise<number> {
    return (await this.paths()).filter((p) => p.path === 'relay').length;
  }

  async paths(): Promise<Array<{ peer: PeerId; path: PathType }>> {
    const open = [...this.links.values()].filter((l) => l.isOpen);
    return Promise.all(open.map(async (l) => ({ peer: l.remote, path: await l.pathType() })));
  }

  private outgoing(): number {
    return this.count((l) => l.initiator);
  }

  private incoming(): number {
    return this.count((l) => !l.initiator && !l.isClosed);
  }

  private count(test: (link: ManagedLink) => boolean): number {
    let n = 0;
    for (const l of this.links.values()) if (test(l)) n++;
    return n;
  }

  private closeOwn(link: ManagedLink, why: OwnClose, reason: string): void {
    if (link.isClosed) return;
    this.ownCloses.set(link, why);
    link.close(reason);
  }

  private relayConfigured(): boolean {
    return this.options.signaling.iceServers.some((server) =>
      [server.urls].flat().some((u) => u.startsWith('turn:') || u.startsWith('turns:')),
    );
  }

  private create(peer: PeerId, initiator: boolean, linkId?: string): ManagedLink {
    const { resource, factory, peers } = this.options;
    // The link exists once the factory returns; it signals only after start() or handleSignal().
    let link: ManagedLink | null = null;
    link = factory({ resource, remote: peer, initiator, linkId, sendSignal: (kind, data) => this.send(link!, kind, data) });
    const self = link;
    this.links.set(peer, self);
    const created = Date.now();
    const tag = `${initiator ? 'to' : 'from'} peer ${short(peer)} for ${short(resource)}`;
    self.on('open', () => {
      this.log(`peershare: connection ${tag} open after ${Date.now() - created} ms`);
      peers.addPeer(peer, self);
      this.emit('problem', null);
      this.emit('changed', undefined);
    });
    // The swarm knows the peer by id; a replaced link's late messages and close must not reach
    // the state of the link that replaced it.
    self.on('message', (m) => peers.receive(peer, m, self));
    self.on('closed', ({ reason }) => {
      this.log(`peershare: connection ${tag} closed after ${Date.now() - created} ms: ${reason}`);
      if (this.links.get(peer) === self) this.links.delete(peer);
      const own = this.ownCloses.get(self);
      if (!self.opened && this.openCount === 0) {
        if (own?.problem) this.emit('problem', own.problem);
        else if (!own && initiator) {
          // Nobody reachable: say why in words, instead of waiting silently.
          this.log(`peershare: no path to peer ${short(peer)}: ${reason}`);
          this.emit('problem', { kind: 'no-path', relay: this.relayConfigured() });
        }
      }
      peers.removePeer(peer, self);
      this.emit('changed', undefined);
      if (initiator && self.opened && !own?.quiet && !this.stopped) this.emit('source-lost', { peer });
    });
    return self;
  }

  // Relays one negotiation message. A refused offer or answer ends the link, with the reason.
  private send(link: ManagedLink, kind: SignalKind, data: unknown): void {
    void this.options.signaling.signal({ resource: this.options.resource, to: link.remote, kind, data }).then((outcome) => {
      if (outcome.status !== 'refused') return;
      const { code, message } = outcome.error;
      this.log(`peershare: the server refused to relay the ${kind} to peer ${short(link.remote)}: ${code}`);
      if (kind === 'candidate') return; // the offer or answer it belongs to decides the link
      this.closeOwn(link, { problem: { kind: 'relay-refused', signal: kind, code }, quiet: false }, `the server refused to relay the ${kind}: ${message}`);
    });
  }
}
