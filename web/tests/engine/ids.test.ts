// Covers engine/ids: the validating constructors of share ids, peer ids and piece indices accept
// exactly the server's formats.
import { describe, expect, it } from 'vitest';

import { isPeerId, isShareId, peerId, pieceIndex, shareId } from '../../src/engine/ids';

describe('share and peer ids', () => {
  it('accept 64 and 32 lowercase hex digits', () => {
    expect(shareId('ab'.repeat(32))).toBe('ab'.repeat(32));
    expect(peerId('0123456789abcdef'.repeat(2))).toBe('0123456789abcdef'.repeat(2));
    expect(isShareId('0'.repeat(64))).toBe(true);
    expect(isPeerId('f'.repeat(32))).toBe(true);
  });

  it('refuse other lengths, upper case, other characters and non-strings', () => {
    for (const bad of ['ab'.repeat(31), 'ab'.repeat(33), 'AB'.repeat(32), `${'a'.repeat(63)}g`, '', ' '.repeat(64)]) {
      expect(isShareId(bad), bad).toBe(false);
      expect(() => shareId(bad)).toThrow(RangeError);
    }
    for (const bad of ['a'.repeat(31), 'a'.repeat(33), 'A'.repeat(32), 'ab'.repeat(32)]) {
      expect(isPeerId(bad), bad).toBe(false);
      expect(() => peerId(bad)).toThrow(RangeError);
    }
    expect(isShareId(7)).toBe(false);
    expect(isPeerId(null)).toBe(false);
  });
});

describe('piece indices', () => {
  it('accept integers inside the share and below 2^32', () => {
    expect(pieceIndex(0)).toBe(0);
    expect(pieceIndex(9, 10)).toBe(9);
    expect(pieceIndex(2 ** 32 - 1)).toBe(2 ** 32 - 1);
  });

  it('refuse negatives, fractions, the piece count itself and 2^32', () => {
    for (const [n, count] of [[-1, undefined], [1.5, undefined], [10, 10], [2 ** 32, undefined], [NaN, undefined]] as const)
      expect(() => pieceIndex(n, count)).toThrow(RangeError);
  });
});
