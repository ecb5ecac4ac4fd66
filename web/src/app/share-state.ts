// One share as the page shows it, and the one function through which it changes:
// transition(state, event) -> state. States are frozen and a change makes a new object, so the
// page can hold a state as a snapshot and compare snapshots by identity. Pure; the share session
// (share-session.ts) feeds it the events and the invariant (engine/invariant.ts) checks that no
// event moves a share out of a state that does not allow it.
//
// A share picked from disk (kind 'seed') moves between hashing, needs-files and seeding as its
// files are read (and files picked again are recognised while the share still needs them). A download's state follows from what is known of it:
//   failed     it could not start (metadata not found, storage unavailable)
//   seeding    every piece is stored (it then seeds)
//   paused     the person paused it
//   looking    metadata and storage are not ready yet
//   downloading  at least one peer is connected
//   waiting    no peer is connected
import type { ShareId } from '../engine/ids';
import { invariant } from '../engine/invariant';
import type { ShareKind } from './share-library';
import type { LinkProblem, ShareProblem } from './problems';

export type SharePhase = 'hashing' | 'needs-files' | 'looking' | 'waiting' | 'downloading' | 'paused' | 'seeding' | 'failed';

// Reasons kept of the peers the engine dropped (newest last): enough to see a pattern.
export const MAX_DROPPED_REASONS = 20;

export interface ShareState {
  // The row's key: the share id, or a made-up key while a new share is hashed (it has no id yet).
  readonly key: string;
  readonly resource: ShareId | null;
  readonly kind: ShareKind;
  readonly state: SharePhase;
  readonly name: string;
  readonly size: number;
  readonly addedAt: number;
  readonly hashProgress: number; // 0..1 while hashing
  readonly pieces: number;
  readonly havePieces: number;
  // Downloads: what decides the state.
  readonly opened: boolean; // storage open, the swarm running
  readonly complete: boolean; // every piece stored
  readonly paused: boolean;
  readonly failed: boolean;
  // Connections.
  readonly peers: number; // connected to the swarm
  readonly connecting: number; // links of ours not open yet
  readonly relayed: number; // open links whose path goes through a TURN relay
  // Bytes moved in this page's life, and speeds in bytes per second, as last sampled.
  readonly uploaded: number;
  readonly downloaded: number;
  readonly upSpeed: number;
  readonly downSpeed: number;
  readonly problem: ShareProblem | null;
  readonly linkProblem: LinkProblem | null;
  // Why the engine disconnected peers (corrupt piece, protocol violation, stall), newest last.
  readonly dropped: readonly string[];
  // A share from disk whose file handles are kept: after a reload it can be read again without picking.
  readonly storedFiles: boolean;
}

export type ShareEvent =
  | { readonly type: 'hash-progress'; readonly fraction: number }
  | { readonly type: 'hashing-started' } // needs-files -> hashing
  | { readonly type: 'files-refused'; readonly problem: ShareProblem } // hashing -> needs-files
  | { readonly type: 'files-attached' } // hashing -> seeding
  | { readonly type: 'metadata'; readonly name: string; readonly size: number; readonly pieces: number }
  | { readonly type: 'storage-opened'; readonly havePieces: number; readonly complete: boolean }
  | { readonly type: 'failed'; readonly problem: ShareProblem }
  | { readonly type: 'retry' } // a failed download starts over
  | { readonly type: 'piece-stored'; readonly havePieces: number }
  | { readonly type: 'completed' }
  | { readonly type: 'paused' }
  | { readonly type: 'resumed' }
  | { readonly type: 'links'; readonly peers: number; readonly connecting: number }
  | { readonly type: 'peer-dropped'; readonly reason: string }
  | { readonly type: 'problem'; readonly problem: ShareProblem | null }
  | { readonly type: 'announced' } // clears a problem a refused or unanswered request left
  | { readonly type: 'link-problem'; readonly problem: LinkProblem | null }
  | { readonly type: 'sampled'; readonly uploaded: number; readonly downloaded: number; readonly upSpeed: number; readonly downSpeed: number }
  | { readonly type: 'relayed'; readonly count: number }
  | { readonly type: 'stored-files'; readonly kept: boolean };

// The states each state may move to (itself included).
const ALLOWED: { readonly [P in SharePhase]: readonly SharePhase[] } = {
  hashing: ['hashing', 'seeding', 'needs-files'],
  'needs-files': ['needs-files', 'hashing', 'seeding'],
  looking: ['looking', 'waiting', 'downloading', 'paused', 'seeding', 'failed'],
  waiting: ['waiting', 'downloading', 'paused', 'seeding'],
  downloading: ['downloading', 'waiting', 'paused', 'seeding'],
  paused: ['paused', 'looking', 'waiting', 'downloading', 'seeding', 'failed'],
  seeding: ['seeding'],
  failed: ['failed', 'looking'],
};

