import * as A from 'apache-arrow';
import {
  arrowField, batchFromData, batchToIpc, CHANGE_TYPE_FIELD, COMMIT_TIMESTAMP_FIELD, consecutiveInt64s, ipcToBatches, LOG_OFFSET_FIELD, valueAt,
} from '../common/arrow.js';
import { fail, LakestreamError } from '../common/errors.js';
import { valueToJson } from '../common/json-values.js';
import type { Column } from '../common/schema.js';
import { CHANGE_TYPES, type Value } from '../common/values.js';
import type { StoredBatch } from '../log/bucket-log.js';

/**
 * Turns stored batches into the records a reader asked for: rows from `offset` on, at most
 * `maxRecords`, only the projected columns, plus the system columns. Projection picks Arrow column
 * buffers; no row is decoded on the Arrow path.
 */
export interface RecordSlice {
  readonly batches: A.RecordBatch[];
  readonly nextOffset: bigint;
  readonly schema: A.Schema;
}

const CHANGE_TYPE_BYTES = CHANGE_TYPES.map((t) => Buffer.from(t, 'utf8'));

/** `_change_type` offsets 0, 2, 4, ...: every code is two bytes, so one shared prefix serves every batch. */
let sharedTypeOffsets = new Int32Array(0);
/** `+A` repeated: a log table's `_change_type` values, shared by every batch (a slice of it). */
let sharedAppendTypes = new Uint8Array(0);

function typeOffsets(length: number): Int32Array {
  if (sharedTypeOffsets.length < length + 1) {
    const n = Math.max(length + 1, sharedTypeOffsets.length * 2);
    sharedTypeOffsets = new Int32Array(n);
    for (let i = 0; i < n; i++) sharedTypeOffsets[i] = i * 2;
  }
  return sharedTypeOffsets.subarray(0, length + 1);
}

function appendTypes(length: number): Uint8Array {
  if (sharedAppendTypes.length < length * 2) {
    const n = Math.max(length, sharedAppendTypes.length);
    sharedAppendTypes = new Uint8Array(n * 2);
    const bytes = CHANGE_TYPE_BYTES[0]!;
    for (let i = 0; i < n; i++) {
      sharedAppendTypes[i * 2] = bytes[0]!;
      sharedAppendTypes[i * 2 + 1] = bytes[1]!;
    }
  }
  return sharedAppendTypes.subarray(0, length * 2);
}

/**
 * The offsets and bytes of a `_change_type` utf8 column, built straight from int8 codes: every code
 * is two bytes. Without codes (a log table: all `+A`) both are views of shared buffers. Codes read from
 * disk without a CRC (a projected read) may be damaged: an unknown one is a STORAGE_ERROR.
 */
export function changeTypeBuffers(codes: ArrayLike<number> | null, length: number): { offsets: Int32Array; data: Uint8Array } {
  const offsets = typeOffsets(length);
  if (!codes) return { offsets, data: appendTypes(length) };
  const data = new Uint8Array(length * 2);
  for (let i = 0; i < length; i++) {
    const bytes = CHANGE_TYPE_BYTES[codes[i]!];
    if (bytes === undefined) throw new LakestreamError('STORAGE_ERROR', `stored change type code ${codes[i]} is not one of 0..${CHANGE_TYPES.length - 1}`);
    data[i * 2] = bytes[0]!;
    data[i * 2 + 1] = bytes[1]!;
  }
  return { offsets, data };
}

export function changeTypeData(codes: ArrayLike<number> | null, length: number): A.Data {
  const { offsets, data } = changeTypeBuffers(codes, length);
  return A.makeData({ type: new A.Utf8(), length, nullCount: 0, valueOffsets: offsets, data });
}

export function timestampValues(ts: number, length: number): BigInt64Array {
  return new BigInt64Array(length).fill(BigInt(ts));
}

function offsetData(first: bigint, length: number): A.Data {
  return A.makeData({ type: new A.Int64(), length, nullCount: 0, data: consecutiveInt64s(first, length) });
}

function timestampData(ts: number, length: number): A.Data {
  return A.makeData({ type: COMMIT_TIMESTAMP_FIELD.type, length, nullCount: 0, data: timestampValues(ts, length) });
}

export function projectedColumns(columns: readonly Column[], requested: string | undefined): Column[] {
  if (requested === undefined || requested === '') return [...columns];
  const names = requested.split(',').map((s) => s.trim());
  return names.map((n) => {
    const c = columns.find((col) => col.name === n);
    if (!c) fail('UNKNOWN_COLUMN', `columns= names '${n.slice(0, 100)}', which is not a column; columns: ${columns.map((x) => x.name).join(', ')}`);
    return c;
  });
}

export function outputSchema(columns: readonly Column[]): A.Schema {
  return new A.Schema([...columns.map(arrowField), LOG_OFFSET_FIELD, COMMIT_TIMESTAMP_FIELD, CHANGE_TYPE_FIELD]);
}

export function sliceRecords(stored: readonly StoredBatch[], offset: bigint, maxRecords: number, columns: readonly Column[]): RecordSlice {
  const schema = outputSchema(columns);
  const out: A.RecordBatch[] = [];
  let next = offset;
  let budget = maxRecords;
  for (const sb of stored) {
    let base = sb.baseOffset;
    for (const batch of ipcToBatches(sb.arrowIpc).batches) {
      const n = batch.numRows;
      const from = next > base ? Number(next - base) : 0;
      const to = Math.min(n, from + budget);
      if (from < to) {
        const part = from === 0 && to === n ? batch : batch.slice(from, to);
        const len = to - from;
        const codes = sb.hasChangeType ? (part.getChild('_change_type')!.toArray() as Int8Array) : null;
        const children = columns.map((c) => part.getChild(c.name)!.data[0]!);
        children.push(offsetData(base + BigInt(from), len), timestampData(sb.commitTimestamp, len), changeTypeData(codes, len));
        out.push(batchFromData(schema, len, children));
        budget -= len;
        next = base + BigInt(to);
      }
      base += BigInt(n);
      if (budget <= 0) break;
    }
    if (budget <= 0) break;
  }
  return { batches: out, nextOffset: next, schema };
}

export function recordsToIpc(slice: RecordSlice): Uint8Array {
  return batchToIpc(slice.batches, slice.schema);
}

export function recordsToJson(slice: RecordSlice, columns: readonly Column[]): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const batch of slice.batches) {
    const vectors = columns.map((c) => batch.getChild(c.name)!);
    const offsets = batch.getChild('_log_offset')!;
    const times = batch.getChild('_commit_timestamp')!;
    const types = batch.getChild('_change_type')!;
    for (let i = 0; i < batch.numRows; i++) {
      const rec: Record<string, unknown> = {};
      for (let j = 0; j < columns.length; j++) {
        const v = valueAt(vectors[j]!, i);
        rec[columns[j]!.name] = valueToJson(columns[j]!.type, (v ?? null) as Value);
      }
      rec._log_offset = valueToJson('int64', offsets.get(i));
      rec._commit_timestamp = times.get(i);
      rec._change_type = types.get(i);
      records.push(rec);
    }
  }
  return records;
}
