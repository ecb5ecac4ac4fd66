// The peershare client as the page, the end-to-end tests and the benchmarks use it: the list of
// shares and every action on them. It holds one ShareSession per share (share-session.ts), routes
// what the server sends to the session it concerns, restores the shares of earlier visits from
// the share library, samples speeds, and emits 'change' when something the page shows changed.
// What it hands out are frozen snapshots (share-state.ts), never a session's insides.
import { Emitter } from '../engine/emitter';
import { PeershareError, type SignalingErrorCode } from '../engine/errors';
import { isShareId, type PeerId, type ShareId } from '../engine/ids';
import { decodeMetadata } from '../engine/metadata';
import type { Signaling } from '../net/signaling-client';
import type { PieceStorage } from '../storage/piece-store';
import type { ReadableHandle } from './file-handles';
import type { LinkFactory } from './link-manager';
import { MetadataClient } from './metadata-client';
import { shareName } from './naming';
import { buildShare, type Hasher } from './share-builder';
import type { ShareLibrary, ShareRecord } from './share-library';
import { ShareSession, type SessionDeps, type Transferred } from './share-session';
import { initialState, transition, type ShareState } from './share-state';
import { SPEED_SAMPLE_MS } from './speed';

export type { ShareState as ShareEntry } from './share-state';

export interface ClientOptions {
  readonly signaling: Signaling;
  readonly storage: PieceStorage;
  readonly library: ShareLibrary;
  readonly links: LinkFactory;
  readonly hash: Hasher;
  readonly fetch: typeof fetch;
  // Origin of the HTTP API; '' for the page's own.
  readonly apiBase?: string;
  // Origin the share links name; the page's own by default.
  readonly linkOrigin?: string;
  readonly uploadCapBytesPerSecond?: () => number | null;
  readonly corruptUploads?: boolean;
  readonly now?: () => number;
}

export interface ClientEvents {
  change: void;
}

// A server error that answered no message of ours, shown once per kind and connection.
export interface ServerNotice {
  readonly code: SignalingErrorCode;
  readonly at: number;
}

// A share being hashed has no id yet: it is listed under a made-up key until its id is known.
interface Hashing {
  state: ShareState;
  readonly abort: AbortController;
}

export class PeershareClient extends Emitter<ClientEvents> {
  private readonly sessions = new Map<ShareId, ShareSession>();
  private readonly hashing = new Map<string, Hashing>();
  private readonly deps: SessionDeps;
  private readonly signaling: Signaling;
  private speedTimer: ReturnType<typeof setInterval> | null = null;
  private serverNotice: ServerNotice | null = null;
  private readonly noticed = new Set<SignalingErrorCode>();

  constructor(private readonly options: ClientOptions) {
    super();
    this.signaling = options.signaling;
    this.deps = {
      signaling: options.signaling,
      metadata: new MetadataClient({ signaling: options.signaling, fetch: options.fetch, apiBase: options.apiBase ?? '' }),
      library: options.library,
      storage: options.storage,
      links: options.links,
      hash: options.hash,
      uploadCap: options.uploadCapBytesPerSecond,
      corruptUploads: options.corruptUploads,
      now: options.now,
    };
    const signaling = this.signaling;
    signaling.on('welcome', () => {
      this.noticed.clear();
      void this.onWelcome();
    });
    signaling.on('signal', (m) => void this.sessions.get(m.resource)?.onSignal(m));
    signaling.on('peer_joined', (m) => this.sessions.get(m.resource)?.onPeerJoined(m.peer, m.complete));
    signaling.on('peer_left', (m) => this.sessions.get(m.resource)?.onPeerLeft(m.peer));
    signaling.on('state', () => this.changed());
    signaling.on('error', (e) => {
      // Once per kind: a flood of refusals is one notice, not one per message.
      if (this.noticed.has(e.code)) return;
      this.noticed.add(e.code);
      console.info(`peershare: the server sent an error that answers no request: ${e.code}: ${e.message}`);
      this.serverNotice = Object.freeze({ code: e.code, at: this.now() });
      this.changed();
    });
  }

  get connection(): 'connecting' | 'open' | 'closed' {
    return this.signaling.state;
  }

  // The newest server error that answered no request of this page (see ServerNotice).
  get notice(): ServerNotice | null {
    return this.serverNotice;
  }

  entries(): ShareState[] {
    return [...[...this.hashing.values()].map((h) => h.state), ...[...this.sessions.values()].map((s) => s.state)].sort((a, b) => b.addedAt - a.addedAt);
  }

  entry(resource: string): ShareState | undefined {
    return this.session(resource)?.state ?? this.hashing.get(resource)?.state;
  }

  // Bytes moved for a share in this page's life, exact (the entries' figures are sampled).
  transferred(resource: string): Transferred {
    return this.session(resource)?.transferred() ?? { downloaded: 0, uploaded: 0, firstDataAt: null, completedAt: null };
  }

  // The open connections of a share and whether each goes through a TURN relay.
  async peerPaths(resource: string): Promise<Array<{ peer: PeerId; path: string }>> {
    return (await this.session(resource)?.paths()) ?? [];
  }

  // Restores the shares of earlier visits and connects to the server.
  async start(): Promise<void> {
    await this.options.library.sweep(() => this.sessions.keys());
    for (const record of await this.options.library.records()) {
      try {
        await this.restore(record);
      } catch (e) {
        console.warn('peershare: cannot restore', record.resource, e);
      }
    }
    this.speedTimer = setInterval(() => void this.sample(), SPEED_SAMPLE_MS);
    this.signaling.start();
    this.changed();
  }

