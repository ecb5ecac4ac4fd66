// Test harness for the app layer (share sessions, link manager, client): an in-memory signaling
// server that keeps swarms and relays signals as docs/protocol.md §2 says (announce with
// metadata_required, lookup with inline metadata, relays only inside a swarm, peer_joined and
// peer_left pushes, refusals the test asks for), one fake signaling connection per page, and fake
// links over in-memory channels that open once an offer was answered (or never, when the test
// says no path exists). Messages are delivered a real macrotask later, in order, as a network would.
import { SignalingError, type ServerErrorCode } from '../../src/engine/errors';
import { Emitter } from '../../src/engine/emitter';
import { LOW_WATER } from '../../src/engine/constants';
import { peerId, type PeerId, type ShareId } from '../../src/engine/ids';
import type { LinkFactory, LinkSpec, ManagedLink } from '../../src/app/link-manager';
import type { IceServer, LookupPeer, ServerMessage, SignalKind } from '../../src/net/messages';
import type { PathType, PeerLinkEvents } from '../../src/net/peer-link';
import type { ConnectionState, RequestMessage, ReplyTo, Signaling, SignalingEvents, SignalOutcome, SignalRequest } from '../../src/net/signaling-client';

// Captured before any test fakes timers.
const realSetImmediate = (globalThis as unknown as { setImmediate: (f: () => void) => unknown }).setImmediate;
export const nextTask = (): Promise<void> => new Promise((resolve) => realSetImmediate(resolve));

// Waits until `condition()` holds, letting the network run; fails after `maxTasks` macrotasks.
export async function until(what: string, condition: () => boolean, maxTasks = 20000): Promise<void> {
  for (let i = 0; i < maxTasks; i++) {
    if (condition()) return;
    await nextTask();
  }
  throw new Error(`not reached: ${what}`);
}

// Lets the network run until nothing has moved for a few macrotasks.
export async function settle(tasks = 20): Promise<void> {
  for (let i = 0; i < tasks; i++) await nextTask();
}

interface Member {
  complete: boolean;
}

interface Swarm {
  metadata: Uint8Array | null;
  readonly members: Map<PeerId, Member>;
}

export class FakeServer {
  readonly swarms = new Map<ShareId, Swarm>();
  readonly clients = new Map<PeerId, FakeSignaling>();
  // Every message a page sent, in order.
  readonly log: Array<{ from: PeerId; message: Record<string, unknown> }> = [];
  // Metadata PUT over HTTP (the test's fetch).
  readonly uploads: Array<{ resource: string; bytes: Uint8Array }> = [];
  // A signal the test wants refused: return the error code, or null to relay it.
  refuseSignal: (from: PeerId, message: SignalRequest) => ServerErrorCode | null = () => null;
  iceServers: IceServer[] = [];
  private nextPeer = 1;

  connect(client: FakeSignaling): PeerId {
    const id = peerId((this.nextPeer++).toString(16).padStart(32, '0'));
    this.clients.set(id, client);
    return id;
  }

  disconnect(id: PeerId): void {
    this.clients.delete(id);
    for (const [resource, swarm] of this.swarms) if (swarm.members.delete(id)) this.push(resource, id, { type: 'peer_left', resource, peer: id });
  }

  // The share's metadata, as if it had been announced or uploaded before.
  know(resource: ShareId, metadata: Uint8Array): void {
    this.swarm(resource).metadata = metadata;
  }

  members(resource: ShareId): PeerId[] {
    return [...(this.swarms.get(resource)?.members.keys() ?? [])];
  }

  sent(from: PeerId, type?: string): Array<Record<string, unknown>> {
    return this.log.filter((e) => e.from === from && (!type || e.message.type === type)).map((e) => e.message);
  }

  // The HTTP API's metadata endpoint (GET and PUT), as a fetch.
  readonly fetch = (async (url: string, init: RequestInit = {}) => {
    const m = /\/api\/resources\/([0-9a-f]{64})\/metadata$/.exec(url);
    if (!m) return new Response(null, { status: 404 });
    const resource = m[1] as ShareId;
    if ((init.method ?? 'GET') === 'PUT') {
      const bytes = new Uint8Array(init.body as Uint8Array);
      this.uploads.push({ resource, bytes });
      this.swarm(resource).metadata = bytes;
      return new Response(null, { status: 201 });
    }
    const metadata = this.swarms.get(resource)?.metadata;
    if (!metadata) return new Response(JSON.stringify({ error: { code: 'not_found', message: 'unknown share' } }), { status: 404 });
    return new Response(metadata as Uint8Array<ArrayBuffer>);
  }) as unknown as typeof fetch;

