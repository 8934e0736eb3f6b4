import { LakestreamError } from '../common/errors.js';

/**
 * Retries only what the catalogue calls retriable (OVERLOADED, SHUTTING_DOWN, REQUEST_TIMEOUT,
 * LAKE_UNAVAILABLE) and what the network breaks (NETWORK, TIMEOUT), with jittered exponential
 * backoff; a storage fault, a full disk or a server bug (STORAGE_ERROR, INSUFFICIENT_STORAGE,
 * INTERNAL) is thrown at once, as a retry loop cannot mend it:
 *
 *   base(n)  = min(maxBackoffMs, initialBackoffMs * multiplier^(n-1))       n = failed attempts so far
 *   delay(n) = base(n) * (1 - jitter + 2 * jitter * random())             then capped at maxBackoffMs
 *   with Retry-After: max(delay(n), min(retryAfterMs, maxRetryAfterMs))   the server's wish wins
 *
 * and gives up after `maxAttempts` attempts in all (the first one included).
 */
export interface RetryOptions {
  /** Attempts in all, the first included; 1 disables retries. */
  readonly maxAttempts?: number;
  readonly initialBackoffMs?: number;
  /** Cap on the computed backoff of one wait. */
  readonly maxBackoffMs?: number;
  readonly multiplier?: number;
  /** Fraction of the delay randomised either way, from 0 (none) to 1. */
  readonly jitter?: number;
  /** Cap on how long one `Retry-After` may make us wait. */
  readonly maxRetryAfterMs?: number;
}

export type RetryPolicy = Required<RetryOptions>;

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  maxAttempts: 6,
  initialBackoffMs: 100,
  maxBackoffMs: 5_000,
  multiplier: 2,
  jitter: 0.2,
  maxRetryAfterMs: 60_000,
});

/** Attempts allowed at most, whatever the caller asks: a limit on everything. */
export const RETRY_ATTEMPTS_MAX = 100;

export function retryPolicy(opts: RetryOptions = {}): RetryPolicy {
  const p: RetryPolicy = { ...DEFAULT_RETRY, ...stripUndefined(opts) };
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new LakestreamError('INVALID_PARAMETER', `retry.${what}`);
  };
  check(Number.isInteger(p.maxAttempts) && p.maxAttempts >= 1 && p.maxAttempts <= RETRY_ATTEMPTS_MAX, `maxAttempts must be an integer from 1 to ${RETRY_ATTEMPTS_MAX}`);
  check(Number.isFinite(p.initialBackoffMs) && p.initialBackoffMs >= 0, 'initialBackoffMs must be >= 0');
  check(Number.isFinite(p.maxBackoffMs) && p.maxBackoffMs >= p.initialBackoffMs, 'maxBackoffMs must be >= initialBackoffMs');
  check(Number.isFinite(p.multiplier) && p.multiplier >= 1, 'multiplier must be >= 1');
  check(Number.isFinite(p.jitter) && p.jitter >= 0 && p.jitter <= 1, 'jitter must be from 0 to 1');
  check(Number.isFinite(p.maxRetryAfterMs) && p.maxRetryAfterMs >= 0, 'maxRetryAfterMs must be >= 0');
  return Object.freeze(p);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The wait before the next attempt after `failedAttempts` attempts failed with `error`, or null to
 * give up (not retriable, or attempts exhausted). `random` returns [0, 1), injected for tests.
 */
export function retryDelayMs(failedAttempts: number, error: unknown, policy: RetryPolicy, random: () => number = Math.random): number | null {
  if (!(error instanceof LakestreamError) || !error.retriable) return null;
  if (failedAttempts >= policy.maxAttempts) return null;
  const exp = policy.initialBackoffMs * policy.multiplier ** Math.max(0, failedAttempts - 1);
  const base = Math.min(policy.maxBackoffMs, exp);
  const factor = 1 - policy.jitter + 2 * policy.jitter * random();
  let delay = Math.min(policy.maxBackoffMs, Math.max(0, base * factor));
  const retryAfterMs = error.details?.retryAfterMs;
  if (typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs > 0) {
    delay = Math.max(delay, Math.min(retryAfterMs, policy.maxRetryAfterMs));
  }
  return Math.round(delay);
}

export interface RetryContext {
  /** Aborting stops waiting and rethrows the last error. */
  readonly signal?: AbortSignal;
  /** Extra veto, e.g. "not if a non-idempotent request may have reached the server". */
  readonly canRetry?: (error: LakestreamError) => boolean;
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called before each wait; for logging and metrics. */
  readonly onRetry?: (error: LakestreamError, failedAttempts: number, delayMs: number) => void;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Runs `attempt(n)` (n from 1) until it succeeds, fails with something not worth retrying, or the policy gives up. */
export async function withRetry<T>(attempt: (n: number) => Promise<T>, policy: RetryPolicy, ctx: RetryContext = {}): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      const delay = retryDelayMs(n, e, policy, ctx.random);
      if (delay === null || ctx.signal?.aborted) throw e;
      const err = e as LakestreamError;
      if (ctx.canRetry && !ctx.canRetry(err)) throw e;
      ctx.onRetry?.(err, n, delay);
      await (ctx.sleep ?? sleep)(delay, ctx.signal);
      if (ctx.signal?.aborted) throw e;
    }
  }
}
