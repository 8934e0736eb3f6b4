/**
 * A table's records as Kafka record batches, for Fetch: one batch per Arrow batch of the slice read
 * (from the log or, below the local log start, from the lake), at its offsets. A raw-format table
 * gives back each record as produced. Any other table gives each row as a JSON object value, its
 * bucket key's canonical JSON as the record key (null without one), its commit time as the
 * timestamp; a primary-key table's changelog reads as a compacted topic's stream: +I/+U rows as
 * values, -D as a null value (a tombstone), -U skipped, the change type in a
 * `lakestream.change_type` header.
 */
import type * as A from 'apache-arrow';
import { batchRows } from '../../common/arrow.js';
import { bucketRouter } from '../../common/bucket-router.js';
import { canonicalKeyBytes } from '../../common/key-json.js';
import { rowToJson } from '../../common/json-values.js';
import { tableKind, type Column, type TableDefinition } from '../../common/schema.js';
import type { RecordSlice } from '../../server/records.js';
import { encodeRecordBatch } from '../records/record-batch.js';
import { encodeHeaders } from '../records/record-headers.js';
import { topicFormat } from './topics.js';

const UTF8 = new TextEncoder();
const CHANGE_TYPE_HEADER = 'lakestream.change_type';
const CHANGE_HEADERS = new Map(['+I', '+U', '-D', '+A'].map((t) => [t, encodeHeaders([{ key: CHANGE_TYPE_HEADER, value: UTF8.encode(t) }])]));

/** The Kafka record batches of a slice; rows skipped (-U) leave gaps in the offsets, as compaction does. */
export function fetchedBatches(def: TableDefinition, slice: RecordSlice): Uint8Array[] {
  const out: Uint8Array[] = [];
  const raw = topicFormat(def) === 'raw';
  for (const batch of slice.batches) {
    if (batch.numRows === 0) continue;
    const encoded = raw ? rawBatch(batch) : jsonBatch(def, batch);
    if (encoded) out.push(encoded);
  }
  return out;
}

/** apache-arrow slices a fixed-width column's values with the batch: `data.offset` is only the validity bitmap's. */
function int64s(batch: A.RecordBatch, name: string): BigInt64Array {
  const data = batch.getChild(name)!.data[0]!;
  return (data.values as BigInt64Array).subarray(0, data.length);
}

/** The two bytes of each row's `_change_type` (every code is two ASCII characters). */
interface ChangeCodes {
  readonly data: Uint8Array;
  readonly offsets: Int32Array;
}

const MINUS = 0x2d;
const U = 0x55;
const D = 0x44;

function changeCodes(batch: A.RecordBatch): ChangeCodes {
  const data = batch.getChild('_change_type')!.data[0]!;
  return { data: data.values as Uint8Array, offsets: data.valueOffsets as Int32Array };
}

function isChange(codes: ChangeCodes, row: number, second: number): boolean {
  const at = codes.offsets[row]!;
  return codes.data[at] === MINUS && codes.data[at + 1] === second;
}

function changeType(codes: ChangeCodes, row: number): string {
  const at = codes.offsets[row]!;
  return String.fromCharCode(codes.data[at]!, codes.data[at + 1]!);
}

/** The rows a Kafka consumer sees (all but -U), and their offsets. */
function visibleRows(batch: A.RecordBatch): { rows: Int32Array; offsets: BigInt64Array; codes: ChangeCodes } {
  const codes = changeCodes(batch);
  const n = batch.numRows;
  const rows = new Int32Array(n);
  let kept = 0;
  for (let i = 0; i < n; i++) if (!isChange(codes, i, U)) rows[kept++] = i;
  return { rows: rows.subarray(0, kept), offsets: int64s(batch, '_log_offset'), codes };
}

/** Row i of a binary column as a view of its buffer (null where null), without Arrow's per-value getter. */
function binaryColumn(batch: A.RecordBatch, name: string): (i: number) => Uint8Array | null {
  const data = batch.getChild(name)!.data[0]!;
  const offsets = data.valueOffsets as Int32Array;
  const values = data.values as Uint8Array;
  const nullable = data.nullCount > 0;
  return (i) => (nullable && !data.getValid(i) ? null : values.subarray(offsets[i]!, offsets[i + 1]!));
}

function rawBatch(batch: A.RecordBatch): Uint8Array | undefined {
  const { rows, offsets, codes } = visibleRows(batch);
  if (rows.length === 0) return undefined;
  const key = binaryColumn(batch, 'key');
  const value = binaryColumn(batch, 'value');
  const headers = binaryColumn(batch, 'headers');
  const timestamps = int64s(batch, 'timestamp');
  const base = offsets[0]!;
  const deleted = (i: number) => isChange(codes, rows[i]!, D);
  return encodeRecordBatch({
    baseOffset: base, producerId: -1n, producerEpoch: -1, baseSequence: -1,
    count: rows.length,
    offsetDelta: (i) => Number(offsets[rows[i]!]! - base),
    lastOffsetDelta: Number(offsets[offsets.length - 1]! - base),
    timestamp: (i) => Number(timestamps[rows[i]!]!),
    key: (i) => key(rows[i]!),
    value: (i) => (deleted(i) ? null : value(rows[i]!)),
    headers: (i) => (deleted(i) ? null : headers(rows[i]!)),
  });
}

function jsonBatch(def: TableDefinition, batch: A.RecordBatch): Uint8Array | undefined {
  const { rows, offsets, codes } = visibleRows(batch);
  if (rows.length === 0) return undefined;
  const columns: readonly Column[] = def.columns;
  const values = batchRows(batch, columns.map((c) => c.name));
  const keyColumns = bucketRouter(def).bucketKeyColumns;
  const changelog = tableKind(def) === 'primary-key';
  const commits = int64s(batch, '_commit_timestamp');
  const base = offsets[0]!;
  return encodeRecordBatch({
    baseOffset: base, producerId: -1n, producerEpoch: -1, baseSequence: -1,
    count: rows.length,
    offsetDelta: (i) => Number(offsets[rows[i]!]! - base),
    lastOffsetDelta: Number(offsets[offsets.length - 1]! - base),
    timestamp: (i) => Number(commits[rows[i]!]!),
    key: (i) => (keyColumns.length > 0 ? canonicalKeyBytes(keyColumns, values[rows[i]!]!) : null),
    value: (i) => (isChange(codes, rows[i]!, D) ? null : UTF8.encode(JSON.stringify(rowToJson(columns, values[rows[i]!]!)))),
    headers: (i) => (changelog ? CHANGE_HEADERS.get(changeType(codes, rows[i]!)) ?? null : null),
  });
}
