// One share while the page has it: a download (its metadata fetched and checked, its storage
// opened, its pieces fetched) or a share from disk (its files read in place, hashed again when
// picked again), its swarm and its links, announcing it, pausing, resuming, refreshing, removing,
// saving. Every change of what the page shows goes through transition() (share-state.ts); the
// page gets the frozen states, never this object's insides.
import { Bitfield } from '../engine/bitfield';
import { Emitter } from '../engine/emitter';
import { SignalingError, StorageError } from '../engine/errors';
import type { PeerId, ShareId } from '../engine/ids';
import type { ShareMetadata } from '../engine/metadata';
import { Swarm } from '../engine/swarm';
import type { LookupPeer, SignalPush } from '../net/messages';
import type { PathType } from '../net/peer-link';
import type { SignalingPort } from '../net/signaling-client';
import { FileSource } from '../storage/file-source';
import type { PieceReader, PieceStorage, PieceStore } from '../storage/piece-store';
import { filesFromHandles, type ReadableHandle } from './file-handles';
import { LinkManager, type LinkFactory } from './link-manager';
import type { MetadataClient } from './metadata-client';
import { problemOf } from './problems';
import { buildShare, type Hasher } from './share-builder';
import type { ShareLibrary } from './share-library';
import { initialState, transition, type ShareEvent, type ShareState } from './share-state';
import { nextSpeed } from './speed';

export interface SessionDeps {
  readonly signaling: SignalingPort;
  readonly metadata: MetadataClient;
  readonly library: ShareLibrary;
  readonly storage: PieceStorage;
  readonly links: LinkFactory;
  readonly hash: Hasher;
  // Upload limit per peer in bytes per second, read at every send; null for none.
  readonly uploadCap?: () => number | null;
  // Test-only: corrupt every block this page uploads (never set by the UI).
  readonly corruptUploads?: boolean;
  readonly now?: () => number;
}

export interface SessionEvents {
  change: ShareState;
}

export interface Transferred {
  readonly downloaded: number;
  readonly uploaded: number;
  readonly firstDataAt: number | null;
  readonly completedAt: number | null;
}

const short = (id: string) => id.slice(0, 8);

export class ShareSession extends Emitter<SessionEvents> {
  private current: ShareState;
  private swarm: Swarm | null = null;
  private links: LinkManager | null = null;
  private store: PieceStore | null = null;
  private reader: PieceReader | null = null;
  // Handles to a share's files from disk, when kept, and whether a click on "Share again" is
  // being handled (a second click does nothing meanwhile).
  private handles: readonly ReadableHandle[] | null = null;
  private readingHandles = false;
  private hashing: AbortController | null = null;
  private lastSample: { uploaded: number; downloaded: number; at: number };
  // Set once: the page stopped (its storage is kept) or the share was removed (it is deleted,
  // once `unlisted` has settled).
  private ended: 'stopped' | 'removed' | null = null;
  private unlisted: Promise<void> = Promise.resolve();

  private constructor(
    private readonly deps: SessionDeps,
    readonly resource: ShareId,
    initial: ShareState,
    private meta: ShareMetadata | null,
    private metadataBytes: Uint8Array | null,
  ) {
    super();
    this.current = initial;
    this.lastSample = { uploaded: 0, downloaded: 0, at: this.now() };
  }

  // A download of a link: its metadata is still to be fetched.
  static download(deps: SessionDeps, resource: ShareId, addedAt: number): ShareSession {
    // Named by its id until its metadata gives the name.
    const state = initialState({ key: resource, resource, kind: 'download', state: 'looking', name: `Link ${resource.slice(0, 8)}…`, size: 0, addedAt });
    return new ShareSession(deps, resource, state, null, null);
  }

  // A share listed before a reload (or just hashed: `state` 'hashing'), whose metadata is known.
  static known(
    deps: SessionDeps,
    share: { resource: ShareId; meta: ShareMetadata; bytes: Uint8Array; kind: 'seed' | 'download'; addedAt: number; paused?: boolean },
    state: 'looking' | 'needs-files' | 'hashing',
  ): ShareSession {
    const { resource, meta, kind, addedAt, paused } = share;
    const initial = initialState({ key: resource, resource, kind, state, name: meta.name, size: meta.totalSize, pieces: meta.pieceCount, addedAt, paused });
    const session = new ShareSession(deps, resource, initial, meta, share.bytes);
    if (state === 'hashing') session.dispatch({ type: 'hash-progress', fraction: 1 });
    return session;
  }

  get state(): ShareState {
    return this.current;
  }

  // --- downloads ---

