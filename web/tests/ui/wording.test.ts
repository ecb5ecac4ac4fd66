// Covers ui/wording: every server code has a sentence; typed problems become the sentences the
// page shows (and the end-to-end tests look for); a refused relay the refused announce explains is
// not said twice; the waiting state says whether links are being tried.
import { describe, expect, it } from 'vitest';

import { initialState, transition } from '../../src/app/share-state';
import { ApiError, SERVER_ERROR_CODES, SignalingError, StorageError } from '../../src/engine/errors';
import { shareId } from '../../src/engine/ids';
import { describeError, describeLinkProblem, describeProblem, noticeText, problemLines, serverReason, stateText } from '../../src/ui/wording';

const ID = shareId('ab'.repeat(32));
const waiting = () =>
  transition(initialState({ key: ID, resource: ID, kind: 'download', state: 'looking', name: 'x', size: 1, addedAt: 1 }), {
    type: 'storage-opened',
    havePieces: 0,
    complete: false,
  });

describe('wording', () => {
  it('has a reason for every code the server or the client can give', () => {
    for (const code of [...SERVER_ERROR_CODES, 'disconnected', 'timeout', 'bad_reply', 'http_failed'] as const) expect(serverReason(code), code).toMatch(/\w/);
  });

  it('says what the end-to-end tests and people rely on', () => {
    expect(describeProblem({ kind: 'signaling', code: 'not_found' })).toMatch(/^This link was not found/);
    expect(describeProblem({ kind: 'api', code: 'not_found', status: 404 })).toMatch(/^This link was not found/);
    expect(describeProblem({ kind: 'files-differ' })).toMatch(/not the same files/);
    expect(describeLinkProblem({ kind: 'no-path', relay: true })).toMatch(/could not connect through the relay/i);
    expect(describeLinkProblem({ kind: 'no-path', relay: false })).toBe('Direct connection failed and no relay is configured.');
    expect(describeLinkProblem({ kind: 'peer-left' })).toMatch(/holder left before a connection was made/);
    expect(describeLinkProblem({ kind: 'relay-refused', signal: 'offer', code: 'too_many_offers' })).toMatch(/would not pass .* too many connection requests/);
    expect(describeProblem({ kind: 'signaling', code: 'rate_limited' })).toMatch(/rate limited.*Refresh/);
    expect(noticeText({ code: 'rate_limited', at: 0 })).toMatch(/too many too fast \(rate limited\)/);
  });

  it('puts thrown errors into words by kind and code', () => {
    expect(describeError(new StorageError('storage_full', 'quota'))).toMatch(/storage is full/);
    expect(describeError(new SignalingError('swarm_full', 'x'))).toMatch(/as many peers as the server allows/);
    expect(describeError(new SignalingError('timeout', 'x'))).toMatch(/Cannot reach the server/);
    expect(describeError(new ApiError('store_unavailable', 503, 'x'))).toMatch(/^The server refused: its storage is not available/);
    expect(describeError(new Error('boom'))).toBe('boom');
  });

  it('says a relay refused for want of swarm membership only when the announce did not already', () => {
    const refused = transition(waiting(), { type: 'link-problem', problem: { kind: 'relay-refused', signal: 'offer', code: 'not_in_swarm' } });
    expect(problemLines(refused)).toEqual([expect.stringMatching(/not in the share's swarm/)]);
    const full = transition(refused, { type: 'problem', problem: { kind: 'signaling', code: 'swarm_full' } });
    expect(problemLines(full)).toEqual([expect.stringMatching(/as many peers as the server allows/)]);
    const other = transition(full, { type: 'link-problem', problem: { kind: 'relay-refused', signal: 'offer', code: 'rate_limited' } });
    expect(problemLines(other)).toHaveLength(2);
  });

  it('says whether a waiting download is trying holders, could not reach any, or has none', () => {
    expect(stateText(waiting())).toBe('No one holds this file right now; waiting for a holder');
    expect(stateText(transition(waiting(), { type: 'links', peers: 0, connecting: 2 }))).toBe('Connecting to 2 holders…');
    expect(stateText(transition(waiting(), { type: 'link-problem', problem: { kind: 'peer-left' } }))).toBe('Not connected to any holder');
  });
});
