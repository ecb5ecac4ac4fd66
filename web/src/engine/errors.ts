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

// The signaling server answered with an `error` (§2.3); `code` is the server's code as sent.
export class SignalingError extends PeershareError {
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'SignalingError';
  }
}
