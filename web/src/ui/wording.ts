// Every sentence the page shows about a share, the connection and what the server refused: the
// engine and the app carry typed errors and problems (app/problems.ts); this is where they become
// words for people, saying what happened and, where there is something to do, what to do next.
import type { ServerNotice } from '../app/client';
import type { BlockedReason } from '../app/file-handles';
import type { LinkProblem, ShareProblem } from '../app/problems';
import type { ShareState } from '../app/share-state';
import { ApiError, MetadataError, PeershareError, SignalingError, StorageError, type ApiErrorCode, type SignalingErrorCode } from '../engine/errors';
import type { StorageErrorCode } from '../engine/errors';

const NOT_FOUND = 'This link was not found: the file is no longer shared.';
const UNREACHABLE = 'Cannot reach the server right now; retrying.';
const BAD_METADATA = 'The file description from the server is not valid for this link.';

// Why the server refused something, as the end of a sentence ("The server refused: …").
export function serverReason(code: SignalingErrorCode | ApiErrorCode): string {
  switch (code) {
    case 'bad_json':
    case 'bad_message':
    case 'unknown_type':
    case 'bad_resource_id':
    case 'bad_request':
    case 'method_not_allowed':
      return 'it could not read what this page sent (reload the page: it may be older than the server)';
    case 'bad_metadata':
      return 'the file description is not valid';
    case 'metadata_mismatch':
      return 'the file description does not match the link';
    case 'metadata_too_large':
      return 'the file description is too large';
    case 'metadata_required':
      return 'it does not know this share yet';
    case 'not_found':
      return 'it does not know this share (it is no longer shared)';
    case 'not_in_swarm':
      return "this page is not in the share's swarm";
    case 'unknown_peer':
      return 'that peer has left the share';
    case 'no_offer':
      return 'the connection request had expired';
    case 'too_many_offers':
      return 'this page has too many connection requests open at once';
    case 'too_many_swarms':
      return 'this page already takes part in as many shares as the server allows';
    case 'swarm_full':
      return 'the share already has as many peers as the server allows';
    case 'rate_limited':
      return 'this page sent too many messages too fast (rate limited)';
    case 'store_unavailable':
      return 'its storage is not available right now';
    case 'internal':
      return 'something went wrong on the server';
    case 'disconnected':
      return 'the connection to it was lost';
    case 'timeout':
      return 'it did not answer in time';
    case 'bad_reply':
      return 'it sent an answer this page cannot read';
    case 'http_failed':
      return 'it could not be reached';
  }
}

function storageSentence(code: StorageErrorCode): string {
  if (code === 'storage_full') return 'Your browser storage is full: free some space or remove downloads.';
  return 'Browser storage is not available here (private window?).';
}

function refusal(code: SignalingErrorCode | ApiErrorCode): string {
  switch (code) {
    case 'not_found':
      return NOT_FOUND;
    case 'disconnected':
    case 'timeout':
      return UNREACHABLE;
    case 'rate_limited':
      return 'The server is limiting how fast this page may send (rate limited): wait a moment, then use Refresh.';
    case 'swarm_full':
      return 'The server refused to add this page to the share: it already has as many peers as the server allows. Use Refresh to try again later.';
    case 'too_many_swarms':
      return 'The server refused to add this page to the share: this page takes part in as many shares as the server allows. Remove one, then use Refresh.';
    default:
      return `The server refused: ${serverReason(code)}.`;
  }
}

// A message for people from any error an action threw.
export function describeError(e: unknown): string {
  if (e instanceof StorageError) return storageSentence(e.code);
  if (e instanceof SignalingError || e instanceof ApiError) return refusal(e.code);
  if (e instanceof MetadataError) return BAD_METADATA;
  if (e instanceof PeershareError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

// What a person reads when kept file handles cannot be used.
export function describeBlocked(blocked: BlockedReason): string {
  switch (blocked) {
    case 'prompt':
      return 'The browser needs your permission to read the files again.';
    case 'denied':
      return 'Reading the files was not allowed: pick them again.';
    case 'missing':
      return 'The files were moved, renamed or deleted: pick them again.';
  }
}

export function describeProblem(p: ShareProblem): string {
  switch (p.kind) {
    case 'signaling':
      return refusal(p.code);
    case 'api':
      if (p.code === 'http_failed') return `The server could not be reached${p.status ? ` (it answered ${p.status})` : ''}: use Refresh to try again.`;
      return refusal(p.code);
    case 'storage':
      return storageSentence(p.code);
    case 'metadata':
      return BAD_METADATA;
    case 'files-differ':
      return 'These are not the same files: their contents differ from the shared ones.';
    case 'files-blocked':
      return describeBlocked(p.reason);
    case 'failed':
      return p.message;
  }
}

export function describeLinkProblem(p: LinkProblem): string {
  switch (p.kind) {
    case 'no-path':
      return p.relay
        ? "Could not connect through the relay (TURN): check the server's TURN settings."
        : 'Direct connection failed and no relay is configured.';
    case 'relay-refused':
      return `The server would not pass this page's connection request on: ${serverReason(p.code)}.`;
    case 'peer-left':
      return 'The holder left before a connection was made; waiting for another holder.';
  }
}

// The sentences of a share's problems, one a line. A relay refused because the page is not in
// the share's swarm says nothing the refused announce has not said already.
export function problemLines(e: ShareState): string[] {
  const out: string[] = [];
  if (e.problem) out.push(describeProblem(e.problem));
  const implied = e.linkProblem?.kind === 'relay-refused' && e.linkProblem.code === 'not_in_swarm' && e.problem?.kind === 'signaling';
  if (e.linkProblem && !implied) out.push(describeLinkProblem(e.linkProblem));
  return out;
}

export function stateText(e: ShareState): string {
  switch (e.state) {
    case 'hashing':
      return `Preparing ${Math.floor(e.hashProgress * 100)}%`;
    case 'needs-files':
      return 'Pick the files again to share them';
    case 'looking':
      return 'Looking up the link…';
    case 'waiting':
      if (e.connecting > 0) return `Connecting to ${e.connecting} ${e.connecting === 1 ? 'holder' : 'holders'}…`;
      if (e.problem || e.linkProblem) return 'Not connected to any holder';
      return 'No one holds this file right now; waiting for a holder';
    case 'downloading':
      return 'Downloading';
    case 'paused':
      return 'Paused';
    case 'seeding':
      return 'Sharing';
    case 'failed':
      return 'Failed';
  }
}

// A server error that answered no request of this page.
export function noticeText(n: ServerNotice): string {
  if (n.code === 'rate_limited')
    return 'The server refused some messages from this page: it sent too many too fast (rate limited). Wait a moment; if a download stalls, use Refresh.';
  return `The server refused a message from this page: ${serverReason(n.code)}.`;
}

export function connectionText(state: 'connecting' | 'open' | 'closed'): string {
  if (state === 'open') return 'Connected';
  if (state === 'connecting') return 'Connecting to server…';
  return 'Server unreachable: reconnecting. Transfers already running continue.';
}
