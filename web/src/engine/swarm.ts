// One share's transfers with every connected peer (docs/protocol.md §5): the handshake, serving
// requests for pieces we hold (uploads, paced by the channel's send buffer and an optional cap),
// and fetching the pieces we miss from all peers at once (downloads, scheduled by the picker,
// verified by SHA-256 before they are written or advertised). It knows nothing of WebRTC or
// signaling: connections come in as WireChannels.
import { Bitfield } from './bitfield';
import type { WireChannel } from './channel';
import {
  BLOCK_SIZE,
  blockSizeFor,
  DATA_HEADER_BYTES,
  HIGH_WATER,
  MAX_QUEUED_REQUESTS,
  MIN_UPLOAD_CAP_BYTES,
  REQUEST_BATCH_BYTES,
  REQUEST_WINDOW_BYTES,
} from './constants';
import { Emitter } from './emitter';
import { WireError } from './errors';
import { type PeerId, type PieceIndex, type ShareId } from './ids';
import { invariant } from './invariant';
import { pieceLength, pieceOffset, sha256, type ShareMetadata } from './metadata';
import { PiecePicker, type BlockRequest } from './picker';
import { decode, encode, encodeData, type WireMessage } from './wire';

// A peer with requests outstanding that sends nothing for this long is dropped and its pieces go
// to other peers. Time while its connection is interrupted does not count.
export const STALL_TIMEOUT_MS = 15_000;
// How often stalls are looked for.
export const STALL_CHECK_INTERVAL_MS = 2_000;
// Pieces kept in memory after reading them for uploads: a peer asks for a piece's blocks in a row,
// so one disk read serves several requests. Bounded in bytes whatever the piece size.
export const UPLOAD_CACHE_BYTES = 8 * 1024 * 1024;

