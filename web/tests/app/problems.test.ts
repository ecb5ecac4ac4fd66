// Covers app/problems: every typed error becomes a typed problem of its kind, with its code.
import { describe, expect, it } from 'vitest';

import { ApiError, MetadataError, PeershareError, SignalingError, StorageError } from '../../src/engine/errors';
import { problemOf } from '../../src/app/problems';

describe('problemOf', () => {
  it('keeps the kind and the code of the error', () => {
    expect(problemOf(new SignalingError('rate_limited', 'x'))).toEqual({ kind: 'signaling', code: 'rate_limited' });
    expect(problemOf(new ApiError('http_failed', 502, 'x'))).toEqual({ kind: 'api', code: 'http_failed', status: 502 });
    expect(problemOf(new StorageError('storage_full', 'x'))).toEqual({ kind: 'storage', code: 'storage_full' });
    expect(problemOf(new MetadataError('metadata_mismatch', 'x'))).toEqual({ kind: 'metadata', code: 'metadata_mismatch' });
  });

  it('keeps the message of any other error', () => {
    expect(problemOf(new PeershareError('no_files', 'Pick at least one file.'))).toEqual({ kind: 'failed', message: 'Pick at least one file.' });
    expect(problemOf(new TypeError('boom'))).toEqual({ kind: 'failed', message: 'boom' });
    expect(problemOf('odd')).toEqual({ kind: 'failed', message: 'odd' });
  });
});
