// Transfer speeds for the tables: bytes moved since the last sample, smoothed. Pure.

// How often transfer speeds are sampled for the tables.
export const SPEED_SAMPLE_MS = 1000;
// Weight of the newest sample in the average: smooth, yet current within a few seconds.
export const SPEED_SMOOTHING = 0.3;
// Below this many bytes per second a speed with nothing moving reads as stopped.
const STOPPED_BELOW = 1;

// The speed after a sample of `bytes` moved in `seconds`, given the speed before it.
export function nextSpeed(previous: number, bytes: number, seconds: number): number {
  if (!(seconds > 0)) return previous;
  const speed = previous * (1 - SPEED_SMOOTHING) + (bytes / seconds) * SPEED_SMOOTHING;
  return bytes === 0 && speed < STOPPED_BELOW ? 0 : speed;
}
