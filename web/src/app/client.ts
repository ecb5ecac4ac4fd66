// The peershare client: everything a page does besides drawing. It keeps the list of shares (files
// this browser offers and downloads), talks to the server (announce, lookup, signal relay), opens
// WebRTC links to peers, runs one Swarm per share, and persists what a reload needs. The UI reads
// its entries and calls its actions; it emits 'change' when something visible changed.
import { Bitfield } from '../engine/bitfield';
import { MAX_PEERS_PER_SHARE } from '../engine/constants';
import { Emitter } from '../engine/emitter';
import { peerId, shareId } from '../engine/ids';
import { ApiError, MetadataError, PeershareError, SignalingError, StorageError } from '../engine/errors';
import { decodeMetadata, encodeMetadata, pieceSizeFor, resourceIdOf, verifyMetadata, type ShareMetadata } from '../engine/metadata';
import { Swarm } from '../engine/swarm';
import type { LookupResultMessage as LookupResult, SignalPush as SignalMessage } from '../net/messages';
import { SignalingClient } from '../net/signaling-client';
import { linkIdOf, offerAction } from '../net/offer-policy';
import type { SignalKind } from '../net/messages';
import { PeerLink } from '../net/peer-link';
import { FileSource } from '../storage/file-source';
import { hashFiles } from '../storage/hashing';
import type { PieceReader, PieceStorage, PieceStore } from '../storage/piece-store';
import {
  describeBlocked,
  filesFromHandles,
  listHandles,
  loadHandles,
  removeHandles,
  saveHandles,
  type ReadableHandle,
} from './file-handles';
import { safeName, uniquePaths } from './naming';
import { listMetadata, loadMetadata, loadRecords, removeMetadata, saveMetadata, saveRecords, type ShareKind, type ShareRecord } from './library';

// What a person is told when no peer of a download can be reached.
export const NO_PATH_RELAY = "Could not connect through the relay (TURN): check the server's TURN settings.";
export const NO_PATH_DIRECT = 'Direct connection failed and no relay is configured.';

// Connections accepted from other peers for one share (they download from us).
export const MAX_INCOMING_PER_SHARE = 16;
// How often transfer speeds are sampled for the tables.
export const SPEED_SAMPLE_MS = 1000;
// Weight of the newest sample in the speed average: smooth, yet current within a few seconds.
const SPEED_SMOOTHING = 0.3;

export type EntryState =
  | 'hashing' // computing piece hashes of picked files
  | 'needs-files' // a share from disk after a reload: pick its files again
  | 'looking' // fetching metadata and holders
  | 'waiting' // nobody holds it right now
  | 'downloading'
  | 'paused'
  | 'seeding' // holds every piece and offers it
  | 'failed';

// Leftover data the start-up sweep could not delete because a page still holds its files (the page
// a reload replaced lets go within moments; another tab only when it closes) is tried again this
// often, this many times.
export const SWEEP_RETRY_MS = 2000;
export const SWEEP_RETRIES = 5;

export interface ShareEntry {
  resource: string;
  name: string;
  size: number;
  kind: ShareKind;
  state: EntryState;
  error: string | null;
  hashProgress: number;
  meta: ShareMetadata | null;
  pieces: number;
  havePieces: number;
  uploaded: number;
  downloaded: number;
  downSpeed: number;
  upSpeed: number;
  peers: number;
  // Open connections whose path goes through a TURN relay.
  relayed: number;
  // Why peers were disconnected by the engine (corrupt piece, protocol violation, stall), newest last.
  dropped: string[];
  addedAt: number;
  // A share from disk whose files the browser lets us keep handles to (app/file-handles.ts): after
  // a reload, shareStoredFiles() reads them again, no picking needed.
  storedFiles: boolean;
}

interface Internal {
  entry: ShareEntry;
  metadataBytes: Uint8Array | null;
  swarm: Swarm | null;
  store: PieceStore | null;
  reader: PieceReader | null;
  links: Map<string, PeerLink>;
  lastSample: { uploaded: number; downloaded: number; at: number };
  abort: AbortController | null;
  paused: boolean;
  // Handles to a share's files from disk, when kept (app/file-handles.ts), and whether a click on
  // "Share again" is being handled (a second click does nothing meanwhile).
  handles: ReadableHandle[] | null;
  readingHandles: boolean;
}

