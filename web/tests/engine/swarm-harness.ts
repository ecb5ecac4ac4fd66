// Test harness for engine/swarm (used by swarm.test.ts): an in-memory network of WireChannel pairs
// whose delivery the test drives, shares over pseudo-random bytes, swarm peers with recording sinks,
// a scripted raw peer, and a synchronous SHA-256 so a whole round of work settles in one macrotask.
import { vi } from 'vitest';
import { Bitfield } from '../../src/engine/bitfield';
import type { WireChannel } from '../../src/engine/channel';
import { LOW_WATER } from '../../src/engine/constants';
import type { ShareId } from '../../src/engine/ids';
import {
  decodeMetadata,
  encodeMetadata,
  pieceLength,
  pieceOffset,
  resourceIdOf,
  sha256,
  type ShareMetadata,
} from '../../src/engine/metadata';
import { Swarm, type PieceSink, type PieceSource } from '../../src/engine/swarm';
import { MessageType } from '../../src/engine/wire';
import { MemoryPieceStore } from '../../src/storage/memory-store';
import { pieceAt, testPeerId, testPeerName } from './test-ids';

// Captured before any test fakes timers (the tests fake only setTimeout/setInterval and Date).
const realSetImmediate = (globalThis as unknown as { setImmediate: (f: () => void) => unknown }).setImmediate;
// One real macrotask: every microtask queued so far (swarm pumps, verifies, store calls) runs first.
export const turn = (): Promise<void> => new Promise((resolve) => realSetImmediate(resolve));

// Fakes the timers the swarm uses (and Date, which it reads); setImmediate and microtasks stay real
// so the network keeps running. Call it before creating peers: a swarm starts its stall timer at once.
export function useFakeTime(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
}

// --- a synchronous SHA-256 (FIPS 180-4), so hashing needs no thread pool round trip ---

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

export function sha256Sync(data: Uint8Array): Uint8Array {
  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const w = new Uint32Array(64);
  const compress = (view: DataView, at: number) => {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(at + 4 * i);
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15];
      const y = w[i - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  };
  const full = Math.floor(data.length / 64);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < full; i++) compress(view, i * 64);
  const rest = data.length - full * 64;
  const tail = new Uint8Array(rest < 56 ? 64 : 128);
  tail.set(data.subarray(full * 64));
  tail[rest] = 0x80;
  const tailView = new DataView(tail.buffer);
  tailView.setUint32(tail.length - 8, Math.floor(data.length / 0x20000000));
  tailView.setUint32(tail.length - 4, (data.length * 8) % 0x100000000);
  for (let at = 0; at < tail.length; at += 64) compress(tailView, at);
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(4 * i, h[i]);
  return out;
}

// --- shares ---

export interface TestShare {
  readonly resource: ShareId;
  readonly meta: ShareMetadata;
  readonly data: Uint8Array;
}

// Deterministic pseudo-random bytes (xorshift32).
export function randomBytes(length: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(length);
  const words = new Uint32Array(out.buffer, 0, Math.floor(length / 4));
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  for (let i = 0; i < words.length; i++) words[i] = next();
  for (let i = words.length * 4; i < length; i++) out[i] = next() & 0xff;
  return out;
}

// A one-file share of `totalSize` pseudo-random bytes; piece hashes by WebCrypto, so the harness's
// own SHA-256 is checked against it by every transfer.
export async function makeShare(totalSize: number, seed?: number): Promise<TestShare> {
  const data = randomBytes(totalSize, seed);
  const pieceSize = 256 * 1024; // pieceSizeFor() of every share the tests use
  const pieceHashes: Uint8Array[] = [];
  for (let offset = 0; offset < totalSize; offset += pieceSize)
    pieceHashes.push(await sha256(data.subarray(offset, Math.min(totalSize, offset + pieceSize))));
  const bytes = encodeMetadata({ name: 'test share', files: [{ path: 'data.bin', size: totalSize }], pieceHashes });
  const meta = decodeMetadata(bytes);
  if (meta.pieceSize !== pieceSize) throw new Error(`unexpected piece size ${meta.pieceSize}`);
  return { resource: await resourceIdOf(bytes), meta, data };
}

// Index of the first byte where a and b differ (or their lengths do), -1 when equal.
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

// --- messages as the log shows them ---

export type MessageName = 'handshake' | 'have' | 'request' | 'data' | 'cancel' | 'reject' | 'unknown';

