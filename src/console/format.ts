/** How the console writes numbers, sizes, rates and times. Pure. */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;
const SI_UNITS = ['', 'k', 'M', 'G', 'T', 'P'] as const;
const DASH = '—';

/** One decimal below 10, none above: 1.5 KiB, 12 KiB, 980 B. */
function scaled(n: number, base: number, units: readonly string[], space: string): string {
  let v = n;
  let i = 0;
  while (Math.abs(v) >= base && i < units.length - 1) {
    v /= base;
    i += 1;
  }
  if (i === 0) return `${Number.isInteger(v) ? v : v.toFixed(Math.abs(v) < 10 ? 1 : 0)}${space}${units[0]}`.trimEnd();
  return `${Math.abs(v) < 10 ? v.toFixed(1) : Math.round(v)}${space}${units[i]}`;
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return DASH;
  return scaled(n, 1024, BYTE_UNITS, ' ');
}

/** A count in SI units, for rates and plot axes: 950, 1.2k, 34M. */
export function formatSi(n: number): string {
  if (!Number.isFinite(n)) return DASH;
  return scaled(n, 1000, SI_UNITS, '');
}

export function formatRate(perSecond: number): string {
  return Number.isFinite(perSecond) ? `${formatSi(perSecond)}/s` : DASH;
}

export function formatBytesRate(perSecond: number): string {
  return Number.isFinite(perSecond) && perSecond >= 0 ? `${formatBytes(perSecond)}/s` : DASH;
}

/** An exact count with digit groups; int64 counts arrive as decimal strings and stay exact. */
export function formatCount(n: number | bigint | string): string {
  let v: bigint;
  try {
    v = typeof n === 'bigint' ? n : BigInt(n);
  } catch {
    return DASH;
  }
  const digits = (v < 0n ? -v : v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return v < 0n ? `-${digits}` : digits;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return DASH;
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/** A span of time, coarsely: 850 ms, 4.2 s, 12 s, 3 min 20 s, 2 h 5 min, 3 d 4 h. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return DASH;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.floor(s)} s`;
  const pair = (big: number, bigUnit: string, small: number, smallUnit: string) => (small > 0 ? `${big} ${bigUnit} ${small} ${smallUnit}` : `${big} ${bigUnit}`);
  const whole = Math.floor(s);
  if (whole < 3600) return pair(Math.floor(whole / 60), 'min', whole % 60, 's');
  if (whole < 86_400) return pair(Math.floor(whole / 3600), 'h', Math.floor((whole % 3600) / 60), 'min');
  return pair(Math.floor(whole / 86_400), 'd', Math.floor((whole % 86_400) / 3600), 'h');
}

export function formatAgo(thenMs: number, nowMs: number): string {
  if (!Number.isFinite(thenMs)) return DASH;
  const d = nowMs - thenMs;
  return d < 1000 ? 'just now' : `${formatDuration(d)} ago`;
}

/** An instant in UTC to the second: 2026-12-04 10:00:03Z. */
export function formatInstant(ms: number | null | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return DASH;
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** A row value in a table cell: as its JSON form says it, strings bare. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}