  // A request; resolves with the reply, rejects with a SignalingError.
  handle(from: PeerId, message: RequestMessage): ServerMessage {
    this.log.push({ from, message: { ...message } });
    switch (message.type) {
      case 'announce': {
        const swarm = this.swarms.get(message.resource);
        if (!swarm?.metadata) throw new SignalingError('metadata_required', 'announce the metadata');
        const had = swarm.members.get(from);
        swarm.members.set(from, { complete: message.complete });
        if (had?.complete !== message.complete) this.push(message.resource, from, { type: 'peer_joined', resource: message.resource, peer: from, complete: message.complete });
        return { type: 'announced', id: 0, resource: message.resource, peers: swarm.members.size };
      }
      case 'lookup': {
        const swarm = this.swarms.get(message.resource);
        if (!swarm?.metadata) throw new SignalingError('not_found', 'unknown share');
        const peers: LookupPeer[] = [...swarm.members]
          .filter(([id]) => id !== from)
          .map(([peer, m]) => ({ peer, complete: m.complete }))
          .sort((a, b) => Number(b.complete) - Number(a.complete));
        return { type: 'lookup_result', id: 0, resource: message.resource, metadata: swarm.metadata, metadata_size: swarm.metadata.length, peer_count: peers.length, peers };
      }
      case 'leave': {
        const swarm = this.swarms.get(message.resource);
        if (!swarm?.members.delete(from)) throw new SignalingError('not_in_swarm', 'not in that swarm');
        this.push(message.resource, from, { type: 'peer_left', resource: message.resource, peer: from });
        return { type: 'left', id: 0, resource: message.resource };
      }
      case 'ice':
        return { type: 'ice_servers', id: 0, ice_servers: this.iceServers, ice_transport_policy: 'all' };
    }
  }

  relay(from: PeerId, message: SignalRequest): ServerErrorCode | null {
    this.log.push({ from, message: { type: 'signal', ...message } });
    const swarm = this.swarms.get(message.resource);
    if (!swarm?.members.has(from)) return 'not_in_swarm';
    if (!swarm.members.has(message.to) || message.to === from) return 'unknown_peer';
    const refused = this.refuseSignal(from, message);
    if (refused) return refused;
    this.clients.get(message.to)?.deliver({ type: 'signal', resource: message.resource, from, kind: message.kind, data: message.data });
    return null;
  }

  private swarm(resource: ShareId): Swarm {
    let swarm = this.swarms.get(resource);
    if (!swarm) this.swarms.set(resource, (swarm = { metadata: null, members: new Map() }));
    return swarm;
  }

  private push(resource: ShareId, except: PeerId, message: ServerMessage): void {
    for (const id of this.swarms.get(resource)?.members.keys() ?? []) if (id !== except) this.clients.get(id)?.deliver(message);
  }
}

// One page's signaling connection to the FakeServer.
export class FakeSignaling extends Emitter<SignalingEvents> implements Signaling {
  state: ConnectionState = 'closed';
  peerId: PeerId | null = null;
  iceTransportPolicy = 'all' as const;
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly server: FakeServer) {
    super();
  }

  get iceServers(): readonly IceServer[] {
    return this.server.iceServers;
  }

  start(): void {
    if (this.state === 'open') return;
    this.peerId = this.server.connect(this);
    this.deliverNow(() => {
      this.state = 'open';
      this.emit('state', 'open');
      this.emit('welcome', { type: 'welcome', protocol: 1, peer: this.peerId!, ice_servers: this.server.iceServers, ice_transport_policy: 'all', limits: {} });
    });
  }

  stop(): void {
    if (this.peerId) this.server.disconnect(this.peerId);
    this.peerId = null;
    this.state = 'closed';
    this.emit('state', 'closed');
  }

  reconnectNow(): void {}

  async request<M extends RequestMessage>(message: M): Promise<ReplyTo<M>> {
    if (this.state !== 'open' || !this.peerId) throw new SignalingError('disconnected', 'not connected to the server');
    const from = this.peerId;
    await this.arrive();
    const reply = this.server.handle(from, message);
    await this.arrive();
    return reply as ReplyTo<M>;
  }

  async signal(message: SignalRequest): Promise<SignalOutcome> {
    if (this.state !== 'open' || !this.peerId) return { status: 'unknown' };
    const from = this.peerId;
    await this.arrive();
    const refused = this.server.relay(from, message);
    await this.arrive();
    return refused ? { status: 'refused', error: new SignalingError(refused, `refused: ${refused}`) } : { status: 'relayed' };
  }

  // A push from the server, delivered in order after what was sent before it.
  deliver(message: ServerMessage): void {
    this.deliverNow(() => {
      if (this.state !== 'open') return;
      switch (message.type) {
        case 'signal':
          return this.emit('signal', message);
        case 'peer_joined':
          return this.emit('peer_joined', message);
        case 'peer_left':
          return this.emit('peer_left', message);
        case 'error':
          return this.emit('error', new SignalingError(message.code, message.message));
      }
    });
  }

  private deliverNow(run: () => void): void {
    this.queue = this.queue.then(nextTask).then(run);
  }

  private arrive(): Promise<void> {
    return nextTask();
  }
}

// --- links ---

interface Pending {
  readonly offerer: FakeLink;
  answerer: FakeLink | null;
}