export interface Peeked {
  readonly type: MessageName;
  readonly size: number; // bytes of the whole message
  readonly piece: number;
  readonly offset: number;
  readonly length: number; // block length (request, cancel, reject, data)
  readonly resource?: string;
  readonly bitfield?: Uint8Array;
  readonly payload?: Uint8Array; // data
}

const NAMES = new Map<number, MessageName>(
  Object.entries(MessageType).map(([name, byte]) => [byte, name as MessageName]),
);

// Reads the fields of a message without validating it.
export function peek(buf: ArrayBuffer): Peeked {
  const bytes = new Uint8Array(buf);
  const view = new DataView(buf);
  const type = NAMES.get(bytes[0]) ?? 'unknown';
  const u32 = (at: number) => (bytes.length >= at + 4 ? view.getUint32(at) : -1);
  switch (type) {
    case 'handshake':
      return {
        type,
        size: bytes.length,
        piece: -1,
        offset: -1,
        length: 0,
        resource: [...bytes.subarray(2, 34)].map((b) => b.toString(16).padStart(2, '0')).join(''),
        bitfield: bytes.slice(38),
      };
    case 'have':
      return { type, size: bytes.length, piece: u32(1), offset: -1, length: 0 };
    case 'data':
      return { type, size: bytes.length, piece: u32(1), offset: u32(5), length: bytes.length - 9, payload: bytes.slice(9) };
    default:
      return { type, size: bytes.length, piece: u32(1), offset: u32(5), length: u32(9) };
  }
}

// --- the network ---

// One side of a connection: a swarm peer or a scripted raw peer.
export interface Endpoint {
  readonly id: string;
  attach(remote: string, channel: End): void;
  // `channel`: the receiver's own end of the connection the message came over.
  receive(from: string, message: ArrayBuffer, channel: End): void;
  // The channel to `from` closed (PeerLink's 'closed', which the app turns into swarm.removePeer).
  closed(from: string, channel: End): void;
}

export interface LogEntry {
  readonly event: 'send' | 'deliver';
  readonly from: string;
  readonly to: string;
  readonly at: number; // Date.now(): fake time when timers are faked
  readonly msg: Peeked;
}

// The sending half of one direction of a connection, as the owner's swarm sees it. Messages wait in
// `queue` (counted in bufferedAmount) until the network delivers them.
export class End implements WireChannel {
  other!: End;
  readonly queue: ArrayBuffer[] = [];
  bufferedAmount = 0;
  // 'closing': the other side closed and this side has not been told yet; sends vanish.
  state: 'open' | 'closing' | 'closed' = 'open';
  // A held end delivers nothing (a silent stall); its messages stay buffered.
  held = false;
  // What the owner's swarm reads as WireChannel.interrupted (a path being restored).
  interrupted = false;
  private drains: (() => void)[] = [];

  constructor(
    private readonly net: Net,
    readonly owner: Endpoint,
    readonly maxMessageSize: number,
  ) {}

  get remote(): Endpoint {
    return this.other.owner;
  }

  send(message: ArrayBuffer): void {
    const what = peek(message).type;
    if (this.state === 'closed') {
      this.net.problems.push(`${this.owner.id} sent ${what} to ${this.remote.id} after closing the channel`);
      return;
    }
    if (message.byteLength > this.maxMessageSize) {
      this.net.problems.push(`${this.owner.id} sent a ${message.byteLength}-byte ${what}, channel carries ${this.maxMessageSize}`);
      throw new TypeError('message larger than maxMessageSize'); // what RTCDataChannel.send does
    }
    if (this.state === 'closing') return;
    this.net.record('send', this, message);
    this.queue.push(message);
    this.bufferedAmount += message.byteLength;
  }

  onDrain(listener: () => void): void {
    this.drains.push(listener);
  }

  // Both sides learn of it: this one at once (as PeerLink reports its own close), the other one a
  // microtask later.
  close(): void {
    if (this.state === 'closed') return;
    this.shut();
    this.owner.closed(this.remote.id, this);
    const other = this.other;
    if (other.state === 'open') {
      other.state = 'closing';
      queueMicrotask(() => {
        if (other.state === 'closed') return;
        other.shut();
        other.owner.closed(this.owner.id, other);
      });
    }
  }

