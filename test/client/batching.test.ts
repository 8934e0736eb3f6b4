import { describe, expect, it } from 'vitest';
import { LakestreamError } from '../../src/common/errors.js';
import type { EncodedBatch, RowBatch, SealedBatch } from '../../src/client/batching.js';
import { BatchPipeline, batchingOptions } from '../../src/client/batching.js';
import { rowBatches } from '../../src/client/row-batches.js';
import type { RowInput } from '../../src/client/rows.js';
import { retryPolicy, withRetry } from '../../src/client/retry.js';
import { WriterSequencer } from '../../src/client/sequence.js';
import type { WriteResult } from '../../src/client/wire.js';

type Kind = 'upsert' | 'delete';

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

const reply = (rows: number): WriteResult => ({ rows, buckets: [{ bucket: 0, baseOffset: 100n, rows }] });

/** A batch of `{ id }` rows, encoded as `kind:id,id,...`; a row with `bad` does not convert. */
class IdBatch implements RowBatch {
  private readonly ids: unknown[] = [];
  byteLength = 0;

  constructor(private readonly kind: Kind) {}

  get rowCount(): number {
    return this.ids.length;
  }

  add(row: RowInput): void {
    if ('bad' in row) throw new LakestreamError('INVALID_VALUE', String(row.bad));
    this.ids.push(row.id);
    this.byteLength += 1;
  }

  encode(): EncodedBatch {
    return { body: `${this.kind}:${this.ids.join(',')}`, contentType: 'text/plain' };
  }
}

function pipeline(opts: Parameters<typeof batchingOptions>[0], transport: (b: SealedBatch<Kind>) => Promise<WriteResult>, sequencer?: WriterSequencer) {
  return new BatchPipeline<Kind, number>({
    options: batchingOptions(opts),
    newBatch: (kind) => new IdBatch(kind),
    transport,
    ack: (result, index) => result.then((r) => Number(r.buckets[0]!.baseOffset) + index),
    ...(sequencer ? { sequencer } : {}),
  });
}

const row = (id: number): RowInput => ({ id });

