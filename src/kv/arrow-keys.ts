import type * as A from 'apache-arrow';
import { DATE_DAYS_MAX } from '../common/arrow.js';
import { columnProblem, stringsAreUtf8 } from '../common/arrow-columns.js';
import { readIpcBatchLayout, type IpcBatchLayout } from '../common/arrow-ipc-layout.js';
import { ArrowKeyEncoder } from '../common/key-encoding.js';
import type { Column } from '../common/schema.js';

/** The keys of one lookup, each encoded as `encodeKey` encodes the primary key (columns in key-encoding order). */
export interface LookupKeys {
  readonly count: number;
  /** Key i, in bytes that the next call may overwrite. */
  encoded(i: number): Uint8Array;
}

/*
 * The fast read of Arrow keys. A client sends the same schema message with every request, so once
 * a key stream has been read the generic way (ipcToBatches + conformBatch, which check field types,
 * names and nullability), its schema message bytes are remembered with where each key column is.
 * A later one-batch stream with the same schema bytes has its keys encoded straight from the body
 * buffers (ArrowKeyEncoder: no rows, no values); anything unusual there (nulls, a second batch, a
 * buffer that does not fit, a time value out of range, a string that is not UTF-8) goes the generic
 * way, so bad input gets the same 4xx as before.
 */

/** Schema message bytes (as latin1 text) -> the field index of each key column, per table definition. */
const KEY_SCHEMAS = new WeakMap<object, Map<string, number[]>>();
/** Distinct key schemas remembered per table; a client sends one, so a few cover every client. */
const KEY_SCHEMAS_MAX = 16;
const TIMESTAMP_MS_MAX = Number.MAX_SAFE_INTEGER;

/** The schema message of a stream (continuation marker, length, metadata) as a map key, or undefined. */
function schemaKey(body: Uint8Array): string | undefined {
  if (body.length < 8) return undefined;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (view.getInt32(0, true) !== -1) return undefined;
  const end = 8 + view.getInt32(4, true);
  if (end <= 8 || end > body.length) return undefined;
  return Buffer.from(body.buffer, body.byteOffset, end).toString('latin1');
}

function layoutOf(body: Uint8Array): IpcBatchLayout | undefined {
  try {
    const read = readIpcBatchLayout(body, body.length);
    return read.kind === 'layout' ? read.layout : undefined;
  } catch {
    return undefined; // the generic read names the problem
  }
}

export function rememberKeySchema(definition: object, cols: readonly Column[], body: Uint8Array): void {
  const key = schemaKey(body);
  const layout = key === undefined ? undefined : layoutOf(body);
  if (key === undefined || !layout) return;
  const fields = cols.map((c) => layout.fields.findIndex((f) => f.name === c.name));
  if (fields.some((f, j) => f < 0 || layout.fields.findLastIndex((x) => x.name === cols[j]!.name) !== f)) return;
  let known = KEY_SCHEMAS.get(definition);
  if (!known) KEY_SCHEMAS.set(definition, (known = new Map()));
  if (known.size >= KEY_SCHEMAS_MAX) known.delete(known.keys().next().value!);
  known.set(key, fields);
}

/** The bytes after the batch are nothing, or an end-of-stream marker (current or legacy). */
function endsAfterBatch(body: Uint8Array, layout: IpcBatchLayout): boolean {
  const end = layout.bodyStart + layout.bodyLength;
  const rest = body.length - end;
  if (rest === 0) return true;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (rest === 8) return view.getInt32(end, true) === -1 && view.getInt32(end + 4, true) === 0;
  return rest === 4 && view.getInt32(end, true) === 0;
}

export function keysFromKnownSchema(definition: object, cols: readonly Column[], body: Uint8Array, keysMax: number): LookupKeys | undefined {
  const key = schemaKey(body);
  const fields = key === undefined ? undefined : KEY_SCHEMAS.get(definition)?.get(key);
  if (!fields) return undefined;
  const layout = layoutOf(body);
  if (!layout || layout.length > keysMax || !endsAfterBatch(body, layout)) return undefined;
  const n = layout.length;
  const columns: Uint8Array[][] = [];
  for (let j = 0; j < cols.length; j++) {
    const field = layout.fields[fields[j]!]!;
    const nullCount = layout.nullCounts[fields[j]!]!;
    if (nullCount !== 0) return undefined; // key columns are not nullable: the generic read refuses it
    const buffers: Uint8Array[] = [];
    for (let b = 0; b < field.bufferCount; b++) {
      const region = layout.buffers[field.firstBuffer + b]!;
      buffers.push(body.subarray(layout.bodyStart + region.offset, layout.bodyStart + region.offset + region.length));
    }
    if (columnProblem(cols[j]!.type, { nullCount, buffers }, n) !== undefined || !keyValuesReadable(cols[j]!, buffers, n)) return undefined;
    columns.push(buffers);
  }
  return new ArrowKeyEncoder(cols, columns, n);
}

/** Whether the generic read accepts every value of key column `c` (whose buffers passed columnProblem) as it is. */
export function keyValuesReadable(c: Column, buffers: readonly Uint8Array[], n: number): boolean {
  const data = buffers[buffers.length - 1]!;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (c.type) {
    case 'date':
      for (let i = 0; i < n; i++) {
        const days = view.getInt32(i * 4, true);
        if (days > DATE_DAYS_MAX || days < -DATE_DAYS_MAX) return false;
      }
      return true;
    case 'timestamp':
      for (let i = 0; i < n; i++) {
        const ms = view.getInt32(i * 8 + 4, true) * 2 ** 32 + view.getUint32(i * 8, true);
        if (ms > TIMESTAMP_MS_MAX || ms < -TIMESTAMP_MS_MAX) return false;
      }
      return true;
    case 'string':
    case 'binary': {
      const o = buffers[1]!;
      const offsets = new DataView(o.buffer, o.byteOffset, o.byteLength);
      for (let i = 0; i < n; i++) {
        const start = offsets.getInt32(i * 4, true);
        const end = offsets.getInt32(i * 4 + 4, true);
        if (start < 0 || end < start || end > data.length) return false;
      }
      // The generic read decodes a string key, turning bytes that are not UTF-8 into U+FFFD.
      return c.type === 'binary' || stringsAreUtf8(data, offsets, n);
    }
    default:
      return true;
  }
}

/**
 * The primary keys of a write batch conformed to the table (`cols`: its key columns in key-encoding order), encoded straight from its Arrow buffers
 * (ArrowKeyEncoder: no row, no bigint per key). Undefined when a key column is a slice, has nulls,
 * or holds a value the generic path must judge (see keyValuesReadable): that path takes the batch.
 */
export function batchKeys(cols: readonly Column[], batch: A.RecordBatch): LookupKeys | undefined {
  const columns: Uint8Array[][] = [];
  for (const c of cols) {
    const chunks = batch.getChild(c.name)?.data;
    const d = chunks?.length === 1 ? chunks[0]! : undefined;
    if (!d || d.offset !== 0 || d.nullCount !== 0) return undefined;
    const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const buffers = c.type === 'string' || c.type === 'binary' ? [new Uint8Array(0), bytes(d.valueOffsets), bytes(d.values)] : [new Uint8Array(0), bytes(d.values)];
    if (!keyValuesReadable(c, buffers, batch.numRows)) return undefined;
    columns.push(buffers);
  }
  return new ArrowKeyEncoder(cols, columns, batch.numRows);
}