  // Disconnects everything (a page going away; tests); what is stored stays.
  stop(): void {
    if (this.speedTimer) clearInterval(this.speedTimer);
    this.speedTimer = null;
    for (const h of this.hashing.values()) h.abort.abort();
    for (const s of this.sessions.values()) s.stop();
    this.signaling.stop();
  }

  // --- sharing ---

  // Hashes the files (in a worker, with progress), publishes the metadata, and starts seeding.
  // `handles`, where the browser gave them (same order as `files`), are kept for after a reload.
  async shareFiles(files: File[], handles?: readonly ReadableHandle[]): Promise<ShareId> {
    if (files.length === 0) throw new PeershareError('no_files', 'Pick at least one file.');
    const name = shareName(files);
    const key = `hashing-${this.now()}-${Math.random().toString(16).slice(2)}`;
    const size = files.reduce((n, f) => n + f.size, 0);
    const pending: Hashing = {
      state: initialState({ key, resource: null, kind: 'seed', state: 'hashing', name, size, addedAt: this.now() }),
      abort: new AbortController(),
    };
    this.hashing.set(key, pending);
    this.changed();
    try {
      const built = await buildShare(
        files,
        name,
        this.options.hash,
        (fraction) => {
          pending.state = transition(pending.state, { type: 'hash-progress', fraction });
          this.changed();
        },
        pending.abort.signal,
      );
      // Removed while its last piece was hashed.
      pending.abort.signal.throwIfAborted();
      this.hashing.delete(key);
      const existing = this.sessions.get(built.resource);
      if (existing) {
        if (existing.state.state === 'needs-files') {
          await existing.keepHandles(handles);
          await existing.attachFiles(files);
        }
        this.changed();
        return built.resource;
      }
      const session = ShareSession.known(this.deps, { ...built, kind: 'seed', addedAt: pending.state.addedAt }, 'hashing');
      this.add(session);
      // The record goes first: storage without a record is swept at the next start.
      await session.persist();
      await this.options.library.saveMetadata(built.resource, built.bytes);
      await session.keepHandles(handles);
      await session.attachFiles(files);
      return built.resource;
    } catch (e) {
      this.hashing.delete(key);
      this.changed();
      throw e;
    }
  }

  // After a reload: reads the files of a listed share again through its kept handles, asking the
  // browser's permission if it wants it (call from a click).
  async shareStoredFiles(resource: string): Promise<void> {
    await this.session(resource)?.shareStoredFiles();
  }

  // After a reload: the person picks the files of a listed share again; they are recognised by
  // their hashes (the id must come out the same).
  async reshareFiles(resource: string, files: File[], handles?: readonly ReadableHandle[]): Promise<void> {
    const s = this.session(resource);
    if (!s) throw new PeershareError('not_found', 'That share is not in the list.');
    await s.reshare(files, handles);
  }

  // --- downloading ---

  // Starts (or continues) downloading a share given its id.
  async download(resource: string): Promise<void> {
    if (!isShareId(resource)) throw new PeershareError('bad_link', 'That is not a peershare link or id.');
    const known = this.sessions.get(resource);
    if (known) {
      known.resume();
      return;
    }
    const session = ShareSession.download(this.deps, resource, this.now());
    this.add(session);
    await session.begin();
  }

  pause(resource: string): void {
    this.session(resource)?.pause();
  }

  resume(resource: string): void {
    this.session(resource)?.resume();
  }

  // Closes every connection of the share and finds peers again.
  refresh(resource: string): void {
    const s = this.session(resource);
    if (!s) return;
    this.signaling.reconnectNow();
    s.refresh();
  }

  // Stops sharing or downloading and forgets the share; a download's data is deleted. A share
  // being hashed stops being hashed.
  async remove(resource: string): Promise<void> {
    const pending = this.hashing.get(resource);
    if (pending) {
      pending.abort.abort();
      this.hashing.delete(resource);
      this.changed();
      return;
    }
    const s = this.session(resource);
    if (!s) return;
    this.sessions.delete(s.resource);
    // The record goes before the data: a reload or crash part way through the deletion must not
    // bring the share back; the next start deletes what is left (the library's sweep).
    const unlisted = this.options.library.forget(s.resource);
    const discarded = s.discard(unlisted);
    this.changed();
    await discarded;
  }

  // The share's bytes as disk-backed Blobs, one per file, for saving; no whole-file buffer.
  async files(resource: string): Promise<Array<{ path: string; blob: Blob }>> {
    const s = this.session(resource);
    if (!s) throw new PeershareError('not_found', 'That share is not in the list.');
    const files = await s.files();
    if (!files) throw new PeershareError('not_ready', 'The files of this share are not available.');
    return files;
  }

  shareLink(resource: string): string {
    return `${this.options.linkOrigin ?? location.origin}/#${resource}`;
  }

  // --- internals ---

  private session(resource: string): ShareSession | undefined {
    return isShareId(resource) ? this.sessions.get(resource) : undefined;
  }

  private add(session: ShareSession): void {
    this.sessions.set(session.resource, session);
    session.on('change', () => this.changed());
    this.changed();
  }

  private async restore(record: ShareRecord): Promise<void> {
    const bytes = await this.options.library.loadMetadata(record.resource);
    if (!bytes) return;
    const meta = decodeMetadata(bytes);
    const share = { resource: record.resource, meta, bytes, kind: record.kind, addedAt: record.addedAt, paused: record.state === 'paused' };
    const session = ShareSession.known(this.deps, share, record.kind === 'download' ? 'looking' : 'needs-files');
    this.add(session);
    if (record.kind === 'download') await session.restore();
    else await session.restoreFromHandles();
  }

  private async onWelcome(): Promise<void> {
    for (const s of [...this.sessions.values()]) await s.onWelcome();
  }

  private async sample(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.sample()));
  }

  private changed(): void {
    this.emit('change', undefined);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
