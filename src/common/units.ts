import { fail } from './errors.js';

/**
 * Sizes and durations read like Fluss's properties: `64kb`, `1gb`, `512mb`, `100b`; `500ms`, `3s`,
 * `5min`, `2h`, `7d`. A bare number is bytes or milliseconds.
 */
const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4,
};

const DURATION_UNITS: Record<string, number> = {
  '': 1, ms: 1, s: 1000, sec: 1000, second: 1000, seconds: 1000, m: 60_000, min: 60_000,
  minute: 60_000, minutes: 60_000, h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/;

function parseWithUnits(text: string, units: Record<string, number>, what: string, name: string): number {
  const m = PATTERN.exec(String(text));
  const unit = m?.[2]?.toLowerCase() ?? '';
  if (!m || !(unit in units)) {
    fail('INVALID_PROPERTY', `${name}: '${text}' is not a ${what} (examples: ${what === 'size' ? '64kb, 512mb, 1gb' : '500ms, 3s, 5min, 7d'})`);
  }
  const value = Math.round(Number(m[1]) * units[unit]!);
  if (!Number.isSafeInteger(value)) fail('INVALID_PROPERTY', `${name}: '${text}' is too large`);
  return value;
}

export function parseSizeBytes(text: string, name = 'size'): number {
  return parseWithUnits(text, SIZE_UNITS, 'size', name);
}

export function parseDurationMs(text: string, name = 'duration'): number {
  return parseWithUnits(text, DURATION_UNITS, 'duration', name);
}
