// Covers app/share-state: every state change of a share goes through transition(); it returns a
// new frozen object when something changed and the same object when nothing did; a download's
// state follows from what is known of it; no event moves a share out of a state that does not
// allow it (the invariant, on in tests).
import { describe, expect, it } from 'vitest';

import { shareId } from '../../src/engine/ids';
import { InvariantError } from '../../src/engine/invariant';
import { allowed, initialState, MAX_DROPPED_REASONS, transition, type ShareEvent, type ShareState } from '../../src/app/share-state';

const ID = shareId('ab'.repeat(32));
const download = (over: Partial<Parameters<typeof initialState>[0]> = {}) =>
  initialState({ key: ID, resource: ID, kind: 'download', state: 'looking', name: 'Looking up…', size: 0, addedAt: 1, ...over });
const seed = (state: 'hashing' | 'needs-files' = 'needs-files') =>
  initialState({ key: ID, resource: ID, kind: 'seed', state, name: 'a.bin', size: 10, addedAt: 1, pieces: 3 });
const run = (s: ShareState, ...events: ShareEvent[]) => events.reduce(transition, s);

describe('a download', () => {
  it('goes looking -> waiting -> downloading -> seeding as its storage opens, peers come and pieces arrive', () => {
    let s = download();
    expect(s.state).toBe('looking');
    s = run(s, { type: 'metadata', name: 'big.bin', size: 1000, pieces: 4 });
    expect(s).toMatchObject({ state: 'looking', name: 'big.bin', size: 1000, pieces: 4 });
    s = run(s, { type: 'storage-opened', havePieces: 1, complete: false });
    expect(s).toMatchObject({ state: 'waiting', havePieces: 1 });
    s = run(s, { type: 'links', peers: 1, connecting: 0 });
    expect(s.state).toBe('downloading');
    s = run(s, { type: 'piece-stored', havePieces: 4 });
    expect(s.state, 'every piece stored, but not yet completed').toBe('downloading');
    s = run(s, { type: 'completed' });
    expect(s.state).toBe('seeding');
    s = run(s, { type: 'links', peers: 0, connecting: 0 });
    expect(s.state, 'a finished download seeds, peers or not').toBe('seeding');
  });

  it('is paused while paused, whatever else happens, and back to what it was when resumed', () => {
    let s = run(download(), { type: 'paused' });
    expect(s.state, 'paused even before storage opened').toBe('paused');
    s = run(s, { type: 'storage-opened', havePieces: 0, complete: false }, { type: 'links', peers: 2, connecting: 0 });
    expect(s.state).toBe('paused');
    s = run(s, { type: 'resumed' });
    expect(s.state).toBe('downloading');
    s = run(s, { type: 'paused' }, { type: 'completed' });
    expect(s.state, 'what was in flight when paused can finish it').toBe('seeding');
  });

  it('fails when it cannot start, keeps the problem, and starts over on retry', () => {
    let s = run(download(), { type: 'failed', problem: { kind: 'signaling', code: 'not_found' } });
    expect(s).toMatchObject({ state: 'failed', problem: { kind: 'signaling', code: 'not_found' } });
    s = run(s, { type: 'links', peers: 1, connecting: 0 });
    expect(s.state).toBe('failed');
    s = run(s, { type: 'retry' });
    expect(s).toMatchObject({ state: 'looking', problem: null });
  });

  it('cannot fail once it is downloading or done: that is a bug the invariant reports', () => {
    const running = run(download(), { type: 'storage-opened', havePieces: 0, complete: false }, { type: 'links', peers: 1, connecting: 0 });
    expect(() => transition(running, { type: 'failed', problem: { kind: 'failed', message: 'x' } })).toThrow(InvariantError);
    const done = run(running, { type: 'completed' });
    expect(() => transition(done, { type: 'failed', problem: { kind: 'failed', message: 'x' } })).toThrow(InvariantError);
    expect(transition(done, { type: 'retry' }).state, 'a retry of a finished download changes nothing').toBe('seeding');
  });

  it('gets no event of a share from disk: that is a bug the invariant reports', () => {
    expect(() => transition(download(), { type: 'files-attached' })).toThrow(/only the events of its kind/);
    expect(() => transition(download(), { type: 'hashing-started' })).toThrow(InvariantError);
  });
});

