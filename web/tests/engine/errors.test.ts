// Covers engine/errors: typed errors carry a name and a stable code, and the server's error codes
// are those of server/include/peershare/core/errors.hpp.
import { describe, expect, it } from 'vitest';
import errorsHpp from '../../../server/include/peershare/core/errors.hpp?raw';
import {
  ApiError,
  MetadataError,
  PeershareError,
  SERVER_ERROR_CODES,
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
      [new ApiError('not_found', 404, 'x'), 'ApiError', 'not_found'],
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

describe('error codes', () => {
  it('are those of the server: every errc value but ok, in the same order', () => {
    const start = errorsHpp.indexOf('enum class errc {');
    const body = errorsHpp.slice(start, errorsHpp.indexOf('};', start));
    const names = [...body.matchAll(/^\s+([a-z_]+)(?:\s*=\s*\d+)?,/gm)].map((m) => m[1]);
    expect(names[0]).toBe('ok');
    expect([...SERVER_ERROR_CODES]).toEqual(names.slice(1));
  });
});