  // Delivers the oldest buffered message; false when there is none to deliver.
  deliverOne(): boolean {
    if (this.state === 'closed' || this.held || this.queue.length === 0) return false;
    if (this.other.state === 'closed') {
      this.queue.length = 0; // the receiver is gone
      this.bufferedAmount = 0;
      return false;
    }
    const message = this.queue.shift()!;
    const before = this.bufferedAmount;
    this.bufferedAmount -= message.byteLength;
    if (before > LOW_WATER && this.bufferedAmount <= LOW_WATER)
      queueMicrotask(() => {
        if (this.state === 'open') for (const l of this.drains) l();
      });
    this.net.record('deliver', this, message);
    this.remote.receive(this.owner.id, message.slice(0), this.other);
    return true;
  }

  private shut(): void {
    this.state = 'closed';
    this.queue.length = 0;
    this.bufferedAmount = 0;
    this.drains = [];
  }
}

export interface Link {
  readonly ab: End; // a sends on it
  readonly ba: End; // b sends on it
}

export interface PeerSpec {
  // Pieces held at the start; 'all' with `seeder` serves straight from the share bytes, no sink.
  have?: 'all' | 'none' | readonly number[];
  seeder?: boolean;
  uploadCap?: number;
  corruptUploads?: boolean;
  // Use the swarm's default digest (WebCrypto) instead of the harness's synchronous one.
  webCrypto?: boolean;
}

export class Net {
  readonly ends: End[] = [];
  readonly log: LogEntry[] = [];
  // Things a browser or a correct swarm would not do: oversized messages, sends after close.
  readonly problems: string[] = [];
  readonly peers: SwarmPeer[] = [];

  connect(a: Endpoint, b: Endpoint, { maxMessageSize = 262144 } = {}): Link {
    const ab = new End(this, a, maxMessageSize);
    const ba = new End(this, b, maxMessageSize);
    ab.other = ba;
    ba.other = ab;
    this.ends.push(ab, ba);
    a.attach(b.id, ab);
    b.attach(a.id, ba);
    return { ab, ba };
  }

  peer(id: string, share: TestShare, spec: PeerSpec = {}): SwarmPeer {
    const p = new SwarmPeer(id, share, spec);
    this.peers.push(p);
    return p;
  }

  record(event: 'send' | 'deliver', end: End, message: ArrayBuffer): void {
    this.log.push({ event, from: end.owner.id, to: end.remote.id, at: Date.now(), msg: peek(message) });
  }

  // Messages sent from one endpoint to another (optionally of one type).
  sent(from: string, to: string, type?: MessageName): Peeked[] {
    return this.log
      .filter((e) => e.event === 'send' && e.from === from && e.to === to && (!type || e.msg.type === type))
      .map((e) => e.msg);
  }

  // Delivers one message from every end that has one, in connection order.
  deliverRound(): number {
    let n = 0;
    for (const end of this.ends) if (end.deliverOne()) n++;
    return n;
  }

  // Runs the network until `until()` holds. Each step first advances fake time by `stepMs` (when
  // given), then delivers rounds of messages, one real macrotask apart, until nothing moves.
  async run(until: () => boolean, options: { stepMs?: number; maxSteps?: number } = {}): Promise<void> {
    const stepMs = options.stepMs ?? 0;
    // Without fake time a step is one idle macrotask (waiting for WebCrypto, say): allow many.
    const maxSteps = options.maxSteps ?? (stepMs > 0 ? 2000 : 100000);
    for (let step = 0; step < maxSteps; step++) {
      if (until()) return;
      if (stepMs > 0) vi.advanceTimersByTime(stepMs);
      for (let round = 0; round < 10000; round++) {
        const moved = this.deliverRound();
        await turn();
        if (until()) return;
        if (moved === 0) break;
      }
    }
    throw new Error(`network condition not reached in ${maxSteps} steps`);
  }

  // Advances fake time by `ms` in steps of `stepMs`, running the network after each step.
  async advance(ms: number, stepMs: number): Promise<void> {
    for (let t = 0; t < ms; t += stepMs) {
      vi.advanceTimersByTime(stepMs);
      await this.settle();
    }
  }

  // Runs until nothing is deliverable for a few macrotasks in a row.
  async settle(): Promise<void> {
    let idle = 0;
    for (let round = 0; round < 100000 && idle < 3; round++) {
      idle = this.deliverRound() === 0 ? idle + 1 : 0;
      await turn();
    }
  }

  destroy(): void {
    for (const p of this.peers) p.swarm.destroy();
  }
}