describe('a share from disk', () => {
  it('needs its files after a reload, is hashed when they are picked, and seeds when they match', () => {
    let s = seed();
    s = run(s, { type: 'hashing-started' }, { type: 'hash-progress', fraction: 0.5 });
    expect(s).toMatchObject({ state: 'hashing', hashProgress: 0.5 });
    s = run(s, { type: 'files-attached' });
    expect(s).toMatchObject({ state: 'seeding', havePieces: 3, complete: true, problem: null });
  });

  it('needs its files again, with the problem, when the picked ones differ', () => {
    const s = run(seed(), { type: 'hashing-started' }, { type: 'files-refused', problem: { kind: 'files-differ' } });
    expect(s).toMatchObject({ state: 'needs-files', problem: { kind: 'files-differ' } });
  });

  it('takes files recognised while it needs them straight to seeding', () => {
    expect(run(seed(), { type: 'files-attached' }).state).toBe('seeding');
  });

  it('is never paused, and cannot be hashed again once seeding', () => {
    const s = run(seed('hashing'), { type: 'files-attached' });
    expect(() => transition(s, { type: 'paused' })).toThrow(/only the events of its kind/);
    expect(() => transition(s, { type: 'hashing-started' })).toThrow(/only to a state its state allows/);
  });
});

describe('every share', () => {
  it('is a frozen snapshot: a change makes a new object, no change gives back the same one', () => {
    const s = download();
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.dropped)).toBe(true);
    const next = transition(s, { type: 'sampled', uploaded: 10, downloaded: 20, upSpeed: 1, downSpeed: 2 });
    expect(next).not.toBe(s);
    expect(Object.isFrozen(next)).toBe(true);
    expect(s.uploaded, 'the old snapshot is unchanged').toBe(0);
    expect(transition(next, { type: 'sampled', uploaded: 10, downloaded: 20, upSpeed: 1, downSpeed: 2 })).toBe(next);
    expect(transition(next, { type: 'relayed', count: 0 })).toBe(next);
  });

  it('keeps the last reasons peers were dropped for', () => {
    let s = download();
    for (let i = 0; i < MAX_DROPPED_REASONS + 5; i++) s = transition(s, { type: 'peer-dropped', reason: `r${i}` });
    expect(s.dropped.length).toBe(MAX_DROPPED_REASONS);
    expect(s.dropped.at(-1)).toBe(`r${MAX_DROPPED_REASONS + 4}`);
    expect(s.dropped[0]).toBe('r5');
  });

  it('clears a refused request once an announce succeeds, and no other problem', () => {
    const refused = run(download(), { type: 'problem', problem: { kind: 'signaling', code: 'timeout' } }, { type: 'announced' });
    expect(refused.problem).toBeNull();
    const full = run(download(), { type: 'problem', problem: { kind: 'storage', code: 'storage_full' } });
    expect(transition(full, { type: 'announced' })).toBe(full);
  });

  it('keeps a connection problem apart from the share problem', () => {
    const s = run(
      download(),
      { type: 'problem', problem: { kind: 'signaling', code: 'swarm_full' } },
      { type: 'link-problem', problem: { kind: 'relay-refused', signal: 'offer', code: 'not_in_swarm' } },
    );
    expect(s.problem).toEqual({ kind: 'signaling', code: 'swarm_full' });
    expect(run(s, { type: 'link-problem', problem: null })).toMatchObject({ problem: { code: 'swarm_full' }, linkProblem: null });
  });

  it('allows only the transitions of the table', () => {
    expect(allowed('seeding', 'downloading')).toBe(false);
    expect(allowed('failed', 'seeding')).toBe(false);
    expect(allowed('needs-files', 'hashing')).toBe(true);
    expect(allowed('paused', 'looking')).toBe(true);
  });
});
