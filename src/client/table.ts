import type { AppendWriterOptions } from './append-writer.js';
import { AppendWriter } from './append-writer.js';
import type { TableContext } from './context.js';
import type { LookuperOptions } from './lookuper.js';
import { Lookuper, PrefixLookuper } from './lookuper.js';
import type { ScannerOptions } from './scanner.js';
import { LogScanner } from './scanner.js';
import type { UpsertWriterOptions } from './upsert-writer.js';
import { UpsertWriter } from './upsert-writer.js';
import type { BucketInfo, TableDescription } from './wire.js';
import { parseBucketInfo, parseOffsetReply } from './wire.js';

/** One table, with the description fetched when it was opened. Hands out writers, lookupers, scanners. */
export class Table {
  private readonly ctx: TableContext;

  constructor(ctx: TableContext) {
    this.ctx = ctx;
  }

  get database(): string {
    return this.ctx.database;
  }

  get name(): string {
    return this.ctx.table;
  }

  get description(): TableDescription {
    return this.ctx.description;
  }

  /** Batched, idempotent appends to a log table. */
  appendWriter(opts: AppendWriterOptions = {}): AppendWriter {
    return new AppendWriter(this.ctx, opts);
  }

  /** Batched, idempotent upserts (optionally partial) and deletes on a primary-key table. */
  upsertWriter(opts: UpsertWriterOptions = {}): UpsertWriter {
    return new UpsertWriter(this.ctx, opts);
  }

  lookuper(opts: LookuperOptions = {}): Lookuper {
    return new Lookuper(this.ctx, opts);
  }

  prefixLookuper(opts: LookuperOptions = {}): PrefixLookuper {
    return new PrefixLookuper(this.ctx, opts);
  }

  scanner(opts: ScannerOptions = {}): LogScanner {
    return new LogScanner(this.ctx, opts);
  }

  /** The changelog of a primary-key table (or the log of a log table): `scanner()` under Fluss's word. */
  changelog(opts: ScannerOptions = {}): LogScanner {
    return this.scanner(opts);
  }

  /** `earliest`, `latest`, or the first offset committed at or after an epoch-ms timestamp. */
  async offset(bucket: number, at: 'earliest' | 'latest' | number): Promise<bigint> {
    const body = await this.ctx.http.json({
      method: 'GET',
      path: this.ctx.path('buckets', bucket, 'offsets'),
      query: { at: typeof at === 'number' ? String(Math.trunc(at)) : at },
      idempotent: true,
    });
    return parseOffsetReply(body);
  }

  async bucketInfo(bucket: number): Promise<BucketInfo> {
    const body = await this.ctx.http.json({ method: 'GET', path: this.ctx.path('buckets', bucket), idempotent: true });
    return parseBucketInfo(body);
  }
}
