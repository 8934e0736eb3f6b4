import { LakestreamError } from '../common/errors.js';
import { rowToJson } from '../common/json-values.js';
import type { Column } from '../common/schema.js';
import type { Row } from '../common/values.js';
import { Coalescer } from './coalescer.js';
import type { TableContext } from './context.js';
import { ARROW_STREAM } from './http.js';
import { lookupReplyRows, lookupRequestIpc } from './lookup-wire.js';
import type { RowInput } from './rows.js';
import { pickColumns, rowFromWire, toRow } from './rows.js';

/** The server refuses more keys than this in one request (TOO_MANY_KEYS). */
export const LOOKUP_KEYS_MAX = 10_000;

export interface LookuperOptions {
  /** Keys per request at most (up to 10,000). */
  readonly maxBatchKeys?: number;
  /** How long to gather keys; 0 = the calls made in the current turn of the event loop. */
  readonly lingerMs?: number;
  /** Requests in flight at most. */
  readonly maxInFlight?: number;
}

function resolveOptions(opts: LookuperOptions): { maxBatch: number; lingerMs: number; maxInFlight: number } {
  const maxBatch = opts.maxBatchKeys ?? 1000;
  if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > LOOKUP_KEYS_MAX) {
    throw new LakestreamError('INVALID_PARAMETER', `maxBatchKeys must be an integer from 1 to ${LOOKUP_KEYS_MAX}`);
  }
  return { maxBatch, lingerMs: opts.lingerMs ?? 0, maxInFlight: opts.maxInFlight ?? 4 };
}

function requirePrimaryKey(ctx: TableContext, what: string): void {
  if (ctx.description.kind !== 'primary-key') {
    throw new LakestreamError('UNSUPPORTED_OPERATION', `${ctx.database}.${ctx.table} is a log table: ${what} needs a primary key`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function badReply(what: string, body: unknown): never {
  throw new LakestreamError('INTERNAL', `the server sent an unexpected ${what} reply: ${JSON.stringify(body)?.slice(0, 300)}`);
}

/**
 * What both lookupers share: keys checked at the call, concurrent calls coalesced into one request,
 * and close() that waits for every answer.
 */
abstract class CoalescedLookuper<R> {
  private readonly unregister: () => void;
  private closed = false;

  protected constructor(
    ctx: TableContext,
    private readonly keyColumns: readonly Column[],
    private readonly required: readonly string[],
    private readonly coalescer: Coalescer<Row, R>,
  ) {
    this.unregister = ctx.register(this);
  }

  protected request(key: RowInput): Promise<R> {
    let checked: Row;
    try {
      if (this.closed) throw new LakestreamError('UNSUPPORTED_OPERATION', 'the lookuper is closed');
      checked = toRow(this.keyColumns, key, { required: this.required });
    } catch (e) {
      return Promise.reject(e);
    }
    return this.coalescer.add(checked);
  }

  /** Refuses further lookups and resolves once every lookup made so far has its answer. */
  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.coalescer.drain();
    } finally {
      this.unregister();
    }
  }
}

/**
 * Below this many keys a lookup goes as JSON: Arrow's fixed cost per message (schema and batch
 * metadata written and read on both ends, ~0.3 ms on a 2-core machine) outweighs its per-row saving
 * (measured: JSON is faster up to ~128 keys, Arrow from ~1,000).
 */
export const ARROW_LOOKUP_KEYS_MIN = 256;

async function lookupJson(ctx: TableContext, keyColumns: readonly Column[], keys: readonly Row[]): Promise<(Row | null)[]> {
  const body = await ctx.http.json({ method: 'POST', path: ctx.path('lookup'), body: JSON.stringify({ keys: keys.map((k) => rowToJson(keyColumns, k)) }), contentType: 'application/json', idempotent: true });
  if (!isRecord(body) || !Array.isArray(body.rows) || body.rows.length !== keys.length) badReply('lookup', body);
  return (body.rows as unknown[]).map((r) => (r === null ? null : rowFromWire(ctx.description.columns, r)));
}

async function lookupArrow(ctx: TableContext, keyColumns: readonly Column[], keys: readonly Row[]): Promise<(Row | null)[]> {
  const reply = await ctx.http.send({
    method: 'POST', path: ctx.path('lookup'), body: lookupRequestIpc(keyColumns, keys), contentType: ARROW_STREAM, accept: ARROW_STREAM, idempotent: true,
  });
  return lookupReplyRows(ctx.description.columns, reply.bytes);
}

/**
 * Point lookups by full primary key. Concurrent `lookup()` calls share one `/lookup` request; a
 * large batch goes on the Arrow wire (see lookup-wire.ts: the keys as one Arrow batch, the rows back
 * as one batch read column by column, `__found` telling a missing key), a small one as JSON:
 *
 *   POST .../lookup  {"keys": [{...}, ...]}  ->  {"rows": [row | null, ...]}   (same order)
 */
export class Lookuper extends CoalescedLookuper<Row | null> {
  constructor(ctx: TableContext, opts: LookuperOptions = {}) {
    requirePrimaryKey(ctx, 'lookup');
    const primaryKey = ctx.description.primaryKey;
    const keyColumns = pickColumns(ctx.description.columns, primaryKey, 'primary key');
    super(ctx, keyColumns, primaryKey, new Coalescer({
      ...resolveOptions(opts),
      dispatch: (keys) => (keys.length < ARROW_LOOKUP_KEYS_MIN ? lookupJson(ctx, keyColumns, keys) : lookupArrow(ctx, keyColumns, keys)),
    }));
  }

  /** The current row with this primary key, or null. Key values take the same forms as rows. */
  lookup(key: RowInput): Promise<Row | null> {
    return this.request(key);
  }
}

/**
 * Lookups by bucket-key prefix: every current row whose primary key starts with the given bucket-key
 * values, coalesced like Lookuper:
 *
 *   POST .../prefix-lookup  {"prefixes": [{...}, ...]}  ->  {"rows": [[row, ...], ...]}
 */
export class PrefixLookuper extends CoalescedLookuper<Row[]> {
  constructor(ctx: TableContext, opts: LookuperOptions = {}) {
    requirePrimaryKey(ctx, 'prefix lookup');
    const columns = ctx.description.columns;
    const bucketKey = ctx.description.bucketKey;
    const keyColumns = pickColumns(columns, bucketKey, 'bucket key');
    super(ctx, keyColumns, bucketKey, new Coalescer({
      ...resolveOptions(opts),
      dispatch: async (keys) => {
        const prefixes = keys.map((k) => rowToJson(keyColumns, k));
        const body = await ctx.http.json({ method: 'POST', path: ctx.path('prefix-lookup'), body: JSON.stringify({ prefixes }), contentType: 'application/json', idempotent: true });
        if (!isRecord(body) || !Array.isArray(body.rows)) badReply('prefix-lookup', body);
        return (body.rows as unknown[]).map((group) => {
          if (!Array.isArray(group)) badReply('prefix-lookup', body);
          return group.map((r) => rowFromWire(columns, r));
        });
      },
    }));
  }

  /** All current rows whose bucket-key columns equal `prefix`, in key order. */
  lookup(prefix: RowInput): Promise<Row[]> {
    return this.request(prefix);
  }
}
