import { describe, expect, it } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import { DEFAULT_RETRY, retryDelayMs, retryPolicy, withRetry } from '../../src/client/retry.js';

const overloaded = (retryAfterMs?: number): LakestreamError =>
  new LakestreamError('OVERLOADED', 'busy', retryAfterMs === undefined ? {} : { retryAfterMs });

describe('retry policy', () => {
  const noJitter = retryPolicy({ jitter: 0, initialBackoffMs: 100, multiplier: 2, maxBackoffMs: 1000, maxAttempts: 10 });

  it('backs off exponentially and caps the wait', () => {
    const delays = [1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, overloaded(), noJitter));
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('jitters within ±jitter of the base delay and never past the cap', () => {
    const p = retryPolicy({ jitter: 0.5, initialBackoffMs: 100, maxBackoffMs: 1000, maxAttempts: 50 });
    expect(retryDelayMs(1, overloaded(), p, () => 0)).toBe(50);
    expect(retryDelayMs(1, overloaded(), p, () => 0.999999)).toBe(150);
    expect(retryDelayMs(20, overloaded(), p, () => 0.999999)).toBe(1000);
    for (let i = 0; i < 100; i++) {
      const d = retryDelayMs(2, overloaded(), p)!;
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(300);
    }
  });

  it('does not retry errors that are not retriable, nor non-lakestream errors', () => {
    expect(retryDelayMs(1, new LakestreamError('TABLE_NOT_FOUND', 'x'), noJitter)).toBeNull();
    expect(retryDelayMs(1, new LakestreamError('OUT_OF_ORDER_SEQUENCE', 'x'), noJitter)).toBeNull();
    expect(retryDelayMs(1, new Error('bug'), noJitter)).toBeNull();
  });

  it('retries NETWORK, TIMEOUT, OVERLOADED, SHUTTING_DOWN, REQUEST_TIMEOUT, LAKE_UNAVAILABLE', () => {
    for (const code of ['NETWORK', 'TIMEOUT', 'OVERLOADED', 'SHUTTING_DOWN', 'REQUEST_TIMEOUT', 'LAKE_UNAVAILABLE'] as const) {
      expect(retryDelayMs(1, new LakestreamError(code, 'x'), noJitter)).toBe(100);
    }
  });

  it('does not retry a server bug, a storage fault or a full disk', () => {
    for (const code of ['INTERNAL', 'STORAGE_ERROR', 'INSUFFICIENT_STORAGE'] as const) {
      expect(retryDelayMs(1, new LakestreamError(code, 'x'), noJitter)).toBeNull();
    }
  });

  it('withRetry makes one attempt only when the server reports a storage fault', async () => {
    let attempts = 0;
    const failing = withRetry(async () => {
      attempts++;
      throw new LakestreamError('STORAGE_ERROR', 'the index could not be written');
    }, noJitter, { sleep: async () => undefined });
    await expect(failing).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    expect(attempts).toBe(1);
  });

  it('gives up after maxAttempts attempts in all', () => {
    const p = retryPolicy({ maxAttempts: 3, jitter: 0 });
    expect(retryDelayMs(2, overloaded(), p)).not.toBeNull();
    expect(retryDelayMs(3, overloaded(), p)).toBeNull();
  });

  it('honours Retry-After when it asks for longer than the backoff, up to maxRetryAfterMs', () => {
    expect(retryDelayMs(1, overloaded(2500), noJitter)).toBe(2500);
    expect(retryDelayMs(4, overloaded(10), noJitter)).toBe(800);
    const capped = retryPolicy({ jitter: 0, maxRetryAfterMs: 3000 });
    expect(retryDelayMs(1, overloaded(3_600_000), capped)).toBe(3000);
  });

  it('refuses nonsense settings', () => {
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => retryPolicy({ jitter: 2 })).toThrow(/jitter/);
    expect(() => retryPolicy({ initialBackoffMs: 500, maxBackoffMs: 100 })).toThrow(/maxBackoffMs/);
    expect(retryPolicy({})).toEqual(DEFAULT_RETRY);
  });
});

describe('withRetry', () => {
  const fast = { sleep: async () => {}, random: () => 0.5 };

  it('retries a retriable failure and returns the later success', async () => {
    let calls = 0;
    const waits: number[] = [];
    const result = await withRetry(async () => {
      calls++;
      if (calls < 3) throw overloaded();
      return 'ok';
    }, retryPolicy({ jitter: 0 }), { ...fast, onRetry: (_e, _n, ms) => waits.push(ms) });
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(waits).toEqual([100, 200]);
  });

  it('throws a non-retriable error at once', async () => {
    let calls = 0;
    await expect(withRetry(async () => {
      calls++;
      throw new LakestreamError('INVALID_VALUE', 'bad');
    }, DEFAULT_RETRY, fast)).rejects.toMatchObject({ code: 'INVALID_VALUE' });
    expect(calls).toBe(1);
  });

  it('throws the last error when attempts run out', async () => {
    let calls = 0;
    await expect(withRetry(async () => {
      calls++;
      throw overloaded();
    }, retryPolicy({ maxAttempts: 4 }), fast)).rejects.toMatchObject({ code: 'OVERLOADED' });
    expect(calls).toBe(4);
  });

  it('lets canRetry veto a retry', async () => {
    let calls = 0;
    await expect(withRetry(async () => {
      calls++;
      throw new LakestreamError('TIMEOUT', 't');
    }, DEFAULT_RETRY, { ...fast, canRetry: (e) => e.code !== 'TIMEOUT' })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(calls).toBe(1);
  });

  it('stops retrying once the signal aborts', async () => {
    const ac = new AbortController();
    let calls = 0;
    await expect(withRetry(async () => {
      calls++;
      ac.abort();
      throw overloaded();
    }, DEFAULT_RETRY, { ...fast, signal: ac.signal })).rejects.toMatchObject({ code: 'OVERLOADED' });
    expect(calls).toBe(1);
  });
});
