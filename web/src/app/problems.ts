// What went wrong with a share, as data: the app records these on the share's state and the page
// (ui/wording.ts) puts them into words. A problem of the share itself (a request refused, storage
// full, the wrong files) is kept apart from a problem of its connections (no network path, a relay
// the server refused, a holder that left before a connection opened), which the next link to open
// clears.
import {
  ApiError,
  MetadataError,
  PeershareError,
  SignalingError,
  StorageError,
  type ApiErrorCode,
  type MetadataErrorCode,
  type SignalingErrorCode,
  type StorageErrorCode,
} from '../engine/errors';
import type { BlockedReason } from './file-handles';

export type ShareProblem =
  | { readonly kind: 'signaling'; readonly code: SignalingErrorCode } // a request refused or unanswered
  | { readonly kind: 'api'; readonly code: ApiErrorCode; readonly status: number | null } // an HTTP request failed
  | { readonly kind: 'storage'; readonly code: StorageErrorCode }
  | { readonly kind: 'metadata'; readonly code: MetadataErrorCode } // the server's description of the share
  | { readonly kind: 'files-differ' } // picked files whose contents are not the share's
  | { readonly kind: 'files-blocked'; readonly reason: BlockedReason } // stored file handles that cannot be read
  | { readonly kind: 'failed'; readonly message: string }; // anything else, with its own message

export type LinkProblem =
  | { readonly kind: 'no-path'; readonly relay: boolean } // no connection opened; relay: a TURN server was offered
  | { readonly kind: 'relay-refused'; readonly signal: 'offer' | 'answer'; readonly code: SignalingErrorCode }
  | { readonly kind: 'peer-left' }; // the holder left the swarm before the connection opened

export function problemOf(e: unknown): ShareProblem {
  if (e instanceof SignalingError) return { kind: 'signaling', code: e.code };
  if (e instanceof ApiError) return { kind: 'api', code: e.code, status: e.status };
  if (e instanceof StorageError) return { kind: 'storage', code: e.code };
  if (e instanceof MetadataError) return { kind: 'metadata', code: e.code };
  if (e instanceof PeershareError || e instanceof Error) return { kind: 'failed', message: e.message };
  return { kind: 'failed', message: String(e) };
}
