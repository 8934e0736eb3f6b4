import { describe, expect, it } from 'vitest';
import type { WriteResult } from '../../src/client/index.js';
import { WriteTally } from '../../src/cli/write-tally.js';

const reply = (rows: number[]): WriteResult => ({ rows: rows.reduce((a, b) => a + b, 0), buckets: rows.map((n, bucket) => ({ bucket, baseOffset: 0n, rows: n })) });

describe('write tally', () => {
  it('counts deletes by the keys the server removed, once per batch reply', () => {
    const t = new WriteTally(1);
    const upserts = reply([2]);
    t.acknowledged(t.sent(), 'upsert', upserts);
    t.acknowledged(t.sent(), 'upsert', upserts);
    const deletes = reply([1, 0]); // three keys sent, one existed
    for (let i = 0; i < 3; i++) t.acknowledged(t.sent(), 'delete', deletes);
    t.beforeImages = 1;
    expect(t.summary('db.t', 'upsert')).toBe('upserted 2 and deleted 1 rows in db.t (2 deletes found no row, 1 -U line skipped)');
    expect(t.acknowledgedRows).toBe(5);
  });

  it('after a bad line: nothing from it on was written, resume there', () => {
    const t = new WriteTally(10);
    for (let i = 0; i < 3; i++) t.acknowledged(t.sent(), 'append');
    t.badLine(13, "column 'n' is not nullable");
    expect(t.stopAdvice('f.jsonl', 13, t.summary('db.t', 'append'))).toBe(
      'stopped at f.jsonl:13: appended 3 rows to db.t from lines 10-12; nothing from line 13 on was written. Fix line 13, then resume with --from-line 13',
    );
  });

  it('after a refused batch: the first failed line wins, and rows acknowledged beyond it are counted whatever order replies came in', () => {
    const t = new WriteTally(1);
    const rows = Array.from({ length: 2000 }, () => t.sent());
    for (const r of rows.slice(1500)) t.acknowledged(r, 'append'); // a later batch answered first
    for (const r of rows.slice(1000, 1500)) t.failed(r, r + 1, new Error('refused'));
    for (const r of rows.slice(0, 1000)) t.acknowledged(r, 'append');
    t.failed(rows[1200]!, 1201, new Error('later'));
    expect(t.firstFailure).toMatchObject({ line: 1001, message: 'refused' });
    expect(t.stopAdvice('stdin', 1001, t.summary('db.t', 'append'))).toBe(
      'stopped at stdin:1001: appended 1500 rows to db.t from lines 1-1000; 500 rows after line 1001 were acknowledged too (they were in flight): resuming writes them again. Fix line 1001, then resume with --from-line 1001',
    );
  });
});
