import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG, type ErrorCode } from '../../src/common/errors.js';

/** What may be retried: the refusal changed nothing and the same request may succeed soon, unaided. */
const RETRIABLE: readonly ErrorCode[] = ['REQUEST_TIMEOUT', 'OVERLOADED', 'SHUTTING_DOWN', 'LAKE_UNAVAILABLE', 'NETWORK', 'TIMEOUT'];

describe('error catalogue', () => {
  it('errors: only codes that are safe to retry are retriable', () => {
    const retriable = Object.entries(ERROR_CATALOG).filter(([, e]) => e.retriable).map(([code]) => code);
    expect(retriable.sort()).toEqual([...RETRIABLE].sort());
  });

  it('errors: a storage fault is a 503, a full disk a 507, a server bug a 500, none of them retriable', () => {
    expect(ERROR_CATALOG.STORAGE_ERROR).toEqual({ status: 503, retriable: false });
    expect(ERROR_CATALOG.INSUFFICIENT_STORAGE).toEqual({ status: 507, retriable: false });
    expect(ERROR_CATALOG.INTERNAL).toEqual({ status: 500, retriable: false });
  });

  it('errors: every retriable code the server sends is a 408 or a 503 (0: made by the client)', () => {
    for (const code of RETRIABLE) expect([0, 408, 503]).toContain(ERROR_CATALOG[code].status);
  });

  it('errors: INTERNAL is the only 500', () => {
    expect(Object.entries(ERROR_CATALOG).filter(([, e]) => e.status === 500).map(([code]) => code)).toEqual(['INTERNAL']);
  });
});