export function allowed(from: SharePhase, to: SharePhase): boolean {
  return ALLOWED[from].includes(to);
}

type NewShare = Pick<ShareState, 'key' | 'resource' | 'kind' | 'state' | 'name' | 'size' | 'addedAt'> &
  Partial<Pick<ShareState, 'pieces' | 'paused'>>;

// A share's first state; a download's follows from its facts (paused or not), whatever `state` says.
export function initialState(share: NewShare): ShareState {
  const s: ShareState = {
    key: share.key,
    resource: share.resource,
    kind: share.kind,
    state: share.state,
    name: share.name,
    size: share.size,
    addedAt: share.addedAt,
    hashProgress: 0,
    pieces: share.pieces ?? 0,
    havePieces: 0,
    opened: false,
    complete: false,
    paused: share.paused ?? false,
    failed: false,
    peers: 0,
    connecting: 0,
    relayed: 0,
    uploaded: 0,
    downloaded: 0,
    upSpeed: 0,
    downSpeed: 0,
    problem: null,
    linkProblem: null,
    dropped: Object.freeze([]),
    storedFiles: false,
  };
  return Object.freeze(s.kind === 'download' ? { ...s, state: downloadPhase(s) } : s);
}

function downloadPhase(s: ShareState): SharePhase {
  if (s.failed) return 'failed';
  if (s.complete) return 'seeding';
  if (s.paused) return 'paused';
  if (!s.opened) return 'looking';
  return s.peers > 0 ? 'downloading' : 'waiting';
}

// The fields an event changes; null when it does not apply to this share.
function changes(s: ShareState, e: ShareEvent): Partial<ShareState> | null {
  switch (e.type) {
    case 'hash-progress':
      return { hashProgress: Math.min(1, Math.max(0, e.fraction)) };
    case 'hashing-started':
      return { state: 'hashing', hashProgress: 0 };
    case 'files-refused':
      return { state: 'needs-files', problem: e.problem };
    case 'files-attached':
      return { state: 'seeding', havePieces: s.pieces, complete: true, problem: null };
    case 'metadata':
      return { name: e.name, size: e.size, pieces: e.pieces };
    case 'storage-opened':
      return { opened: true, havePieces: e.havePieces, complete: e.complete };
    case 'failed':
      return { failed: true, problem: e.problem };
    case 'retry':
      return { failed: false, opened: false, problem: null, linkProblem: null };
    case 'piece-stored':
      return { havePieces: e.havePieces };
    case 'completed':
      return { complete: true };
    case 'paused':
      return { paused: true };
    case 'resumed':
      return { paused: false };
    case 'links':
      return { peers: e.peers, connecting: e.connecting };
    case 'peer-dropped':
      return { dropped: Object.freeze([...s.dropped.slice(-(MAX_DROPPED_REASONS - 1)), e.reason]) };
    case 'problem':
      return { problem: e.problem };
    case 'announced':
      return s.problem?.kind === 'signaling' ? { problem: null } : null;
    case 'link-problem':
      return { linkProblem: e.problem };
    case 'sampled':
      return { uploaded: e.uploaded, downloaded: e.downloaded, upSpeed: e.upSpeed, downSpeed: e.downSpeed };
    case 'relayed':
      return { relayed: e.count };
    case 'stored-files':
      return { storedFiles: e.kept };
  }
}

// Events that only one kind of share has.
const SEED_EVENTS: ReadonlySet<ShareEvent['type']> = new Set(['hashing-started', 'files-refused', 'files-attached', 'stored-files']);
const DOWNLOAD_EVENTS: ReadonlySet<ShareEvent['type']> = new Set(['metadata', 'storage-opened', 'failed', 'retry', 'completed', 'paused', 'resumed']);

// The share after `e`: `s` itself when nothing changed, else a new frozen state.
export function transition(s: ShareState, e: ShareEvent): ShareState {
  invariant(() => !(s.kind === 'seed' ? DOWNLOAD_EVENTS : SEED_EVENTS).has(e.type), 'a share gets only the events of its kind');
  const change = changes(s, e);
  if (!change) return s;
  let next: ShareState = { ...s, ...change };
  if (next.kind === 'download') next = { ...next, state: downloadPhase(next) };
  if ((Object.keys(next) as (keyof ShareState)[]).every((k) => next[k] === s[k])) return s;
  invariant(() => allowed(s.state, next.state), 'a share moves only to a state its state allows');
  return Object.freeze(next);
}