  // Fetches and checks the metadata, lists the share, opens its storage and connects to holders.
  async begin(): Promise<void> {
    try {
      const { bytes, meta, peers } = await this.deps.metadata.fetch(this.resource);
      if (this.ended) return;
      this.meta = meta;
      this.metadataBytes = bytes;
      this.dispatch({ type: 'metadata', name: meta.name, size: meta.totalSize, pieces: meta.pieceCount });
      // The record goes first: storage without a record is swept at the next start.
      await this.persist();
      await this.deps.library.saveMetadata(this.resource, bytes);
      if (await this.endedMeanwhile()) return;
      await this.openStorage();
      if (this.ended) return;
      // The lookup that brought the metadata lists holders; without one (the page was still
      // connecting) ask now. A welcome that arrived meanwhile found no swarm to announce yet.
      if (peers) this.connect(peers);
      else await this.lookupAndConnect();
    } catch (e) {
      if (!this.ended) this.dispatch({ type: 'failed', problem: problemOf(e) });
    }
  }

  // A download listed before a reload: its storage (and what it holds) is opened again.
  async restore(): Promise<void> {
    try {
      await this.openStorage();
    } catch (e) {
      if (!this.ended) this.dispatch({ type: 'failed', problem: problemOf(e) });
    }
  }

  pause(): void {
    const s = this.current;
    if (s.kind !== 'download' || s.state === 'seeding' || s.state === 'failed' || s.paused) return;
    this.dispatch({ type: 'paused' });
    this.swarm?.setDownloading(false);
    void this.persist();
  }

  resume(): void {
    if (!this.current.paused) return;
    this.dispatch({ type: 'resumed' });
    this.swarm?.setDownloading(true);
    void this.persist();
    void this.announce().then(() => this.lookupAndConnect());
  }

  // Closes every connection of the share and finds peers again; a download that failed to start
  // starts over.
  refresh(): void {
    if (this.current.state === 'failed') {
      this.dispatch({ type: 'retry' });
      void (this.meta ? this.restore() : this.begin());
      return;
    }
    this.links?.closeAll('refreshed');
    if (this.deps.signaling.state === 'open') void this.announce().then(() => this.lookupAndConnect());
  }

  private async openStorage(): Promise<void> {
    const meta = this.meta!;
    await this.store?.close().catch(() => undefined); // a retry after the resume state could not be read
    const store = await this.deps.storage.open(this.resource, meta.totalSize);
    this.store = store;
    if (await this.endedMeanwhile()) return;
    const saved = await store.loadHave();
    let have = new Bitfield(meta.pieceCount);
    if (saved) {
      try {
        have = Bitfield.fromBytes(meta.pieceCount, saved);
      } catch {
        have = new Bitfield(meta.pieceCount);
      }
    }
    this.startSwarm(have, store, store);
    if (this.current.paused) this.swarm!.setDownloading(false);
    this.dispatch({ type: 'storage-opened', havePieces: have.count(), complete: have.isComplete() });
    if (this.deps.signaling.state === 'open') await this.announce();
  }

  // --- shares from disk ---

  // Seeds the share from files picked (or read through kept handles) whose hashes gave its id.
  async attachFiles(files: readonly File[]): Promise<void> {
    if (this.ended) return;
    this.reader = new FileSource(files, this.resource);
    this.startSwarm(Bitfield.full(this.meta!.pieceCount), this.reader, null);
    this.dispatch({ type: 'files-attached' });
    await this.announce();
  }

  // After a reload: the files picked again are hashed, and shared when the id comes out the same.
  // `handles`: those the files were read through; without, the person picked them, and handles kept
  // from before no longer name the shared files.
  async reshare(files: readonly File[], handles?: readonly ReadableHandle[]): Promise<void> {
    if (this.current.state !== 'needs-files') return; // already being hashed or shared
    this.dispatch({ type: 'hashing-started' });
    this.hashing = new AbortController();
    try {
      const built = await buildShare(files, this.meta!.name, this.deps.hash, (fraction) => this.dispatch({ type: 'hash-progress', fraction }), this.hashing.signal);
      if (this.ended) return;
      if (built.resource !== this.resource) {
        this.dispatch({ type: 'files-refused', problem: { kind: 'files-differ' } });
        return;
      }
      if (!handles && this.current.storedFiles) {
        this.handles = null;
        this.dispatch({ type: 'stored-files', kept: false });
        await this.deps.library.removeHandles(this.resource);
      }
      await this.attachFiles(files);
    } catch (e) {
      if (!this.ended) this.dispatch({ type: 'files-refused', problem: problemOf(e) });
    } finally {
      this.hashing = null;
    }
  }