// --- peers ---

export interface Write {
  readonly offset: number;
  readonly data: Uint8Array;
}

// A Swarm with everything it reports recorded.
export class SwarmPeer implements Endpoint {
  readonly swarm: Swarm;
  readonly store: MemoryPieceStore | null;
  readonly writes: Write[] = [];
  readonly savedHaves: Uint8Array[] = [];
  readonly pieces: { piece: number; from: string; at: number }[] = [];
  readonly dropped: { peer: string; reason: string; at: number }[] = [];
  readonly removed: { peer: string; at: number }[] = [];
  readonly errors: Error[] = [];
  completes = 0;
  // The last bitfield saved when 'complete' fired.
  haveAtComplete: Uint8Array | null = null;

  constructor(
    readonly id: string,
    readonly share: TestShare,
    spec: PeerSpec = {},
  ) {
    const { meta } = share;
    const have = new Bitfield(meta.pieceCount);
    const held = spec.have === 'all' ? [...Array(meta.pieceCount).keys()] : spec.have === 'none' || !spec.have ? [] : spec.have;
    for (const i of held) have.set(pieceAt(i));
    let source: PieceSource;
    let sink: PieceSink | undefined;
    if (spec.seeder) {
      if (!have.isComplete()) throw new Error('a seeder holds every piece');
      this.store = null;
      source = { read: async (offset, length) => share.data.slice(offset, offset + length) };
    } else {
      const store = new MemoryPieceStore(share.resource, meta.totalSize);
      for (const n of held) {
        const i = pieceAt(n);
        void store.write(pieceOffset(meta, i), share.data.subarray(pieceOffset(meta, i), pieceOffset(meta, i) + pieceLength(meta, i)));
      }
      this.store = store;
      source = store;
      sink = {
        write: async (offset, data) => {
          this.writes.push({ offset, data: data.slice() });
          await store.write(offset, data);
        },
        saveHave: async (bits) => {
          this.savedHaves.push(bits.slice());
          await store.saveHave(bits);
        },
      };
    }
    this.swarm = new Swarm({
      resource: share.resource,
      meta,
      have,
      source,
      sink,
      uploadCap: spec.uploadCap ? () => spec.uploadCap! : undefined,
      corruptUploads: spec.corruptUploads,
      digest: spec.webCrypto ? undefined : async (data) => sha256Sync(data),
    });
    // The swarm knows peers by id; the records keep the test's names.
    this.swarm.on('piece', ({ piece, from }) => this.pieces.push({ piece, from: testPeerName(from), at: Date.now() }));
    this.swarm.on('dropped', ({ peer, reason }) => this.dropped.push({ peer: testPeerName(peer), reason, at: Date.now() }));
    this.swarm.on('removed', ({ peer }) => this.removed.push({ peer: testPeerName(peer), at: Date.now() }));
    this.swarm.on('error', (e) => this.errors.push(e));
    this.swarm.on('complete', () => {
      this.completes++;
      this.haveAtComplete = this.savedHaves.at(-1) ?? null;
    });
  }

  attach(remote: string, channel: End): void {
    this.swarm.addPeer(testPeerId(remote), channel);
  }

  receive(from: string, message: ArrayBuffer, channel: End): void {
    this.swarm.receive(testPeerId(from), message, channel);
  }

  closed(from: string, channel: End): void {
    this.swarm.removePeer(testPeerId(from), channel);
  }

  // The bytes this peer holds (its store, or the share for a seeder).
  async bytes(): Promise<Uint8Array> {
    return this.store ? this.store.read(0, this.share.meta.totalSize) : this.share.data;
  }

  // Pieces whose verified copy came from `peer`.
  piecesFrom(peer: string): number[] {
    return this.pieces.filter((p) => p.from === peer).map((p) => p.piece);
  }
}

// A peer the test scripts by hand: it sends what it is told and records what it receives.
export class RawPeer implements Endpoint {
  channel: End | null = null;
  readonly inbox: Peeked[] = [];
  isClosed = false;

  constructor(readonly id: string) {}

  attach(_remote: string, channel: End): void {
    this.channel = channel;
  }

  receive(_from: string, message: ArrayBuffer): void {
    this.inbox.push(peek(message));
  }

  closed(): void {
    this.isClosed = true;
  }

  send(message: ArrayBuffer): void {
    this.channel!.send(message);
  }
}
