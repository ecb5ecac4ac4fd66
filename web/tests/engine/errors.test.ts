// Covers engine/errors and engine/constants: typed errors carry a name and a stable code; the limits agree with each other.
import { describe, expect, it } from 'vitest';
import * as c from '../../src/engine/constants';
import {
  MetadataError,
  PeershareError,
  SignalingError,
  StorageError,
  WireError,
} from '../../src/engine/errors';

describe('errors', () => {
  it('carry a name and a stable code, and are PeershareErrors', () => {
    const cases: [PeershareError, string, string][] = [
      [new MetadataError('metadata_mismatch', 'x'), 'MetadataError', 'metadata_mismatch'],
      [new WireError('x'), 'WireError', 'wire_violation'],
      [new StorageError('storage_full', 'x'), 'StorageError', 'storage_full'],
      [new SignalingError('rate_limited', 'x'), 'SignalingError', 'rate_limited'],
      [new PeershareError('anything', 'x'), 'PeershareError', 'anything'],
    ];
    for (const [error, name, code] of cases) {
      expect(error).toBeInstanceOf(PeershareError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
      expect(error.message).toBe('x');
    }
  });

  it('keep the cause', () => {
    const cause = new Error('quota');
    expect(new StorageError('storage_full', 'x', { cause }).cause).toBe(cause);
  });
});

describe('constants', () => {
  it('allow 512 GiB shares at most and a hash list of at most 1 MiB', () => {
    expect(c.MAX_TOTAL_SIZE).toBe(512 * c.GiB);
    expect(c.MAX_PIECE_COUNT * c.HASH_BYTES).toBe(c.MiB);
    expect(c.MAX_FILE_SIZE).toBe(2 ** 53 - 1);
  });

  it('keep a full request window under the queue an uploader honours', () => {
    expect(c.REQUEST_WINDOW_BYTES / c.BLOCK_SIZE).toBeLessThanOrEqual(c.MAX_QUEUED_REQUESTS);
    expect(c.LOW_WATER).toBeLessThan(c.HIGH_WATER);
    expect(c.BLOCK_SIZE + 9).toBeLessThan(256 * c.KiB);
  });
});
