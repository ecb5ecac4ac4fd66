// Human-readable formatting of sizes for display.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

// 0 -> "0 B", 1536 -> "1.5 KiB", 10 * 2**20 -> "10 MiB"; one decimal below 10 units, none above.
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`invalid byte count: ${bytes}`);
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  let rounded = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  if (rounded >= 1024 && unit < UNITS.length - 1) {
    rounded = 1;
    unit += 1;
  }
  return `${rounded} ${UNITS[unit]}`;
}

// 12345 -> "12 KiB/s"; 0 -> "—" (nothing moving).
export function formatSpeed(bytesPerSecond: number): string {
  if (!(bytesPerSecond > 0)) return '—';
  return `${formatBytes(bytesPerSecond)}/s`;
}

// Seconds left as "45 s", "3 min", "2 h 5 min"; "—" when unknown.
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  const h = Math.floor(seconds / 3600);
  return `${h} h ${Math.round((seconds - h * 3600) / 60)} min`;
}