  // After a reload: a share from disk with kept handles is shared again at once when the browser
  // still lets the page read its files (hashed again first: they may have changed); otherwise it
  // waits for a click.
  async restoreFromHandles(): Promise<void> {
    const handles = await this.deps.library.loadHandles(this.resource);
    if (!handles || this.ended) return;
    const result = await filesFromHandles(handles, { ask: false });
    if ('files' in result || result.blocked === 'prompt') {
      this.handles = handles;
      this.dispatch({ type: 'stored-files', kept: true });
    } else {
      this.dispatch({ type: 'problem', problem: { kind: 'files-blocked', reason: result.blocked } });
    }
    if ('files' in result) void this.reshare(result.files, handles);
  }

  // After a reload, from a click: reads the files again through the kept handles, asking the
  // browser's permission if it wants it. When they cannot be read, the state says why.
  async shareStoredFiles(): Promise<void> {
    if (this.current.state !== 'needs-files' || this.readingHandles) return;
    this.readingHandles = true;
    try {
      // Handles kept in memory since the restore: the permission prompt needs the click's user
      // activation, which an IndexedDB read first could outlast.
      const handles = this.handles ?? (await this.deps.library.loadHandles(this.resource));
      if (!handles) {
        this.dispatch({ type: 'stored-files', kept: false });
        return;
      }
      const result = await filesFromHandles(handles, { ask: true });
      if (this.ended) return;
      if ('files' in result) {
        await this.reshare(result.files, handles);
        return;
      }
      this.dispatch({ type: 'problem', problem: { kind: 'files-blocked', reason: result.blocked } });
      if (result.blocked !== 'prompt') this.dispatch({ type: 'stored-files', kept: false });
    } finally {
      this.readingHandles = false;
    }
  }

  // Keeps the handles of the share's files, where the browser gave them.
  async keepHandles(handles: readonly ReadableHandle[] | undefined): Promise<void> {
    if (!handles || handles.length === 0) return;
    try {
      await this.deps.library.saveHandles(this.resource, handles);
      this.handles = [...handles];
      this.dispatch({ type: 'stored-files', kept: true });
    } catch (e) {
      console.warn('peershare: cannot keep the file handles of', this.resource, e);
    }
  }

  // --- the server ---

  async onWelcome(): Promise<void> {
    await this.announce();
    await this.lookupAndConnect();
  }

  onPeerJoined(peer: PeerId, complete: boolean): void {
    this.connect([{ peer, complete }]);
  }

  onPeerLeft(peer: PeerId): void {
    this.links?.peerLeft(peer);
  }

  onSignal(m: SignalPush): Promise<void> {
    return this.links?.onSignal(m.from, m.kind, m.data) ?? Promise.resolve();
  }

  // Joins the share's swarm on the server (uploading the metadata first when the server lacks it).
  async announce(): Promise<void> {
    if (!this.swarm || this.ended || this.deps.signaling.state !== 'open') return;
    try {
      await this.deps.metadata.announce(this.resource, this.swarm.isComplete, this.metadataBytes);
      this.dispatch({ type: 'announced' });
    } catch (e) {
      if (!this.ended && !(e instanceof SignalingError && e.code === 'disconnected')) this.dispatch({ type: 'problem', problem: problemOf(e) });
    }
  }

  private async lookupAndConnect(): Promise<void> {
    if (!this.wantsPeers() || this.deps.signaling.state !== 'open') return;
    try {
      this.connect((await this.deps.metadata.lookup(this.resource)).peers);
    } catch (e) {
      if (!this.ended && !(e instanceof SignalingError && e.code === 'disconnected')) this.dispatch({ type: 'problem', problem: problemOf(e) });
    }
  }

  // Whether the share looks for holders: a download with pieces missing, not paused.
  private wantsPeers(): boolean {
    return !!this.swarm && !this.swarm.isComplete && !this.current.paused && this.current.kind === 'download' && !this.ended;
  }

  private connect(peers: readonly LookupPeer[]): void {
    if (this.wantsPeers()) this.links!.connect(peers);
  }

  // --- the swarm and its links ---

  private startSwarm(have: Bitfield, source: PieceReader, sink: PieceStore | null): void {
    const swarm = new Swarm({
      resource: this.resource,
      meta: this.meta!,
      have,
      source,
      sink: sink ?? undefined,
      uploadCap: this.deps.uploadCap,
      corruptUploads: this.deps.corruptUploads,
      now: this.deps.now,
    });
    const links = new LinkManager({ resource: this.resource, factory: this.deps.links, signaling: this.deps.signaling, peers: swarm });
    this.swarm = swarm;
    this.links = links;
    const counts = () => this.dispatch({ type: 'links', peers: swarm.peerCount, connecting: links.connectingCount });
    swarm.on('piece', () => this.dispatch({ type: 'piece-stored', havePieces: swarm.have.count() }));
    swarm.on('complete', () => {
      this.dispatch({ type: 'completed' });
      void this.announce();
    });
    swarm.on('dropped', ({ peer, reason }) => {
      console.info(`peershare: dropped peer ${short(peer)} for ${short(this.resource)}: ${reason}`);
      this.dispatch({ type: 'peer-dropped', reason });
      links.drop(peer, reason);
    });
    swarm.on('removed', counts);
    swarm.on('error', (e) => {
      this.dispatch({ type: 'problem', problem: problemOf(e) });
      if (e instanceof StorageError) this.pause();
    });
    links.on('changed', counts);
    links.on('problem', (problem) => this.dispatch({ type: 'link-problem', problem }));
    // Lost a source: look for others (the swarm already gave its pieces to the remaining peers).
    links.on('source-lost', () => void this.lookupAndConnect());
  }

