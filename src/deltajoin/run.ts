import type { Column, Connection, Table } from '../client/index.js';
import { LakestreamError } from '../common/errors.js';
import type { DeltaJoinStart, JoinedChange } from './operator.js';
import { deltaJoin } from './operator.js';
import { OffsetStore } from './offsets.js';
import { JoinSink } from './sink.js';
import type { Side } from './spec.js';
import { retractKey } from './algebra.js';

/**
 * The `join` pipeline: a delta join from two tables into a sink table (or to a callback), resuming
 * from the offsets saved under the job's name, saving them as it goes, until `signal` aborts; then
 * it finishes the batch in hand, flushes the sink, saves the offsets and resolves.
 */
export interface RunJoinOptions {
  readonly conn: Connection;
  /** `db.table` */
  readonly left: string;
  readonly right: string;
  readonly on: string;
  /** `db.table` of the sink; without it every output change goes to `emit`. */
  readonly into?: string;
  /** Receives each output change and the output columns (types, for JSON forms). */
  readonly emit?: (change: JoinedChange, columns: readonly Column[]) => void | Promise<void>;
  /** Where to start when no offsets are saved (default `full`). */
  readonly from?: 'full' | 'earliest' | 'latest';
  /** Name the offsets are saved under; default `<left>~<right>~<into or stdout>`. */
  readonly job?: string;
  /** Ignore saved offsets (they are overwritten). */
  readonly reset?: boolean;
  /** Do not read or save offsets. */
  readonly noOffsets?: boolean;
  readonly saveEveryMs?: number;
  readonly progressEveryMs?: number;
  readonly onProgress?: (p: RunJoinProgress) => void;
  readonly onInfo?: (message: string) => void;
  readonly signal?: AbortSignal;
  readonly settleMs?: number;
  readonly maxBatchChanges?: number;
}

export interface RunJoinProgress {
  readonly changesIn: Readonly<Record<Side, number>>;
  readonly opsOut: number;
  readonly upserts: number;
  readonly deletes: number;
  readonly lookups: number;
  /** Records behind the high watermark, per bucket, as of the last applied batch. */
  readonly lag: Readonly<Record<Side, Record<number, string>>>;
  readonly resumed: boolean;
}

export function splitTableName(text: string, what: string): [string, string] {
  const dot = text.indexOf('.');
  if (dot <= 0 || dot === text.length - 1 || text.indexOf('.', dot + 1) >= 0) {
    throw new LakestreamError('INVALID_PARAMETER', `${what} '${text}' is not 'database.table'`);
  }
  return [text.slice(0, dot), text.slice(dot + 1)];
}

async function openTable(conn: Connection, text: string, what: string): Promise<Table> {
  const [db, t] = splitTableName(text, what);
  return conn.table(db, t);
}

