// Covers engine/errors: typed errors carry a name and a stable code.
import { describe, expect, it } from 'vitest';
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