// The in-memory "WebRTC" the fake links run on.
export class FakeLinkNet {
  // No ICE path exists: links never open (the test closes them, as PeerLink's timeout would).
  noPath = false;
  readonly links: FakeLink[] = [];
  readonly pending = new Map<string, Pending>();
  // The path every link reports once open.
  path: PathType = 'direct';
  private nextLink = 1;

  // The factory of one page, whose own peer id `self()` gives.
  factory(self: () => PeerId | null): LinkFactory {
    return (spec: LinkSpec) => {
      const link = new FakeLink(this, spec, self() ?? peerId('0'.repeat(32)), spec.linkId ?? `link${this.nextLink++}`);
      this.links.push(link);
      return link;
    };
  }

  // Links of `owner` to `remote` (or all of them).
  of(owner: PeerId, remote?: PeerId): FakeLink[] {
    return this.links.filter((l) => l.owner === owner && (!remote || l.remote === remote));
  }

  // Closes every link still negotiating as PeerLink does when no path was found in time.
  timeOut(): void {
    for (const l of this.links) if (!l.isOpen && !l.isClosed) l.close('no network path to the peer was found');
  }
}

// One end of a fake connection: a WireChannel whose messages reach the other end a macrotask later.
export class FakeLink extends Emitter<PeerLinkEvents> implements ManagedLink {
  readonly remote: PeerId;
  readonly initiator: boolean;
  readonly linkId: string;
  readonly maxMessageSize = 262144;
  bufferedAmount = 0;
  other: FakeLink | null = null;
  closedReason: string | null = null;
  signals: Array<{ kind: SignalKind; data: unknown }> = [];
  private channelOpen = false;
  private everOpened = false;
  private readonly queue: ArrayBuffer[] = [];
  private flushing = false;
  private drains: Array<() => void> = [];

  constructor(
    private readonly net: FakeLinkNet,
    private readonly spec: LinkSpec,
    readonly owner: PeerId,
    linkId: string,
  ) {
    super();
    this.remote = spec.remote;
    this.initiator = spec.initiator;
    this.linkId = linkId;
  }

  get isOpen(): boolean {
    return this.channelOpen;
  }
  get isClosed(): boolean {
    return this.closedReason !== null;
  }
  get opened(): boolean {
    return this.everOpened;
  }

  async start(): Promise<void> {
    if (!this.initiator) return;
    this.net.pending.set(this.linkId, { offerer: this, answerer: null });
    this.signal('offer', { sdp: { type: 'offer' } });
  }

  async handleSignal(kind: SignalKind, data: unknown): Promise<void> {
    if (this.isClosed) return;
    if (kind === 'offer') {
      const pending = this.net.pending.get(this.linkId);
      if (pending) pending.answerer = this;
      this.signal('answer', { sdp: { type: 'answer' } });
    } else if (kind === 'answer') {
      const pending = this.net.pending.get(this.linkId);
      if (!pending?.answerer || this.net.noPath || this.isOpen) return;
      this.net.pending.delete(this.linkId);
      const answerer = pending.answerer;
      this.other = answerer;
      answerer.other = this;
      realSetImmediate(() => {
        for (const end of [answerer, this]) {
          if (end.isClosed || end.other?.isClosed) continue;
          end.channelOpen = true;
          end.everOpened = true;
          end.emit('open', undefined);
        }
      });
    }
    void data;
  }

  async pathType(): Promise<PathType> {
    return this.isOpen ? this.net.path : 'unknown';
  }

  send(message: ArrayBuffer): void {
    if (!this.channelOpen) return;
    this.queue.push(message);
    this.bufferedAmount += message.byteLength;
    if (!this.flushing) {
      this.flushing = true;
      realSetImmediate(() => this.flush());
    }
  }

  onDrain(listener: () => void): void {
    this.drains.push(listener);
  }

  close(reason = 'closed'): void {
    if (this.isClosed) return;
    this.closedReason = reason;
    this.channelOpen = false;
    this.queue.length = 0;
    this.bufferedAmount = 0;
    this.drains = [];
    this.emit('closed', { reason });
    const other = this.other;
    if (other && !other.isClosed) realSetImmediate(() => other.close('the peer closed the connection'));
  }

  // An ICE candidate, as a real link trickles them.
  candidate(): void {
    this.signal('candidate', { candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' } });
  }

  private signal(kind: SignalKind, data: Record<string, unknown>): void {
    const tagged = { ...data, link: this.linkId };
    this.signals.push({ kind, data: tagged });
    this.spec.sendSignal(kind, tagged);
  }

  private flush(): void {
    this.flushing = false;
    const other = this.other;
    const batch = this.queue.splice(0);
    const before = this.bufferedAmount;
    this.bufferedAmount = 0;
    if (!this.channelOpen || !other) return;
    for (const m of batch) if (other.channelOpen) other.emit('message', m);
    if (before > LOW_WATER) for (const l of [...this.drains]) l();
  }
}
