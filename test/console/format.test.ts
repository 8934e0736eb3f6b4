import { describe, expect, it } from 'vitest';
import { formatAgo, formatBytes, formatBytesRate, formatCount, formatDuration, formatInstant, formatMs, formatRate, formatSi, formatValue } from '../../src/console/format.js';

describe('console format', () => {
  it('writes sizes in binary units, one decimal below 10', () => {
    expect([0, 980, 1023, 1024, 1536, 10 * 1024, 5 * 1024 ** 2 + 1, 3 * 1024 ** 4].map(formatBytes)).toEqual(['0 B', '980 B', '1023 B', '1.0 KiB', '1.5 KiB', '10 KiB', '5.0 MiB', '3.0 TiB']);
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
    expect(formatBytesRate(2048)).toBe('2.0 KiB/s');
  });

  it('writes rates and axis values in SI units', () => {
    expect([0, 0.5, 12, 999, 1000, 1250, 34_000_000].map(formatSi)).toEqual(['0', '0.5', '12', '999', '1.0k', '1.3k', '34M']);
    expect(formatRate(238.1)).toBe('238/s');
    expect(formatRate(Number.POSITIVE_INFINITY)).toBe('—');
  });

  it('keeps int64 counts exact, with digit groups', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount('9223372036854775807')).toBe('9,223,372,036,854,775,807');
    expect(formatCount(-1000n)).toBe('-1,000');
    expect(formatCount('12.5')).toBe('—');
  });

  it('writes latencies and spans of time coarsely', () => {
    expect([0, 0.25, 4.56, 12.4].map(formatMs)).toEqual(['0 ms', '0.25 ms', '4.6 ms', '12 ms']);
    expect([0, 850, 4200, 12_900, 200_000, 3_600_000, 7_500_000, 90_000_000].map(formatDuration)).toEqual(['0 ms', '850 ms', '4.2 s', '12 s', '3 min 20 s', '1 h', '2 h 5 min', '1 d 1 h']);
    expect(formatDuration(-5)).toBe('—');
    expect(formatAgo(10_000, 10_400)).toBe('just now');
    expect(formatAgo(0, 65_000)).toBe('1 min 5 s ago');
  });

  it('writes instants in UTC to the second, and row values as their JSON says', () => {
    expect(formatInstant(Date.UTC(2026, 11, 4, 10, 0, 3, 456))).toBe('2026-12-04 10:00:03Z');
    expect(formatInstant(null)).toBe('—');
    expect([null, 'ann', 7, true, { a: 1 }].map(formatValue)).toEqual(['null', 'ann', '7', 'true', '{"a":1}']);
  });
});