export interface PieceSource {
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface PieceSink {
  write(offset: number, data: Uint8Array): Promise<void>;
  saveHave(bitfield: Uint8Array): Promise<void>;
}

export interface SwarmOptions {
  resource: ShareId;
  meta: ShareMetadata;
  have: Bitfield;
  source: PieceSource;
  sink?: PieceSink; // absent for a share seeded from files on disk (nothing to download)
  // Upload limit per peer in bytes per second, read at every send; null or 0 for none.
  uploadCap?: () => number | null;
  // Test-only: corrupt every block this peer uploads (never set by the UI).
  corruptUploads?: boolean;
  // Hashes a piece; defaults to WebCrypto SHA-256.
  digest?: (data: Uint8Array) => Promise<Uint8Array>;
  now?: () => number;
}

export interface PeerStats {
  peer: PeerId;
  downloaded: number;
  uploaded: number;
  complete: boolean;
}

export interface SwarmEvents {
  piece: { piece: PieceIndex; from: PeerId };
  complete: void;
  // A peer was disconnected by the swarm (protocol violation, corrupt piece, stall, nothing to do).
  dropped: { peer: PeerId; reason: string };
  // A peer's channel was removed from the swarm for any reason.
  removed: { peer: PeerId };
  error: Error;
}

interface PeerState {
  id: PeerId;
  channel: WireChannel;
  remote: Bitfield | null; // null until its handshake arrived
  // Uploads: requests we accepted from this peer, in order.
  queue: BlockRequest[];
  pumping: boolean;
  // Downloads: one buffer per piece being fetched from this peer.
  buffers: Map<PieceIndex, Uint8Array>;
  downloaded: number;
  uploaded: number;
  // Upload cap: token bucket in bytes.
  tokens: number;
  tokensAt: number;
  capTimer: ReturnType<typeof setTimeout> | null;
  // When its connection was last seen interrupted (0: never): a stall counts from then at the latest.
  interruptedAt: number;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Swarm extends Emitter<SwarmEvents> {
  readonly resource: ShareId;
  readonly meta: ShareMetadata;
  readonly have: Bitfield;
  private readonly picker: PiecePicker;
  private readonly peers = new Map<PeerId, PeerState>();
  private readonly cache = new Map<PieceIndex, Uint8Array>(); // piece -> bytes, insertion order = age
  private cacheBytes = 0;
  private readonly reads = new Map<PieceIndex, Promise<Uint8Array>>();
  private readonly writing = new Set<PieceIndex>(); // verified pieces being written
  // Resume-state saves: one at a time; pieces verified during a save are saved together after it,
  // so the disk sees one flush per batch of pieces, not one per piece.
  private haveSaving: Promise<void> | null = null;
  private haveDirty = false;
  private stallTimer: ReturnType<typeof setInterval> | null = null;
  private destroyed = false;
  private downloading = true;
  uploadedTotal = 0;
  downloadedTotal = 0;
  // When the first block arrived and when the last piece was stored (ms, for speed reports).
  firstDataAt: number | null = null;
  completedAt: number | null = null;

  constructor(private readonly options: SwarmOptions) {
    super();
    this.resource = options.resource;
    this.meta = options.meta;
    this.have = options.have;
    this.picker = new PiecePicker({
      pieceCount: this.meta.pieceCount,
      pieceSize: this.meta.pieceSize,
      totalSize: this.meta.totalSize,
      have: this.have,
      blockSize: BLOCK_SIZE,
      now: options.now,
    });
    if (!this.isComplete && options.sink) {
      this.stallTimer = setInterval(() => this.checkStalls(), STALL_CHECK_INTERVAL_MS);
    }
  }

  get isComplete(): boolean {
    return this.have.isComplete();
  }

  get peerCount(): number {
    return this.peers.size;
  }

  peerIds(): PeerId[] {
    return [...this.peers.keys()];
  }

  peerStats(): PeerStats[] {
    return [...this.peers.values()].map((p) => ({
      peer: p.id,
      downloaded: p.downloaded,
      uploaded: p.uploaded,
      complete: p.remote?.isComplete() ?? false,
    }));
  }

  // Stops or restarts fetching (pause/resume); uploads continue.
  setDownloading(on: boolean): void {
    this.downloading = on;
    if (on) for (const p of this.peers.values()) this.fill(p);
  }

  // A peer on a new channel replaces the one it had (the peer reconnected before the old channel
  // was seen to close): the old channel's in-flight pieces go back to the picker.
  addPeer(id: PeerId, channel: WireChannel): void {
    if (this.destroyed) return;
    const old = this.peers.get(id);
    if (old) {
      if (old.channel === channel) return;
      this.removePeer(id);
    }
    const p: PeerState = {
      id,
      channel,
      remote: null,
      queue: [],
      pumping: false,
      buffers: new Map(),
      downloaded: 0,
      uploaded: 0,
      tokens: 0,
      tokensAt: this.now(),
      capTimer: null,
      interruptedAt: 0,
    };
    this.peers.set(id, p);
    channel.onDrain(() => void this.pump(p));
    channel.send(encode({ type: 'handshake', resource: this.resource, bitfield: this.have }));
  }

  // Removes a peer whose channel closed (or that we drop); its pieces go to others. With `channel`,
  // only when that is still the peer's channel (a replaced channel closing later changes nothing).
  removePeer(id: PeerId, channel?: WireChannel): void {
    const p = this.peers.get(id);
    if (!p || (channel && p.channel !== channel)) return;
    this.peers.delete(id);
    if (p.capTimer) clearTimeout(p.capTimer);
    p.queue.length = 0;
    p.buffers.clear();
    if (p.remote) this.picker.removePeer(id);
    this.emit('removed', { peer: id });
    for (const other of this.peers.values()) this.fill(other);
  }

  // A message from peer `id`; with `channel`, only if it came over the peer's current channel.
  receive(id: PeerId, message: ArrayBuffer, channel?: WireChannel): void {
    const p = this.peers.get(id);
    if (!p || (channel && p.channel !== channel)) return;
    let m: WireMessage;
    try {
      m = decode(message, { pieceCount: this.meta.pieceCount, pieceLength: (i) => pieceLength(this.meta, i) });
    } catch (e) {
      this.drop(p, e instanceof WireError ? e.message : 'undecodable message');
      return;
    }
    try {
      this.handle(p, m);
    } catch (e) {
      this.drop(p, e instanceof Error ? e.message : String(e));
    }
  }

  destroy(): void {
    this.destroyed = true;
    if (this.stallTimer) clearInterval(this.stallTimer);
    for (const p of [...this.peers.values()]) {
      p.channel.close();
      this.removePeer(p.id);
    }
    this.cache.clear();
    this.cacheBytes = 0;
  }

  private handle(p: PeerState, m: WireMessage): void {
    if (m.type !== 'handshake' && !p.remote) throw new WireError(`${m.type} before handshake`);
    switch (m.type) {
      case 'handshake': {
        if (p.remote) throw new WireError('second handshake');
        if (m.resource !== this.resource) throw new WireError('handshake for another share');
        p.remote = m.bitfield;
        if (p.remote.isComplete() && this.isComplete) {
          this.drop(p, 'both peers hold the whole share');
          return;
        }
        // Blocks as large as this channel carries: fewer messages, less work per byte.
        this.picker.addPeer(p.id, p.remote, blockSizeFor(p.channel.maxMessageSize));
        this.fill(p);
        return;
      }
      case 'have': {
        if (p.remote!.has(m.piece)) return;
        p.remote!.set(m.piece);
        this.picker.peerHas(p.id, m.piece);
        this.fill(p);
        return;
      }
      case 'request': {
        const fits = m.length + DATA_HEADER_BYTES <= p.channel.maxMessageSize;
        if (!this.have.has(m.piece) || p.queue.length >= MAX_QUEUED_REQUESTS || !fits) {
          p.channel.send(encode({ type: 'reject', piece: m.piece, offset: m.offset, length: m.length }));
          return;
        }
        p.queue.push({ piece: m.piece, offset: m.offset, length: m.length });
        void this.pump(p);
        return;
      }
      case 'cancel': {
        const i = p.queue.findIndex((r) => r.piece === m.piece && r.offset === m.offset && r.length === m.length);
        if (i >= 0) p.queue.splice(i, 1);
        return;
      }
      case 'reject': {
        const cancels = this.picker.requestRejected(p.id, { piece: m.piece, offset: m.offset, length: m.length });
        for (const r of cancels) p.channel.send(encode({ type: 'cancel', ...r }));
        p.buffers.delete(m.piece);
        this.fill(p);
        return;
      }
      case 'data': {
        const { accepted, pieceDone } = this.picker.onBlock(p.id, m.piece, m.offset, m.data.length);
        if (!accepted) return; // a block we cancelled, arriving late
        let buffer = p.buffers.get(m.piece);
        if (!buffer) {
          buffer = new Uint8Array(pieceLength(this.meta, m.piece));
          p.buffers.set(m.piece, buffer);
        }
        buffer.set(m.data, m.offset);
        p.downloaded += m.data.length;
        this.firstDataAt ??= this.now();
        this.downloadedTotal += m.data.length;
        if (pieceDone) {
          p.buffers.delete(m.piece);
          void this.verify(p.id, m.piece, buffer);
        }
        this.fill(p);
        return;
      }
    }
  }

  // Tops up this peer's pipeline of requests.
  private fill(p: PeerState): void {
    if (!this.downloading || !p.remote || !this.options.sink || this.isComplete || this.destroyed) return;
    // Requests go out in batches: sent in one go they share packets, where one request per
    // arriving block would add a packet (and its acknowledgement) to the return path each time.
    if (this.picker.outstandingBytes(p.id) > REQUEST_WINDOW_BYTES - REQUEST_BATCH_BYTES) return;
    const requests = this.picker.next(p.id, REQUEST_WINDOW_BYTES);
    for (const r of requests) p.channel.send(encode({ type: 'request', ...r }));
  }

  private async verify(from: PeerId, piece: PieceIndex, data: Uint8Array): Promise<void> {
    const digest = await (this.options.digest ?? sha256)(data);
    // In endgame two copies may verify at once: the first one is written, the other dropped.
    if (this.destroyed || this.have.has(piece) || this.writing.has(piece)) return;
    if (!equalBytes(digest, this.meta.pieceHashes[piece])) {
      this.picker.pieceFailed(piece, from); // a complete copy: nothing left to cancel
      const p = this.peers.get(from);
      if (p) this.drop(p, `sent piece ${piece} that does not match its hash`);
      for (const other of this.peers.values()) this.fill(other);
      return;
    }
    this.writing.add(piece);
    try {
      await this.options.sink!.write(pieceOffset(this.meta, piece), data);
    } catch (e) {
      this.writing.delete(piece);
      // Storage failed, not the peer; the piece goes back to the picker (the caller pauses on this).
      for (const r of this.picker.abandonPiece(piece, from)) this.peers.get(from)?.channel.send(encode({ type: 'cancel', ...r }));
      this.emit('error', e instanceof Error ? e : new Error(String(e)));
      return;
    }
    this.writing.delete(piece);
    if (this.destroyed || this.have.has(piece)) return;
    this.have.set(piece);
    this.saveHave();
    for (const { peer, requests } of this.picker.pieceVerified(piece)) {
      const p = this.peers.get(peer);
      if (!p) continue;
      p.buffers.delete(piece);
      for (const r of requests) p.channel.send(encode({ type: 'cancel', ...r }));
    }
    // Every peer, handshake received or not: ours went out when the channel opened, so `have` may follow.
    const have = encode({ type: 'have', piece });
    for (const p of this.peers.values()) p.channel.send(have);
    this.emit('piece', { piece, from });
    if (this.isComplete) {
      while (this.haveSaving) await this.haveSaving;
      this.completedAt = this.now();
      if (this.stallTimer) clearInterval(this.stallTimer);
      this.stallTimer = null;
      this.emit('complete', undefined);
      // Complete peers have nothing to give us any more.
      for (const p of [...this.peers.values()]) if (p.remote?.isComplete()) this.drop(p, 'both peers hold the whole share');
      return;
    }
    for (const p of this.peers.values()) this.fill(p);
  }

  private saveHave(): void {
    if (this.haveSaving) {
      this.haveDirty = true;
      return;
    }
    const snapshot = this.have.toBytes();
    this.haveSaving = this.options
      .sink!.saveHave(snapshot)
      .catch((e: unknown) => this.emit('error', e instanceof Error ? e : new Error(String(e))))
      .finally(() => {
        this.haveSaving = null;
        if (this.haveDirty && !this.destroyed) {
          this.haveDirty = false;
          this.saveHave();
        }
      });
  }

  // Sends queued blocks while the channel's buffer has room; resumes on drain or when the upload
  // cap allows.
  private async pump(p: PeerState): Promise<void> {
    if (p.pumping) return;
    p.pumping = true;
    try {
      while (p.queue.length > 0 && this.peers.get(p.id) === p) {
        if (p.channel.bufferedAmount >= HIGH_WATER) return; // onDrain resumes us
        const r = p.queue[0];
        if (!this.takeTokens(p, r.length)) return; // the cap timer resumes us
        const piece = await this.readPiece(r.piece);
        if (p.queue[0] !== r) continue; // cancelled meanwhile
        p.queue.shift();
        let block = piece.subarray(r.offset, r.offset + r.length);
        if (this.options.corruptUploads) block = block.map((b) => b ^ 0xff);
        p.channel.send(encodeData(r.piece, r.offset, block));
        p.uploaded += r.length;
        this.uploadedTotal += r.length;
      }
    } catch (e) {
      this.drop(p, `cannot read piece data: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      p.pumping = false;
    }
  }

  private takeTokens(p: PeerState, bytes: number): boolean {
    const setting = this.options.uploadCap?.() ?? null;
    if (!setting || setting <= 0) return true;
    const cap = Math.max(setting, MIN_UPLOAD_CAP_BYTES);
    const now = this.now();
    // Burst of at most a quarter second of the cap (and one block), so the rate is smooth.
    const burst = Math.max(cap / 4, BLOCK_SIZE);
    p.tokens = Math.min(burst, p.tokens + ((now - p.tokensAt) / 1000) * cap);
    p.tokensAt = now;
    if (p.tokens >= bytes) {
      p.tokens -= bytes;
      return true;
    }
    if (!p.capTimer) {
      const wait = Math.ceil(((bytes - p.tokens) / cap) * 1000);
      p.capTimer = setTimeout(() => {
        p.capTimer = null;
        void this.pump(p);
      }, wait);
    }
    return false;
  }

  private readPiece(piece: PieceIndex): Promise<Uint8Array> {
    const cached = this.cache.get(piece);
    if (cached) {
      this.cache.delete(piece); // refresh its age
      this.cache.set(piece, cached);
      return Promise.resolve(cached);
    }
    let pending = this.reads.get(piece);
    if (!pending) {
      pending = this.options.source.read(pieceOffset(this.meta, piece), pieceLength(this.meta, piece)).then((data) => {
        this.reads.delete(piece);
        this.cache.set(piece, data);
        this.cacheBytes += data.length;
        for (const [k, v] of this.cache) {
          if (this.cacheBytes <= UPLOAD_CACHE_BYTES || this.cache.size <= 1) break;
          this.cache.delete(k);
          this.cacheBytes -= v.length;
        }
        // O(cached pieces), at most UPLOAD_CACHE_BYTES / piece size + 1, once per disk read.
        invariant(() => this.cacheBytesMatch(), 'the upload cache counts the bytes of the pieces it holds');
        return data;
      });
      pending.catch(() => this.reads.delete(piece));
      this.reads.set(piece, pending);
    }
    return pending;
  }

  private checkStalls(): void {
    const now = this.now();
    for (const p of [...this.peers.values()]) {
      if (!p.remote) continue;
      if (p.channel.interrupted) {
        p.interruptedAt = now;
        continue;
      }
      const since = this.picker.outstanding(p.id).since;
      if (since !== null && now - Math.max(since, p.interruptedAt) > STALL_TIMEOUT_MS) this.drop(p, 'stalled');
    }
  }

  private drop(p: PeerState, reason: string): void {
    if (this.peers.get(p.id) !== p) return;
    this.emit('dropped', { peer: p.id, reason });
    p.channel.close();
    this.removePeer(p.id);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private cacheBytesMatch(): boolean {
    let bytes = 0;
    for (const v of this.cache.values()) bytes += v.length;
    return bytes === this.cacheBytes && (bytes <= UPLOAD_CACHE_BYTES || this.cache.size === 1);
  }
}
