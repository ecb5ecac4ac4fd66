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

describe('blockSizeFor', () => {
  it('fills a Chromium message (256 KiB) with the largest 16 KiB multiple and the header', async () => {
    const { blockSizeFor, BLOCK_SIZE, DATA_HEADER_BYTES, KiB } = await import('../../src/engine/constants');
    expect(blockSizeFor(256 * KiB)).toBe(240 * KiB);
    expect(blockSizeFor(256 * KiB) + DATA_HEADER_BYTES).toBeLessThanOrEqual(256 * KiB);
    expect(blockSizeFor(1024 * 1024 * 1024)).toBe(BLOCK_SIZE);
  });

  it('never goes below 16 KiB, and fits a 64 KiB channel', async () => {
    const { blockSizeFor, KiB } = await import('../../src/engine/constants');
    expect(blockSizeFor(64 * KiB)).toBe(48 * KiB);
    expect(blockSizeFor(16 * KiB)).toBe(16 * KiB);
  });
});
