// Covers engine/constants: the limits agree with docs/protocol.md and with each other.
import { describe, expect, it } from 'vitest';
import * as c from '../../src/engine/constants';

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