describe('batching writer pipeline', () => {
  it('seals a batch when batchRows rows are buffered and acks each row with its offset', async () => {
    const sent: SealedBatch<Kind>[] = [];
    const p = pipeline({ batchRows: 3, lingerMs: 10_000 }, async (b) => { sent.push(b); return reply(b.rowCount); });
    const acks = [1, 2, 3].map((i) => p.add('upsert', row(i)));
    expect(await Promise.all(acks)).toEqual([100, 101, 102]);
    expect(sent.map((b) => b.body)).toEqual(['upsert:1,2,3']);
  });

  it('sends a partial batch when the linger expires', async () => {
    const sent: string[] = [];
    const p = pipeline({ batchRows: 100, lingerMs: 5 }, async (b) => { sent.push(String(b.body)); return reply(b.rowCount); });
    await Promise.all([p.add('upsert', row(1)), p.add('upsert', row(2))]);
    expect(sent).toEqual(['upsert:1,2']);
  });

  it('seals when switching between upsert and delete, keeping the order of changes', async () => {
    const sent: string[] = [];
    const p = pipeline({ batchRows: 100, lingerMs: 10_000, maxInFlight: 1 }, async (b) => { sent.push(String(b.body)); return reply(b.rowCount); });
    void p.add('upsert', row(1));
    void p.add('upsert', row(2));
    void p.add('delete', row(1));
    void p.add('upsert', row(3));
    await p.flush();
    expect(sent).toEqual(['upsert:1,2', 'delete:1', 'upsert:3']);
  });

  it('gives every batch the writer id and an increasing sequence', async () => {
    const sent: SealedBatch<Kind>[] = [];
    const seq = new WriterSequencer(() => Uint8Array.of(0, 0, 0, 0, 0, 0, 1, 0));
    const p = pipeline({ batchRows: 1 }, async (b) => { sent.push(b); return reply(1); }, seq);
    for (let i = 0; i < 4; i++) void p.add('upsert', row(i));
    await p.flush();
    expect(sent.map((b) => b.sequence)).toEqual([0, 1, 2, 3]);
    expect(sent.map((b) => b.headers['x-batch-sequence'])).toEqual(['0', '1', '2', '3']);
    expect(new Set(sent.map((b) => b.headers['x-writer-id']))).toEqual(new Set(['256']));
  });

  it('keeps at most maxInFlight requests open and queues the rest', async () => {
    const gates: ReturnType<typeof deferred<WriteResult>>[] = [];
    let open = 0;
    let peak = 0;
    const p = pipeline({ batchRows: 1, maxInFlight: 2 }, async () => {
      open++;
      peak = Math.max(peak, open);
      const g = deferred<WriteResult>();
      gates.push(g);
      try { return await g.promise; } finally { open--; }
    });
    for (let i = 0; i < 5; i++) void p.add('upsert', row(i));
    expect(gates.length).toBe(2);
    let ready = false;
    void p.ready().then(() => { ready = true; });
    await Promise.resolve();
    expect(ready).toBe(false);
    while (gates.length < 5 || gates.some((g) => g)) {
      const g = gates.shift();
      if (!g) break;
      g.resolve(reply(1));
      await new Promise((r) => setImmediate(r));
    }
    await p.flush();
    expect(peak).toBe(2);
    expect(ready).toBe(true);
  });

  it('re-sends the same bytes under the same sequence when a retriable send fails', async () => {
    const attempts: { body: unknown; seq: string | undefined; id: string | undefined }[] = [];
    let failuresLeft = 2;
    const p = pipeline({ batchRows: 2 }, (b) => withRetry(async () => {
      attempts.push({ body: b.body, seq: b.headers['x-batch-sequence'], id: b.headers['x-writer-id'] });
      if (failuresLeft-- > 0) throw new LakestreamError('OVERLOADED', 'busy');
      return reply(b.rowCount);
    }, retryPolicy({ initialBackoffMs: 1, maxBackoffMs: 2 })));
    await Promise.all([p.add('upsert', row(7)), p.add('upsert', row(8))]);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(attempts[0]!.body).toBe('upsert:7,8');
  });

  it('rejects the rows of a failed batch, reports it at flush, and moves to a fresh writer id', async () => {
    const sent: SealedBatch<Kind>[] = [];
    let n = 0;
    const seq = new WriterSequencer(() => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, ++n));
    const p = pipeline({ batchRows: 1, maxInFlight: 1 }, async (b) => {
      sent.push(b);
      if (b.sequence === 1 && b.writerId === 1n) throw new LakestreamError('SCHEMA_MISMATCH', 'no');
      return reply(1);
    }, seq);
    const a = p.add('upsert', row(0));
    const b = p.add('upsert', row(1));
    await expect(b).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
    await a;
    const c = p.add('upsert', row(2));
    await expect(p.flush()).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
    await c;
    expect(sent.map((s) => [s.writerId, s.sequence])).toEqual([[1n, 0], [1n, 1], [2n, 0]]);
    await p.flush();
  });

  it('rejects a row that cannot be converted without sending anything, and reports it at flush', async () => {
    let sends = 0;
    const p = pipeline({}, async (b) => { sends++; return reply(b.rowCount); });
    const bad = p.add('upsert', { bad: 'not an int' });
    await expect(bad).rejects.toMatchObject({ code: 'INVALID_VALUE' });
    await expect(p.flush()).rejects.toMatchObject({ code: 'INVALID_VALUE' });
    expect(sends).toBe(0);
  });

  it('throws a row that cannot be converted from tryAdd, batching nothing and reporting nothing at flush', async () => {
    const sent: string[] = [];
    const p = pipeline({ lingerMs: 60_000 }, async (b) => { sent.push(String(b.body)); return reply(b.rowCount); });
    const first = p.tryAdd('upsert', row(1));
    expect(() => p.tryAdd('upsert', { bad: 'no' })).toThrow(expect.objectContaining({ code: 'INVALID_VALUE' }));
    expect(p.pendingRows).toBe(1);
    await p.flush();
    expect(await first).toBe(100);
    expect(sent).toEqual(['upsert:1']);
  });

  it('does not raise unhandled rejections for rows nobody awaits', async () => {
    const p = pipeline({ batchRows: 1 }, async () => { throw new LakestreamError('FORBIDDEN', 'no'); });
    void p.add('upsert', row(1));
    await expect(p.flush()).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('flushes on close and refuses rows afterwards', async () => {
    const sent: string[] = [];
    const p = pipeline({ lingerMs: 60_000 }, async (b) => { sent.push(String(b.body)); return reply(b.rowCount); });
    void p.add('upsert', row(1));
    await p.close();
    expect(sent).toEqual(['upsert:1']);
    await expect(p.add('upsert', row(2))).rejects.toMatchObject({ code: 'UNSUPPORTED_OPERATION' });
  });

  it('seals by the bytes its rows weigh', async () => {
    const sent: number[] = [];
    const p = new BatchPipeline<'append', void>({
      options: batchingOptions({ batchBytes: 100, lingerMs: 60_000 }),
      newBatch: rowBatches('arrow', [{ name: 's', type: 'string', nullable: true }], {}, 10),
      transport: async (b) => { sent.push(b.rowCount); return reply(b.rowCount); },
      ack: async () => undefined,
    });
    for (let i = 0; i < 3; i++) void p.add('append', { s: 'x'.repeat(60) }); // 64 bytes a row: offset and data
    await p.flush();
    expect(sent).toEqual([2, 1]);
  });

  it('validates batching options', () => {
    expect(() => batchingOptions({ batchRows: 0 })).toThrow(/batchRows/);
    expect(() => batchingOptions({ maxInFlight: 1000 })).toThrow(/maxInFlight/);
    expect(batchingOptions()).toEqual({ batchRows: 10_000, batchBytes: 4 * 1024 * 1024, lingerMs: 20, maxInFlight: 4, format: 'arrow' });
  });
});