export async function runJoin(opts: RunJoinOptions): Promise<RunJoinProgress> {
  const { conn } = opts;
  const [left, right] = await Promise.all([openTable(conn, opts.left, 'left table'), openTable(conn, opts.right, 'right table')]);
  const into = opts.into ? await openTable(conn, opts.into, 'sink') : undefined;
  if (!into && !opts.emit) throw new LakestreamError('INVALID_PARAMETER', 'a join needs a sink table or an emit callback');
  const job = opts.job ?? `${opts.left}~${opts.right}~${opts.into ?? 'stdout'}`;
  const store = opts.noOffsets ? undefined : await OffsetStore.open(conn);
  const saved = store && !opts.reset ? await store.load(job) : undefined;
  if (saved && (saved.leftTable !== opts.left || saved.rightTable !== opts.right || saved.sink !== (opts.into ?? ''))) {
    throw new LakestreamError('INVALID_PARAMETER', `job '${job}' has offsets saved for ${saved.leftTable} ⋈ ${saved.rightTable} into ${saved.sink || 'stdout'}; pass another --job, or --reset to start this one over`);
  }
  const from: DeltaJoinStart = saved ? { left: saved.offsets.left, right: saved.offsets.right } : (opts.from ?? 'full');
  const join = deltaJoin({
    left, right, on: opts.on, ...(into ? { into } : {}), from,
    ...(opts.settleMs !== undefined ? { settleMs: opts.settleMs } : {}),
    ...(opts.maxBatchChanges !== undefined ? { maxBatchChanges: opts.maxBatchChanges } : {}),
  });
  opts.onInfo?.(saved ? `job '${job}': resuming from offsets saved ${new Date(saved.updatedAt).toISOString()}` : `job '${job}': starting from ${typeof from === 'string' ? from : 'offsets'}`);
  const sink = into ? new JoinSink(join, into) : undefined;
  const outputColumns: Column[] = join.plan.output.map((o) => ({ ...o.column, name: o.name }));
  let upserts = 0;
  let deletes = 0;
  let sinkLookups = 0;
  let applied: Record<Side, Record<number, bigint>> | undefined;
  let lastSaveMs = Date.now();
  let lastSaved: string | undefined;
  const lag: Record<Side, Record<number, string>> = { left: {}, right: {} };

  const save = async (): Promise<void> => {
    if (!store || !applied) return;
    const text = JSON.stringify(applied, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    if (text === lastSaved) return;
    await store.save({ job, leftTable: opts.left, rightTable: opts.right, sink: opts.into ?? '', offsets: applied });
    lastSaved = text;
    lastSaveMs = Date.now();
  };
  const progress = (): RunJoinProgress => ({
    changesIn: { ...join.stats.changesIn },
    opsOut: join.stats.opsOut,
    upserts,
    deletes,
    lookups: join.stats.lookups + sinkLookups,
    lag: { left: { ...lag.left }, right: { ...lag.right } },
    resumed: saved !== undefined,
  });
  const refreshLag = async (): Promise<void> => {
    if (!applied) return;
    for (const side of ['left', 'right'] as const) {
      const t = side === 'left' ? left : right;
      await Promise.all(Object.entries(applied[side]).map(async ([b, pos]) => {
        const info = await t.bucketInfo(Number(b));
        lag[side][Number(b)] = (info.highWatermark > pos ? info.highWatermark - pos : 0n).toString();
      }));
    }
  };
  let ticker: NodeJS.Timeout | undefined;
  if (opts.onProgress && (opts.progressEveryMs ?? 0) > 0) {
    ticker = setInterval(() => {
      refreshLag().then(() => opts.onProgress!(progress()), () => opts.onProgress!(progress()));
    }, opts.progressEveryMs);
    ticker.unref();
  }
  const onAbort = (): void => join.stop();
  if (opts.signal?.aborted) join.stop();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const batch of join.batches()) {
      if (sink) {
        const r = await sink.apply(batch);
        upserts += r.upserts;
        deletes += r.deletes;
        sinkLookups += r.lookups;
      } else {
        for (const op of batch.ops) {
          if (op.kind === 'upsert') upserts++;
          else deletes++;
          await opts.emit!(op.kind === 'upsert' ? { type: '+U', row: op.row } : { type: '-D', row: retractKey(join.plan, op.side, op.row) }, outputColumns);
        }
      }
      if (batch.positions.left && batch.positions.right) applied = { left: batch.positions.left, right: batch.positions.right };
      if (Date.now() - lastSaveMs >= (opts.saveEveryMs ?? 2000)) await save();
    }
    await sink?.close();
    // Every batch taken was handed out and applied: the source's positions are the applied ones
    // (they also cover buckets that saw no change since a `full` start's snapshot).
    const final = join.positions();
    if (final.left && final.right) applied = { left: final.left, right: final.right };
    await save();
  } finally {
    if (ticker) clearInterval(ticker);
    opts.signal?.removeEventListener('abort', onAbort);
    await join.close();
    await sink?.close().catch(() => {});
  }
  await refreshLag().catch(() => {});
  return progress();
}
