// Pages for app tests: each is one browser tab's worth of client parts on the fake network (its
// signaling connection, memory piece storage and share library, links, a hasher), with its share
// sessions wired to what the server sends, as the client facade wires them.
import { sha256 } from '../../src/engine/metadata';
import type { ShareId } from '../../src/engine/ids';
import { MetadataClient } from '../../src/app/metadata-client';
import type { Hasher } from '../../src/app/share-builder';
import { ShareSession, type SessionDeps } from '../../src/app/share-session';
import type { ShareState } from '../../src/app/share-state';
import { MemoryStorage } from '../../src/storage/memory-store';
import { FakeLinkNet, FakeServer, FakeSignaling, until } from './fake-network';
import { MemoryOrigin } from './memory-library';
import type { AppShare } from './test-shares';

// Hashes pieces on the calling thread (the page uses a Worker).
export const testHasher: Hasher = async (files, pieceSize, onProgress, signal) => {
  const parts = await Promise.all(files.map(async (f) => new Uint8Array(await f.arrayBuffer())));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const hashes: Uint8Array[] = [];
  for (let offset = 0; offset < total; offset += pieceSize) {
    hashes.push(await sha256(all.subarray(offset, Math.min(total, offset + pieceSize))));
    if (signal?.aborted) throw signal.reason;
    onProgress(Math.min(total, offset + pieceSize), total);
  }
  onProgress(total, total);
  return hashes;
};

export interface PageOptions {
  corruptUploads?: boolean;
  origin?: MemoryOrigin; // the tab's storage; a new one by default (another browser)
}

export class Page {
  readonly signaling: FakeSignaling;
  readonly origin: MemoryOrigin;
  readonly deps: SessionDeps;
  readonly sessions = new Map<ShareId, ShareSession>();
  // Every state each share went through, in order.
  readonly history = new Map<ShareId, ShareState[]>();

  constructor(
    readonly server: FakeServer,
    readonly net: FakeLinkNet,
    options: PageOptions = {},
  ) {
    this.signaling = new FakeSignaling(server);
    this.origin = options.origin ?? new MemoryOrigin();
    const signaling = this.signaling;
    this.deps = {
      signaling,
      metadata: new MetadataClient({ signaling, fetch: server.fetch, apiBase: '' }),
      library: this.origin.tab(),
      storage: this.origin.pieces as MemoryStorage,
      links: net.factory(() => signaling.peerId),
      hash: testHasher,
      corruptUploads: options.corruptUploads,
    };
    signaling.on('welcome', () => {
      for (const s of this.sessions.values()) void s.onWelcome();
    });
    signaling.on('signal', (m) => void this.sessions.get(m.resource)?.onSignal(m));
    signaling.on('peer_joined', (m) => this.sessions.get(m.resource)?.onPeerJoined(m.peer, m.complete));
    signaling.on('peer_left', (m) => this.sessions.get(m.resource)?.onPeerLeft(m.peer));
  }

  get id() {
    return this.signaling.peerId!;
  }

  async connect(): Promise<this> {
    this.signaling.start();
    await until('the page connected', () => this.signaling.state === 'open');
    return this;
  }

  track(session: ShareSession): ShareSession {
    this.sessions.set(session.resource, session);
    const history = [session.state];
    this.history.set(session.resource, history);
    session.on('change', (s) => history.push(s));
    return session;
  }

  // Seeds `share` from its file, as a person sharing it does.
  async seed(share: AppShare): Promise<ShareSession> {
    const session = this.track(ShareSession.known(this.deps, { ...share, kind: 'seed', addedAt: Date.now() }, 'hashing'));
    await session.persist();
    await this.deps.library.saveMetadata(share.resource, share.bytes);
    await session.attachFiles([share.file]);
    return session;
  }

  // Starts downloading `share` by its id, as opening its link does; resolves once it started.
  async download(share: AppShare): Promise<ShareSession> {
    const session = this.track(ShareSession.download(this.deps, share.resource, Date.now()));
    await session.begin();
    return session;
  }

  states(resource: ShareId): string[] {
    const out: string[] = [];
    for (const s of this.history.get(resource) ?? []) if (out.at(-1) !== s.state) out.push(s.state);
    return out;
  }

  // The page goes away: its sessions stop and its connection closes.
  close(): void {
    for (const s of this.sessions.values()) s.stop();
    this.signaling.stop();
  }
}

export function network() {
  const server = new FakeServer();
  const net = new FakeLinkNet();
  return { server, net, page: (options?: PageOptions) => new Page(server, net, options).connect() };
}

// The bytes a download stored.
export async function storedBytes(page: Page, share: AppShare): Promise<Uint8Array> {
  const store = await page.origin.pieces.open(share.resource, share.meta.totalSize);
  return store.read(0, share.meta.totalSize);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
