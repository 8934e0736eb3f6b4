import { describe, expect, it } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import { Coalescer } from '../../src/client/coalescer.js';

describe('lookup coalescer', () => {
  it('sends the calls of one turn as one batch and answers each in order', async () => {
    const batches: number[][] = [];
    const c = new Coalescer<number, string>({ maxBatch: 100, lingerMs: 0, maxInFlight: 4, dispatch: async (xs) => { batches.push(xs); return xs.map((x) => `v${x}`); } });
    const answers = await Promise.all([1, 2, 3].map((x) => c.add(x)));
    expect(answers).toEqual(['v1', 'v2', 'v3']);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('cuts batches at maxBatch', async () => {
    const batches: number[][] = [];
    const c = new Coalescer<number, number>({ maxBatch: 2, lingerMs: 0, maxInFlight: 4, dispatch: async (xs) => { batches.push(xs); return xs; } });
    expect(await Promise.all([1, 2, 3, 4, 5].map((x) => c.add(x)))).toEqual([1, 2, 3, 4, 5]);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('gathers calls made during the linger into one batch', async () => {
    const batches: number[][] = [];
    const c = new Coalescer<number, number>({ maxBatch: 100, lingerMs: 200, maxInFlight: 4, dispatch: async (xs) => { batches.push(xs); return xs; } });
    const a = c.add(1);
    await new Promise(setImmediate); // a later turn, well inside the linger
    const b = c.add(2);
    await Promise.all([a, b]);
    expect(batches).toEqual([[1, 2]]);
  });

  it('runs at most maxInFlight dispatches at once', async () => {
    let open = 0;
    let peak = 0;
    const c = new Coalescer<number, number>({
      maxBatch: 1, lingerMs: 0, maxInFlight: 2,
      dispatch: async (xs) => {
        open++;
        peak = Math.max(peak, open);
        await new Promise((r) => setTimeout(r, 5));
        open--;
        return xs;
      },
    });
    expect(await Promise.all([1, 2, 3, 4, 5].map((x) => c.add(x)))).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
  });

  it('rejects every call of a batch that failed, and only those', async () => {
    const c = new Coalescer<number, number>({
      maxBatch: 2, lingerMs: 0, maxInFlight: 4,
      dispatch: async (xs) => { if (xs.includes(3)) throw new LakestreamError('TOO_MANY_KEYS', 'no'); return xs; },
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((x) => c.add(x)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
  });

  it('rejects when the server answers a different number of results', async () => {
    const c = new Coalescer<number, number>({ maxBatch: 10, lingerMs: 0, maxInFlight: 1, dispatch: async () => [1] });
    await expect(Promise.all([c.add(1), c.add(2)])).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('drain() waits for everything outstanding', async () => {
    const done: number[] = [];
    const c = new Coalescer<number, number>({ maxBatch: 10, lingerMs: 1000, maxInFlight: 1, dispatch: async (xs) => { await new Promise((r) => setTimeout(r, 5)); done.push(...xs); return xs; } });
    void c.add(1);
    void c.add(2);
    await c.drain();
    expect(done).toEqual([1, 2]);
    expect(c.waiting + c.dispatching).toBe(0);
  });
});