  // --- what the page reads ---

  // Samples the transfer speeds and relayed paths (called every SPEED_SAMPLE_MS).
  async sample(): Promise<void> {
    const swarm = this.swarm;
    if (!swarm) return;
    const now = this.now();
    const seconds = (now - this.lastSample.at) / 1000;
    if (seconds <= 0) return;
    const { downloadedTotal: downloaded, uploadedTotal: uploaded } = swarm;
    this.dispatch({
      type: 'sampled',
      downloaded,
      uploaded,
      downSpeed: nextSpeed(this.current.downSpeed, downloaded - this.lastSample.downloaded, seconds),
      upSpeed: nextSpeed(this.current.upSpeed, uploaded - this.lastSample.uploaded, seconds),
    });
    this.lastSample = { uploaded, downloaded, at: now };
    const relayed = await this.links!.relayedCount();
    if (!this.ended) this.dispatch({ type: 'relayed', count: relayed });
  }

  // Bytes moved in this page's life, exact (the state's figures are sampled).
  transferred(): Transferred {
    const swarm = this.swarm;
    return {
      downloaded: swarm?.downloadedTotal ?? 0,
      uploaded: swarm?.uploadedTotal ?? 0,
      firstDataAt: swarm?.firstDataAt ?? null,
      completedAt: swarm?.completedAt ?? null,
    };
  }

  paths(): Promise<Array<{ peer: PeerId; path: PathType }>> {
    return this.links?.paths() ?? Promise.resolve([]);
  }

  // The share's bytes as disk-backed Blobs, one per file, for saving; no whole-file buffer. Null
  // while they are not available (the files of a share from disk are not picked again yet).
  async files(): Promise<Array<{ path: string; blob: Blob }> | null> {
    const source = this.store ?? this.reader;
    if (!source || !this.meta) return null;
    const all = await source.blob();
    let offset = 0;
    return this.meta.files.map((f) => {
      const blob = all.slice(offset, offset + f.size, 'application/octet-stream');
      offset += f.size;
      return { path: f.path, blob };
    });
  }

  // --- persistence and ending ---

  // Writes the share's record (kind, paused or not) into the library.
  persist(): Promise<void> {
    const s = this.current;
    return this.deps.library.put({ resource: this.resource, name: s.name, size: s.size, kind: s.kind, state: s.paused ? 'paused' : 'active', addedAt: s.addedAt });
  }

  // Disconnects everything; what is stored stays (the page goes away; tests).
  stop(): void {
    if (this.ended) return;
    this.ended = 'stopped';
    this.end('stopped');
  }

  // Stops the share for good and deletes what the page stored for it (a download's piece data,
  // the metadata, file handles) once `unlisted`, the library forgetting it, has settled: a reload
  // part way through the deletion must not bring the share back.
  async discard(unlisted: Promise<void>): Promise<void> {
    if (this.ended === 'removed') return;
    this.ended = 'removed';
    this.unlisted = unlisted.catch(() => undefined);
    this.end('removed');
    if (this.deps.signaling.state === 'open') this.deps.signaling.request({ type: 'leave', resource: this.resource }).catch(() => undefined);
    await this.deleteData();
  }

  private end(reason: string): void {
    this.hashing?.abort();
    this.links?.stop(reason);
    this.swarm?.destroy();
  }

  // Deletes what is stored; again after something was stored meanwhile (the storage opening).
  private async deleteData(): Promise<void> {
    await this.unlisted;
    if (this.store) await this.store.destroy().catch(() => undefined);
    else if (this.current.kind === 'download') await this.deps.storage.removeStoredShare(this.resource).catch(() => undefined);
    await this.reader?.close().catch(() => undefined);
    await this.deps.library.discard(this.resource);
  }

  // After an await: whether the share was removed meanwhile, deleting what was stored since.
  private async endedMeanwhile(): Promise<boolean> {
    if (this.ended === 'removed') await this.deleteData();
    else if (this.ended === 'stopped') await this.store?.close().catch(() => undefined);
    return this.ended !== null;
  }

  private dispatch(event: ShareEvent): void {
    const next = transition(this.current, event);
    if (next === this.current) return;
    this.current = next;
    this.emit('change', next);
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}
