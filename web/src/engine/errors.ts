// Typed errors of the browser engine: each has a `name` and a stable `code` that callers branch
// on (messages are for people and may change).

export class PeershareError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PeershareError';
    this.code = code;
  }
}

// Share metadata that breaks docs/protocol.md §1 (the codes match the server's, §2.3).
export type MetadataErrorCode = 'bad_metadata' | 'metadata_too_large' | 'metadata_mismatch';

export class MetadataError extends PeershareError {
  declare readonly code: MetadataErrorCode;

  constructor(code: MetadataErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'MetadataError';
  }
}

// A peer broke the wire protocol (§5.2); the connection is closed and the peer dropped for the share.
export type WireErrorCode = 'wire_violation';

export class WireError extends PeershareError {
  declare readonly code: WireErrorCode;

  constructor(message: string, options?: ErrorOptions) {
    super('wire_violation', message, options);
    this.name = 'WireError';
  }
}

// Local storage of pieces failed: full (quota), unavailable (no OPFS, private mode) or corrupt
// (stored bytes no longer match their hash).
export type StorageErrorCode = 'storage_full' | 'storage_unavailable' | 'storage_corrupt';

export class StorageError extends PeershareError {
  declare readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'StorageError';
  }
}

// The codes of the server's `error` messages and HTTP API errors (docs/protocol.md §2.3), one for
// each value of server/include/peershare/core/errors.hpp `errc` but `ok` (tests/engine/errors.test.ts
// compares the two lists).
export const SERVER_ERROR_CODES = [
  'bad_json',
  'bad_message',
  'unknown_type',
  'bad_resource_id',
  'bad_metadata',
  'metadata_mismatch',
  'metadata_too_large',
  'metadata_required',
  'not_found',
  'not_in_swarm',
  'unknown_peer',
  'no_offer',
  'too_many_offers',
  'too_many_swarms',
  'swarm_full',
  'rate_limited',
  'store_unavailable',
  'bad_request',
  'method_not_allowed',
  'internal',
] as const;
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];

export function isServerErrorCode(code: unknown): code is ServerErrorCode {
  return typeof code === 'string' && (SERVER_ERROR_CODES as readonly string[]).includes(code);
}

// What the client itself concludes about a request: the connection went away before the reply
// (disconnected), no reply came in time (timeout), or the reply was not one the request can get
// (bad_reply: malformed, or of another type).
export type ClientSignalingCode = 'disconnected' | 'timeout' | 'bad_reply';
export type SignalingErrorCode = ServerErrorCode | ClientSignalingCode;

// A signaling request or relay failed: the server refused it (its `error`), or the client gave up.
export class SignalingError extends PeershareError {
  declare readonly code: SignalingErrorCode;

  constructor(code: SignalingErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'SignalingError';
  }
}

// An HTTP API request failed (docs/protocol.md §3): the server's error code, or http_failed when
// the answer carried none (a proxy's error page, a network failure).
export type ApiErrorCode = ServerErrorCode | 'http_failed';

export class ApiError extends PeershareError {
  declare readonly code: ApiErrorCode;
  readonly status: number | null; // null: no HTTP answer at all

  constructor(code: ApiErrorCode, status: number | null, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'ApiError';
    this.status = status;
  }
}
