import * as A from 'apache-arrow';
import { batchRows, ipcToBatches } from '../common/arrow.js';
import { LakestreamError } from '../common/errors.js';
import type { Column } from '../common/schema.js';
import { SYSTEM_COLUMNS } from '../common/schema.js';
import type { ChangeType, Row } from '../common/values.js';
import { CHANGE_TYPES } from '../common/values.js';
import { rowFromWire } from './rows.js';
import { wireBigint } from './wire.js';

/**
 * Decoding of fetched records, both wire forms, into `ScanRecord`s (pure: bytes/JSON in, records out).
 *
 *   Arrow:  IPC stream of user columns + _log_offset int64, _commit_timestamp timestamp[ms, UTC],
 *           _change_type utf8; x-next-offset and x-high-watermark in headers
 *   JSON:   {"records": [{...user, "_log_offset", "_commit_timestamp", "_change_type"}],
 *            "nextOffset": "..", "highWatermark": ".."}
 */
export interface ScanRecord {
  readonly bucket: number;
  /** Log offset; -1n for rows read from a snapshot (startup mode `full`). */
  readonly offset: bigint;
  /** Commit time, epoch ms; -1 for rows read from a snapshot. */
  readonly timestamp: number;
  readonly changeType: ChangeType;
  readonly row: Row;
}

export interface FetchedRecords {
  readonly records: ScanRecord[];
  readonly nextOffset: bigint;
  readonly highWatermark: bigint;
}

const SYSTEM = new Set<string>(SYSTEM_COLUMNS);

function changeTypeOf(v: unknown): ChangeType {
  if (typeof v === 'string' && (CHANGE_TYPES as readonly string[]).includes(v)) return v as ChangeType;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < CHANGE_TYPES.length) return CHANGE_TYPES[v]!;
  throw new LakestreamError('INTERNAL', `the server sent an unknown change type ${JSON.stringify(v)}`);
}

function timestampOf(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  throw new LakestreamError('INTERNAL', `the server sent an unreadable commit timestamp ${JSON.stringify(v)}`);
}

function headerBigint(headers: Headers, name: string): bigint {
  const v = headers.get(name);
  if (v === null) throw new LakestreamError('INTERNAL', `the server's Arrow fetch reply lacks the ${name} header`);
  return wireBigint(v.trim(), name);
}

/** Records of one Arrow fetch reply. An empty body means no records. */
export function recordsFromArrow(bucket: number, bytes: Uint8Array, headers: Headers): FetchedRecords {
  const nextOffset = headerBigint(headers, 'x-next-offset');
  const highWatermark = headerBigint(headers, 'x-high-watermark');
  const records: ScanRecord[] = [];
  if (bytes.length > 0) {
    for (const batch of fetchedBatches(bytes)) records.push(...recordsOfBatch(bucket, batch));
  }
  return { records, nextOffset, highWatermark };
}

/**
 * The batches of a fetch reply. A reply with no records is a schema-only stream, which Arrow JS
 * reads as one placeholder batch of zero rows whose string columns have no offsets buffer; the shape
 * check refuses that, so a stream whose every batch is empty is taken as no records.
 */
function fetchedBatches(bytes: Uint8Array): A.RecordBatch[] {
  try {
    return ipcToBatches(bytes).batches;
  } catch (e) {
    if (onlyEmptyBatches(bytes)) return [];
    throw e;
  }
}

function onlyEmptyBatches(bytes: Uint8Array): boolean {
  try {
    const reader = A.RecordBatchReader.from(bytes);
    reader.open();
    for (const b of reader) if (b.numRows > 0) return false;
    return true;
  } catch {
    return false;
  }
}

export function recordsOfBatch(bucket: number, batch: A.RecordBatch): ScanRecord[] {
  const offsets = batch.getChild('_log_offset');
  const times = batch.getChild('_commit_timestamp');
  const types = batch.getChild('_change_type');
  if (!offsets || !times || !types) {
    throw new LakestreamError('INTERNAL', 'the server sent records without the _log_offset, _commit_timestamp and _change_type columns');
  }
  const userNames = batch.schema.fields.map((f) => f.name).filter((n) => !SYSTEM.has(n));
  const rows = batchRows(batch, userNames);
  return rows.map((row, i) => ({
    bucket,
    offset: wireBigint(offsets.get(i), '_log_offset'),
    timestamp: timestampOf(times.get(i)),
    changeType: changeTypeOf(types.get(i)),
    row,
  }));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Records of one JSON fetch reply; `columns` are the table's columns (values are typed per column). */
export function recordsFromJson(bucket: number, body: unknown, columns: readonly Column[]): FetchedRecords {
  if (!isRecord(body) || !Array.isArray(body.records)) {
    throw new LakestreamError('INTERNAL', `the server sent an unexpected fetch reply: ${JSON.stringify(body)?.slice(0, 300)}`);
  }
  const records = body.records.map((r: unknown): ScanRecord => {
    if (!isRecord(r)) throw new LakestreamError('INTERNAL', 'the server sent a record that is not an object');
    return {
      bucket,
      offset: wireBigint(r._log_offset, '_log_offset'),
      timestamp: timestampOf(r._commit_timestamp),
      changeType: changeTypeOf(r._change_type),
      row: rowFromWire(columns, r),
    };
  });
  return { records, nextOffset: wireBigint(body.nextOffset, 'nextOffset'), highWatermark: wireBigint(body.highWatermark, 'highWatermark') };
}

export interface SnapshotPage {
  readonly records: ScanRecord[];
  readonly cursor: string | null;
  readonly logOffset: bigint;
}

/** One page of `GET .../buckets/{b}/rows`, as `+I` records without offset or time. */
export function snapshotPageFromJson(bucket: number, body: unknown, columns: readonly Column[]): SnapshotPage {
  if (!isRecord(body) || !Array.isArray(body.rows)) {
    throw new LakestreamError('INTERNAL', `the server sent an unexpected rows reply: ${JSON.stringify(body)?.slice(0, 300)}`);
  }
  const cursor = body.cursor === null || body.cursor === undefined ? null : String(body.cursor);
  const records = body.rows.map((r: unknown): ScanRecord => ({ bucket, offset: -1n, timestamp: -1, changeType: '+I', row: rowFromWire(columns, r) }));
  return { records, cursor, logOffset: wireBigint(body.logOffset, 'logOffset') };
}
