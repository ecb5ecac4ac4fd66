// Covers app/speed: sampled speeds are smoothed, follow a change within a few samples, and read as
// stopped when nothing moves.
import { describe, expect, it } from 'vitest';

import { nextSpeed, SPEED_SMOOTHING } from '../../src/app/speed';

describe('nextSpeed', () => {
  it('moves the speed a share of the way to the newest sample', () => {
    expect(nextSpeed(0, 1000, 1)).toBeCloseTo(1000 * SPEED_SMOOTHING);
    expect(nextSpeed(1000, 1000, 1)).toBeCloseTo(1000);
    expect(nextSpeed(1000, 4000, 2)).toBeCloseTo(1000 * (1 - SPEED_SMOOTHING) + 2000 * SPEED_SMOOTHING);
  });

  it('reaches a steady speed within a few seconds, and decays to zero once nothing moves', () => {
    let speed = 0;
    for (let i = 0; i < 10; i++) speed = nextSpeed(speed, 5000, 1);
    expect(speed).toBeGreaterThan(0.95 * 5000);
    for (let i = 0; i < 100 && speed > 0; i++) speed = nextSpeed(speed, 0, 1);
    expect(speed).toBe(0);
  });

  it('keeps the speed when no time passed', () => {
    expect(nextSpeed(123, 1000, 0)).toBe(123);
  });
});