export interface ClientOptions {
  signaling: SignalingClient;
  storage: PieceStorage;
  // Origin of the HTTP API; '' for the page's own.
  apiBase?: string;
  uploadCapBytesPerSecond?: () => number | null;
  corruptUploads?: boolean;
  iceTransportPolicy?: RTCIceTransportPolicy;
}

export interface ClientEvents {
  change: void;
}

// A message for people from any error the engine raises.
export function describeError(e: unknown): string {
  if (e instanceof StorageError) {
    if (e.code === 'storage_full') return 'Your browser storage is full: free some space or remove downloads.';
    return 'Browser storage is not available here (private window?).';
  }
  if (e instanceof ApiError && e.code === 'not_found') return 'This link was not found: the file is no longer shared.';
  if (e instanceof SignalingError) {
    if (e.code === 'not_found') return 'This link was not found: the file is no longer shared.';
    if (e.code === 'disconnected' || e.code === 'timeout') return 'Cannot reach the server right now; retrying.';
    return `The server refused: ${e.message}`;
  }
  if (e instanceof MetadataError) return 'The file description from the server is not valid for this link.';
  if (e instanceof PeershareError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

export class PeershareClient extends Emitter<ClientEvents> {
  private readonly shares = new Map<string, Internal>();
  // Shares this page removed: persist() drops their records even where the stored index (written by
  // another tab, or before this page restored it) still has them.
  private readonly forgotten = new Set<string>();
  private readonly signaling: SignalingClient;
  private speedTimer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly options: ClientOptions) {
    super();
    this.signaling = options.signaling;
    this.signaling.on('welcome', () => void this.onWelcome());
    this.signaling.on('signal', (m) => void this.onSignal(m));
    this.signaling.on('peer_joined', (m) => {
      const s = this.shares.get(m.resource);
      if (s) this.connectTo(s, [{ peer: m.peer, complete: m.complete }]);
    });
    this.signaling.on('state', () => this.changed());
  }

  get connection(): 'connecting' | 'open' | 'closed' {
    return this.signaling.state;
  }

  entries(): ShareEntry[] {
    return [...this.shares.values()].map((s) => s.entry).sort((a, b) => b.addedAt - a.addedAt);
  }

  // Bytes moved for a share in this page's life, exact (the entries' figures are sampled).
  transferred(resource: string): {
    downloaded: number;
    uploaded: number;
    firstDataAt: number | null;
    completedAt: number | null;
  } {
    const swarm = this.shares.get(resource)?.swarm;
    return {
      downloaded: swarm?.downloadedTotal ?? 0,
      uploaded: swarm?.uploadedTotal ?? 0,
      firstDataAt: swarm?.firstDataAt ?? null,
      completedAt: swarm?.completedAt ?? null,
    };
  }

  entry(resource: string): ShareEntry | undefined {
    return this.shares.get(resource)?.entry;
  }

  // Restores the shares of earlier sessions and connects to the server.
  async start(): Promise<void> {
    await this.sweepStorage();
    for (const record of loadRecords()) {
      try {
        await this.restore(record);
      } catch (e) {
        console.warn('peershare: cannot restore', record.resource, e);
      }
    }
    this.speedTimer = setInterval(() => this.sampleSpeeds(), SPEED_SAMPLE_MS);
    this.signaling.start();
    this.changed();
  }

  // Deletes stored piece data, metadata and file handles of shares the library no longer lists: what a removal
  // left when the page was closed or crashed part way through it. Every write path records a share
  // in the library before storing anything for it, so nothing listed or being created is touched.
  // A share another tab holds open stays locked and is left for a later start.
  // The library is read after the storage is listed: whatever was stored by then was listed first.
  private async sweepStorage(attempt = 0): Promise<void> {
    const [stored, metadata, handles] = await Promise.all([
      this.options.storage.listStoredShares().catch(() => [] as string[]),
      listMetadata(),
      listHandles(),
    ]);
    const listed = new Set([...loadRecords().map((r) => r.resource), ...this.shares.keys()]);
    let locked = false;
    for (const id of stored) {
      if (listed.has(id)) continue;
      await this.options.storage.removeStoredShare(id).catch((e) => {
        locked = true;
        if (attempt === SWEEP_RETRIES) console.warn('peershare: cannot delete leftover data of', id, e);
      });
    }
    for (const id of metadata) {
      if (!listed.has(id)) await removeMetadata(id);
    }
    for (const id of handles) {
      if (!listed.has(id)) await removeHandles(id);
    }
    if (locked && attempt < SWEEP_RETRIES) setTimeout(() => void this.sweepStorage(attempt + 1), SWEEP_RETRY_MS);
  }

  // Disconnects everything (a page going away; tests).
  stop(): void {
    if (this.speedTimer) clearInterval(this.speedTimer);
    this.speedTimer = null;
    for (const s of this.shares.values()) {
      for (const link of [...s.links.values()]) link.close('stopped');
      s.swarm?.destroy();
    }
    this.signaling.stop();
  }

  // --- sharing ---

  // Hashes the files (in a worker, with progress), publishes the metadata, and starts seeding.
  // `handles`, where the browser gave them (same order as `files`), are kept for after a reload.
  async shareFiles(files: File[], handles?: readonly ReadableHandle[]): Promise<string> {
    if (files.length === 0) throw new PeershareError('no_files', 'Pick at least one file.');
    const name = files.length === 1 ? safeName(files[0].name) : `${files.length} files`;
    const paths = uniquePaths(files);
    const size = files.reduce((n, f) => n + f.size, 0);
    const placeholder = `hashing-${Date.now()}-${Math.random().toString(16).slice(2)}`;
    const s = this.newInternal(placeholder, name, size, 'seed', 'hashing');
    this.shares.set(placeholder, s);
    s.abort = new AbortController();
    this.changed();
    try {
      const meta = await this.buildMetadata(files, paths, name, s);
      this.shares.delete(placeholder);
      const existing = this.shares.get(meta.resource);
      if (existing) {
        if (existing.entry.state === 'needs-files') {
          await this.keepHandles(existing, handles);
          await this.attachFiles(existing, files);
        }
        this.changed();
        return meta.resource;
      }
      const real = this.newInternal(meta.resource, name, size, 'seed', 'seeding');
      real.metadataBytes = meta.bytes;
      real.entry.meta = meta.decoded;
      this.shares.set(meta.resource, real);
      // The record goes first: storage without a record is swept at the next start (see sweepStorage).
      this.persist();
      await saveMetadata(meta.resource, meta.bytes);
      await this.keepHandles(real, handles);
      await this.attachFiles(real, files);
      return meta.resource;
    } catch (e) {
      this.shares.delete(placeholder);
      this.changed();
      throw e;
    }
  }

  // After a reload: reads the files of a listed share again through its stored handles, asking the
  // browser's permission if it wants it (call from a click). When they cannot be read, the row
  // says why and the person picks the files instead.
  async shareStoredFiles(resource: string): Promise<void> {
    const s = this.shares.get(resource);
    if (!s || s.entry.state !== 'needs-files' || s.readingHandles) return;
    s.readingHandles = true;
    try {
      // Handles kept in memory since the restore: the permission prompt needs the click's user
      // activation, which an IndexedDB read first could outlast.
      const handles = s.handles ?? (await loadHandles(resource));
      if (!handles) {
        s.entry.storedFiles = false;
        return;
      }
      const result = await filesFromHandles(handles, { ask: true });
      if (this.shares.get(resource) !== s) return; // removed meanwhile
      if ('files' in result) {
        await this.reshareFiles(resource, result.files, handles);
        return;
      }
      s.entry.error = describeBlocked(result.blocked);
      if (result.blocked !== 'prompt') s.entry.storedFiles = false;
    } finally {
      s.readingHandles = false;
      this.changed();
    }
  }

  // After a reload: the person picks the files of a listed share again; they are recognised by
  // their hashes (the id must come out the same).
  // `handles`: those the files were read through; without, the person picked them, and handles kept
  // from before no longer name the shared files.
  async reshareFiles(resource: string, files: File[], handles?: readonly ReadableHandle[]): Promise<void> {
    const s = this.shares.get(resource);
    if (!s || !s.entry.meta) throw new PeershareError('not_found', 'That share is not in the list.');
    if (s.entry.state !== 'needs-files') return; // already being hashed or shared
    s.entry.state = 'hashing';
    s.entry.hashProgress = 0;
    s.abort = new AbortController();
    this.changed();
    try {
      const paths = uniquePaths(files);
      const meta = await this.buildMetadata(files, paths, s.entry.meta.name, s);
      if (this.shares.get(resource) !== s) return; // removed meanwhile
      if (meta.resource !== resource) {
        s.entry.state = 'needs-files';
        s.entry.error = 'These are not the same files: their contents differ from the shared ones.';
        this.changed();
        return;
      }
      if (!handles && s.entry.storedFiles) {
        s.handles = null;
        s.entry.storedFiles = false;
        await removeHandles(resource);
      }
      await this.attachFiles(s, files);
    } catch (e) {
      if (this.shares.get(resource) !== s) return;
      s.entry.state = 'needs-files';
      s.entry.error = describeError(e);
      this.changed();
    } finally {
      s.abort = null;
    }
  }

  // --- downloading ---

  // Starts (or continues) downloading a share given its id.
  async download(resource: string): Promise<void> {
    if (!/^[0-9a-f]{64}$/.test(resource)) throw new PeershareError('bad_link', 'That is not a peershare link or id.');
    const known = this.shares.get(resource);
    if (known) {
      if (known.entry.state === 'paused') this.resume(resource);
      return;
    }
    const s = this.newInternal(resource, 'Looking up…', 0, 'download', 'looking');
    this.shares.set(resource, s);
    this.changed();
    try {
      const { bytes, lookup } = await this.fetchMetadata(resource);
      const meta = await verifyMetadata(bytes, shareId(resource));
      if (this.shares.get(resource) !== s) return; // removed while it was looked up
      s.metadataBytes = bytes;
      s.entry.meta = meta;
      s.entry.name = meta.name;
      s.entry.size = meta.totalSize;
      s.entry.pieces = meta.pieceCount;
      this.persist();
      await saveMetadata(resource, bytes);
      await this.openDownload(s);
      // Removed while its storage was opening: remove() found no store to delete yet.
      if (this.shares.get(resource) !== s) return await this.discard(s);
      // The lookup that brought the metadata lists holders; without one (the page was still
      // connecting) ask now. A welcome that arrived meanwhile found no swarm to announce yet.
      if (lookup) this.connectTo(s, lookup.peers);
      else await this.lookupAndConnect(s);
    } catch (e) {
      s.entry.state = 'failed';
      s.entry.error = describeError(e);
      this.changed();
    }
  }

  pause(resource: string): void {
    const s = this.shares.get(resource);
    if (!s || s.entry.kind !== 'download' || s.entry.state === 'seeding') return;
    s.paused = true;
    s.swarm?.setDownloading(false);
    s.entry.state = 'paused';
    this.persist();
    this.changed();
  }

  resume(resource: string): void {
    const s = this.shares.get(resource);
    if (!s || !s.paused) return;
    s.paused = false;
    s.swarm?.setDownloading(true);
    this.updateState(s);
    this.persist();
    void this.announce(s).then(() => this.lookupAndConnect(s));
    this.changed();
  }

  // Closes every connection of the share and finds peers again.
  refresh(resource: string): void {
    const s = this.shares.get(resource);
    if (!s) return;
    for (const link of [...s.links.values()]) link.close('refreshed');
    this.signaling.reconnectNow();
    if (this.signaling.state === 'open') void this.announce(s).then(() => this.lookupAndConnect(s));
  }

  // Stops sharing or downloading and forgets the share; a download's data is deleted.
  async remove(resource: string): Promise<void> {
    const s = this.shares.get(resource);
    if (!s) return;
    s.abort?.abort();
    this.shares.delete(resource);
    this.forgotten.add(resource);
    // The record goes before the data: a reload or crash part way through the deletion below must not
    // bring the share back; the next start deletes what is left (sweepStorage).
    this.persist();
    this.changed();
    await this.discard(s);
  }

  // Stops a share that is no longer listed and deletes what this page stored for it: a download's
  // piece data, the metadata, file handles.
  private async discard(s: Internal): Promise<void> {
    const resource = s.entry.resource;
    for (const link of [...s.links.values()]) link.close('removed');
    s.swarm?.destroy();
    if (this.signaling.state === 'open') this.signaling.request({ type: 'leave', resource: shareId(resource) }).catch(() => undefined);
    if (s.store) await s.store.destroy().catch(() => undefined);
    else if (s.entry.kind === 'download') await this.options.storage.removeStoredShare(resource).catch(() => undefined);
    await s.reader?.close().catch(() => undefined);
    await removeMetadata(resource);
    await removeHandles(resource);
  }

  // The share's bytes as disk-backed Blobs, one per file, for saving; no whole-file buffer.
  async files(resource: string): Promise<Array<{ path: string; blob: Blob }>> {
    const s = this.shares.get(resource);
    if (!s || !s.entry.meta) throw new PeershareError('not_found', 'That share is not in the list.');
    const source = s.store ?? s.reader;
    if (!source) throw new PeershareError('not_ready', 'The files of this share are not available.');
    const all = await source.blob();
    let offset = 0;
    return s.entry.meta.files.map((f) => {
      const blob = all.slice(offset, offset + f.size, 'application/octet-stream');
      offset += f.size;
      return { path: f.path, blob };
    });
  }

  shareLink(resource: string): string {
    return `${location.origin}/#${resource}`;
  }

  // Per-peer information for the UI: path type needs an async stats call.
  async peerPaths(resource: string): Promise<Array<{ peer: string; path: string }>> {
    const s = this.shares.get(resource);
    if (!s) return [];
    return Promise.all(
      [...s.links.values()].filter((l) => l.isOpen).map(async (l) => ({ peer: l.remote, path: await l.pathType() })),
    );
  }

  // --- internals ---

  private newInternal(resource: string, name: string, size: number, kind: ShareKind, state: EntryState): Internal {
    return {
      entry: {
        resource,
        name,
        size,
        kind,
        state,
        error: null,
        hashProgress: 0,
        meta: null,
        pieces: 0,
        havePieces: 0,
        uploaded: 0,
        downloaded: 0,
        downSpeed: 0,
        upSpeed: 0,
        peers: 0,
        relayed: 0,
        dropped: [],
        addedAt: Date.now(),
        storedFiles: false,
      },
      metadataBytes: null,
      swarm: null,
      store: null,
      reader: null,
      links: new Map(),
      lastSample: { uploaded: 0, downloaded: 0, at: Date.now() },
      abort: null,
      paused: false,
      handles: null,
      readingHandles: false,
    };
  }

  private async buildMetadata(
    files: File[],
    paths: string[],
    name: string,
    s: Internal,
  ): Promise<{ resource: string; bytes: Uint8Array; decoded: ShareMetadata }> {
    const total = files.reduce((n, f) => n + f.size, 0);
    const pieceSize = pieceSizeFor(total);
    const hashes = await hashFiles(
      files,
      pieceSize,
      (done, all) => {
        s.entry.hashProgress = all === 0 ? 1 : done / all;
        this.changed();
      },
      s.abort?.signal,
    );
    const bytes = encodeMetadata({ name, files: files.map((f, i) => ({ path: paths[i], size: f.size })), pieceHashes: hashes });
    return { resource: await resourceIdOf(bytes), bytes, decoded: decodeMetadata(bytes) };
  }

  private async attachFiles(s: Internal, files: File[]): Promise<void> {
    const meta = s.entry.meta!;
    s.reader = new FileSource(files, s.entry.resource);
    s.entry.pieces = meta.pieceCount;
    s.entry.havePieces = meta.pieceCount;
    s.entry.error = null;
    s.swarm = this.makeSwarm(s, Bitfield.full(meta.pieceCount), s.reader, null);
    s.entry.state = 'seeding';
    this.changed();
    await this.announce(s);
  }

  private async openDownload(s: Internal): Promise<void> {
    const meta = s.entry.meta!;
    const store = await this.options.storage.open(s.entry.resource, meta.totalSize);
    s.store = store;
    const saved = await store.loadHave();
    let have = new Bitfield(meta.pieceCount);
    if (saved) {
      try {
        have = Bitfield.fromBytes(meta.pieceCount, saved);
      } catch {
        have = new Bitfield(meta.pieceCount);
      }
    }
    s.entry.pieces = meta.pieceCount;
    s.entry.havePieces = have.count();
    s.swarm = this.makeSwarm(s, have, store, store);
    if (s.paused) s.swarm.setDownloading(false);
    this.updateState(s);
    this.changed();
    if (this.signaling.state === 'open') await this.announce(s);
  }

  private makeSwarm(s: Internal, have: Bitfield, source: PieceReader, sink: PieceStore | null): Swarm {
    const swarm = new Swarm({
      resource: shareId(s.entry.resource),
      meta: s.entry.meta!,
      have,
      source,
      sink: sink ?? undefined,
      uploadCap: this.options.uploadCapBytesPerSecond,
      corruptUploads: this.options.corruptUploads,
    });
    swarm.on('piece', () => {
      s.entry.havePieces = swarm.have.count();
      this.changed();
    });
    swarm.on('complete', () => {
      this.updateState(s);
      void this.announce(s);
      this.changed();
    });
    swarm.on('dropped', ({ peer, reason }) => {
      console.info(`peershare: dropped peer ${peer.slice(0, 8)} for ${s.entry.resource.slice(0, 8)}: ${reason}`);
      s.entry.dropped = [...s.entry.dropped.slice(-19), reason];
      s.links.get(peer)?.close(reason);
    });
    swarm.on('removed', () => {
      s.entry.peers = swarm.peerCount;
      this.changed();
    });
    swarm.on('error', (e) => {
      s.entry.error = describeError(e);
      if (e instanceof StorageError) this.pause(s.entry.resource);
      this.changed();
    });
    return swarm;
  }

  private updateState(s: Internal): void {
    if (s.entry.kind === 'seed') return;
    if (s.swarm?.isComplete) s.entry.state = 'seeding';
    else if (s.paused) s.entry.state = 'paused';
    else if (s.swarm && s.swarm.peerCount > 0) s.entry.state = 'downloading';
    else s.entry.state = 'waiting';
  }

  private async restore(record: ShareRecord): Promise<void> {
    const bytes = await loadMetadata(record.resource);
    if (!bytes) return;
    const meta = decodeMetadata(bytes);
    const s = this.newInternal(record.resource, meta.name, meta.totalSize, record.kind, 'needs-files');
    s.entry.addedAt = record.addedAt;
    s.entry.meta = meta;
    s.entry.pieces = meta.pieceCount;
    s.metadataBytes = bytes;
    s.paused = record.state === 'paused';
    this.shares.set(record.resource, s);
    if (record.kind === 'download') await this.openDownload(s);
    else await this.restoreFromHandles(s);
  }

  // A share from disk with stored handles is shared again at once when the browser still lets us
  // read its files (hashed again first: they may have changed); otherwise it waits for a click.
  private async restoreFromHandles(s: Internal): Promise<void> {
    const handles = await loadHandles(s.entry.resource);
    if (!handles) return;
    const result = await filesFromHandles(handles, { ask: false });
    if ('files' in result || result.blocked === 'prompt') {
      s.handles = handles;
      s.entry.storedFiles = true;
    } else {
      s.entry.error = describeBlocked(result.blocked);
    }
    if ('files' in result) void this.reshareFiles(s.entry.resource, result.files, handles);
  }

  // Stores the handles of a share's files, if the browser gave them.
  private async keepHandles(s: Internal, handles: readonly ReadableHandle[] | undefined): Promise<void> {
    if (!handles || handles.length === 0) return;
    try {
      await saveHandles(s.entry.resource, handles);
      s.handles = [...handles];
      s.entry.storedFiles = true;
    } catch (e) {
      console.warn('peershare: cannot keep the file handles of', s.entry.resource, e);
    }
  }

  // Writes this page's shares into the library. Records this page does not hold are kept unless it
  // removed them: those of another tab, and those not restored yet while the page starts.
  private persist(): void {
    const records: ShareRecord[] = loadRecords().filter((r) => !this.shares.has(r.resource) && !this.forgotten.has(r.resource));
    for (const s of this.shares.values()) {
      if (!s.entry.meta) continue;
      records.push({
        resource: s.entry.resource,
        name: s.entry.name,
        size: s.entry.size,
        kind: s.entry.kind,
        state: s.paused ? 'paused' : 'active',
        addedAt: s.entry.addedAt,
      });
    }
    saveRecords(records);
  }

  private async fetchMetadata(resource: string): Promise<{ bytes: Uint8Array; lookup: LookupResult | null }> {
    let lookup: LookupResult | null = null;
    if (this.signaling.state === 'open') {
      lookup = await this.signaling.request({ type: 'lookup', resource: shareId(resource) });
      if (lookup.metadata) return { bytes: lookup.metadata, lookup };
    }
    const response = await fetch(`${this.options.apiBase ?? ''}/api/resources/${resource}/metadata`);
    if (response.status === 404) throw new ApiError('not_found', 404, 'no such share');
    if (!response.ok) throw new ApiError('http_failed', response.status, `the server answered ${response.status}`);
    return { bytes: new Uint8Array(await response.arrayBuffer()), lookup };
  }

  private async uploadMetadata(s: Internal): Promise<void> {
    const response = await fetch(`${this.options.apiBase ?? ''}/api/resources/${s.entry.resource}/metadata`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: s.metadataBytes as Uint8Array<ArrayBuffer>,
    });
    if (!response.ok) throw new ApiError('http_failed', response.status, `the server refused the metadata (${response.status})`);
  }

  // Joins the share's swarm on the server (uploading the metadata first when the server lacks it).
  private async announce(s: Internal): Promise<void> {
    if (!s.swarm || this.signaling.state !== 'open') return;
    const message = { type: 'announce' as const, resource: shareId(s.entry.resource), complete: s.swarm.isComplete };
    try {
      await this.signaling.request(message);
    } catch (e) {
      if (e instanceof SignalingError && e.code === 'metadata_required' && s.metadataBytes) {
        try {
          await this.uploadMetadata(s);
          await this.signaling.request(message);
        } catch (e2) {
          s.entry.error = describeError(e2);
        }
      } else if (!(e instanceof SignalingError && e.code === 'disconnected')) {
        s.entry.error = describeError(e);
      }
    }
    this.changed();
  }

  private async lookupAndConnect(s: Internal): Promise<void> {
    if (!s.swarm || s.swarm.isComplete || s.paused || this.signaling.state !== 'open') return;
    try {
      const result = await this.signaling.request({ type: 'lookup', resource: shareId(s.entry.resource) });
      this.connectTo(s, result.peers);
      if (result.peers.length === 0 && s.links.size === 0) s.entry.state = 'waiting';
    } catch (e) {
      if (!(e instanceof SignalingError && e.code === 'disconnected')) s.entry.error = describeError(e);
    }
    this.changed();
  }

  private async onWelcome(): Promise<void> {
    for (const s of this.shares.values()) {
      await this.announce(s);
      await this.lookupAndConnect(s);
    }
  }

  // Opens links to peers that may have pieces we miss, complete holders first.
  private connectTo(s: Internal, peers: ReadonlyArray<{ peer: string; complete: boolean }>): void {
    if (!s.swarm || s.swarm.isComplete || s.paused || s.entry.kind !== 'download') return;
    const self = this.signaling.peerId;
    const ordered = [...peers].sort((a, b) => Number(b.complete) - Number(a.complete));
    for (const { peer } of ordered) {
      if (peer === self || s.links.has(peer)) continue;
      if (this.outgoing(s) >= MAX_PEERS_PER_SHARE) break;
      const link = this.createLink(s, peer, true);
      void link.start();
    }
  }

  private outgoing(s: Internal): number {
    let n = 0;
    for (const l of s.links.values()) if (l.initiator) n++;
    return n;
  }

  private createLink(s: Internal, peer: string, initiator: boolean, linkId?: string): PeerLink {
    const resource = s.entry.resource;
    const link = new PeerLink({
      resource: shareId(resource),
      remote: peerId(peer),
      initiator,
      linkId,
      iceServers: this.signaling.iceServers as RTCIceServer[],
      iceTransportPolicy: this.options.iceTransportPolicy ?? this.signaling.iceTransportPolicy,
      sendSignal: (kind: SignalKind, data: unknown) => {
        void this.signaling.signal({ resource: shareId(resource), to: peerId(peer), kind, data });
      },
    });
    s.links.set(peer, link);
    const created = Date.now();
    const tag = `${initiator ? 'to' : 'from'} peer ${peer.slice(0, 8)} for ${resource.slice(0, 8)}`;
    link.on('open', () => {
      console.info(`peershare: connection ${tag} open after ${Date.now() - created} ms`);
      if (s.entry.error === NO_PATH_DIRECT || s.entry.error === NO_PATH_RELAY) s.entry.error = null;
      s.swarm?.addPeer(peerId(peer), link);
      s.entry.peers = s.swarm?.peerCount ?? 0;
      this.updateState(s);
      this.changed();
    });
    // The swarm knows the peer by id; a replaced link's late messages and close must not reach
    // the state of the link that replaced it.
    link.on('message', (m) => s.swarm?.receive(peerId(peer), m, link));
    link.on('closed', ({ reason }) => {
      console.info(`peershare: connection ${tag} closed after ${Date.now() - created} ms: ${reason}`);
      if (s.links.get(peer) === link) s.links.delete(peer);
      if (!link.opened && initiator && ![...s.links.values()].some((l) => l.isOpen)) {
        // Nobody reachable: say why in words, instead of waiting silently.
        const relay = this.signaling.iceServers.some((server) =>
          [server.urls].flat().some((u) => u.startsWith('turn:') || u.startsWith('turns:')),
        );
        s.entry.error = relay ? NO_PATH_RELAY : NO_PATH_DIRECT;
        console.info(`peershare: no path to peer ${peer.slice(0, 8)}: ${reason}`);
      }
      s.swarm?.removePeer(peerId(peer), link);
      s.entry.peers = s.swarm?.peerCount ?? 0;
      this.updateState(s);
      this.changed();
      // Lost a source: look for others (the swarm already gave its pieces to the remaining peers).
      if (initiator && link.opened && this.shares.get(resource) === s && !s.swarm?.isComplete) void this.lookupAndConnect(s);
    });
    return link;
  }

  private async onSignal(m: SignalMessage): Promise<void> {
    const s = this.shares.get(m.resource);
    if (!s || !s.swarm) return;
    let link = s.links.get(m.from);
    const signalLink = linkIdOf(m.data);
    if (m.kind === 'offer') {
      const action = offerAction(link, signalLink, this.signaling.peerId ?? '', m.from);
      if (action === 'ignore') return;
      if (action === 'replace-existing') {
        link!.close(link!.initiator ? 'crossed offers, or the peer started over' : 'the peer started a new connection');
        link = undefined;
      }
      if (!link || link.isClosed) {
        let incoming = 0;
        for (const l of s.links.values()) if (!l.initiator && !l.isClosed) incoming++;
        if (incoming >= MAX_INCOMING_PER_SHARE) return;
        link = this.createLink(s, m.from, false, signalLink);
      }
    } else if (link && signalLink !== undefined && signalLink !== link.linkId) {
      return; // an answer or candidate of a link that was replaced
    }
    if (link) await link.handleSignal(m.kind, m.data);
  }

  private sampleSpeeds(): void {
    const now = Date.now();
    let any = false;
    for (const s of this.shares.values()) {
      const swarm = s.swarm;
      if (!swarm) continue;
      const dt = (now - s.lastSample.at) / 1000;
      if (dt <= 0) continue;
      const down = (swarm.downloadedTotal - s.lastSample.downloaded) / dt;
      const up = (swarm.uploadedTotal - s.lastSample.uploaded) / dt;
      s.entry.downSpeed = s.entry.downSpeed * (1 - SPEED_SMOOTHING) + down * SPEED_SMOOTHING;
      s.entry.upSpeed = s.entry.upSpeed * (1 - SPEED_SMOOTHING) + up * SPEED_SMOOTHING;
      if (down === 0 && s.entry.downSpeed < 1) s.entry.downSpeed = 0;
      if (up === 0 && s.entry.upSpeed < 1) s.entry.upSpeed = 0;
      s.entry.downloaded = swarm.downloadedTotal;
      s.entry.uploaded = swarm.uploadedTotal;
      void this.updatePaths(s);
      s.lastSample = { uploaded: swarm.uploadedTotal, downloaded: swarm.downloadedTotal, at: now };
      any = true;
    }
    if (any) this.changed();
  }

  private async updatePaths(s: Internal): Promise<void> {
    const open = [...s.links.values()].filter((l) => l.isOpen);
    const paths = await Promise.all(open.map((l) => l.pathType()));
    const relayed = paths.filter((p) => p === 'relay').length;
    if (relayed !== s.entry.relayed) {
      s.entry.relayed = relayed;
      this.changed();
    }
  }

  private changed(): void {
    this.emit('change', undefined);
  }
}
