import * as A from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import { batchToIpc, rowsToBatch } from '../../src/common/arrow.js';
import { encodeRecordBatchMessage, encodeSchemaMessage, IPC_END_OF_STREAM, readIpcBatchLayout, type IpcBatchLayout } from '../../src/common/arrow-ipc-layout.js';
import type { Column } from '../../src/common/schema.js';
import { int, mulberry32 } from './random-values.js';

const COLUMNS: Column[] = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'name', type: 'string', nullable: true },
  { name: 'ok', type: 'boolean', nullable: true },
];
const ROWS = [{ id: 1n, name: 'a', ok: true }, { id: 2n, name: null, ok: false }, { id: 3n, name: 'ccc', ok: null }];
const STREAM = batchToIpc(rowsToBatch(COLUMNS, ROWS));

function layoutOf(bytes: Uint8Array): IpcBatchLayout {
  const read = readIpcBatchLayout(bytes, bytes.length);
  if (read.kind !== 'layout') throw new Error(`expected a layout, got ${read.kind}`);
  return read.layout;
}

describe('Arrow IPC batch layout', () => {
  test('names each field, its buffers and null count as apache-arrow wrote them', () => {
    const l = layoutOf(STREAM);
    expect(l.fields.map((f) => [f.name, f.firstBuffer, f.bufferCount])).toEqual([['id', 0, 2], ['name', 2, 3], ['ok', 5, 2]]);
    expect(l.length).toBe(3);
    expect(l.nullCounts).toEqual([0, 1, 1]);
    const buffer = (i: number) => STREAM.subarray(l.bodyStart + l.buffers[i]!.offset, l.bodyStart + l.buffers[i]!.offset + l.buffers[i]!.length);
    expect([...new BigInt64Array(buffer(1).slice().buffer)]).toEqual([1n, 2n, 3n]);
    expect(Buffer.from(buffer(4)).toString().replace(/\0+$/, '')).toBe('accc'); // apache-arrow pads buffers to 8 bytes
  });

  test('a prefix short of the metadata asks for more bytes, never guesses', () => {
    const l = layoutOf(STREAM);
    for (let n = 0; n < l.bodyStart; n++) {
      const read = readIpcBatchLayout(STREAM.subarray(0, n), STREAM.length);
      expect(read.kind).toBe('need');
      if (read.kind === 'need') expect(read.bytes).toBeGreaterThan(n);
    }
    expect(readIpcBatchLayout(STREAM.subarray(0, l.bodyStart), STREAM.length).kind).toBe('layout');
  });

  test('dictionary and nested fields are reported unsupported', () => {
    const dict = A.tableToIPC(new A.Table({ d: A.vectorFromArray(['x', 'y', 'x'], new A.Dictionary(new A.Utf8(), new A.Int32())) }), 'stream');
    expect(readIpcBatchLayout(dict, dict.length).kind).toBe('unsupported');
    const list = A.tableToIPC(new A.Table({ l: A.vectorFromArray([[1], [2, 3]], new A.List(new A.Field('item', new A.Int32()))) }), 'stream');
    expect(readIpcBatchLayout(list, list.length).kind).toBe('unsupported');
  });

  test('encoded messages frame a stream apache-arrow reads', () => {
    const l = layoutOf(STREAM);
    const body = STREAM.subarray(l.bodyStart, l.bodyStart + l.bodyLength);
    const schema = new A.Schema(COLUMNS.map((c) => new A.Field(c.name, c.type === 'int64' ? new A.Int64() : c.type === 'string' ? new A.Utf8() : new A.Bool(), c.nullable)));
    const bytes = Buffer.concat([encodeSchemaMessage(schema), encodeRecordBatchMessage(l.length, l.nullCounts, l.buffers, l.bodyLength), body, IPC_END_OF_STREAM]);
    const table = A.tableFromIPC(bytes);
    expect(table.toArray().map((r) => r.toJSON())).toEqual([{ id: 1n, name: 'a', ok: true }, { id: 2n, name: null, ok: false }, { id: 3n, name: 'ccc', ok: null }]);
  });

  test('damaged metadata is a thrown Error or a layout whose buffers lie inside the body (seeded)', () => {
    const rng = mulberry32(0x1a70);
    const l = layoutOf(STREAM);
    for (let n = 0; n < 3_000; n++) {
      const bytes = Uint8Array.from(STREAM);
      for (let k = int(rng, 1, 3); k > 0; k--) bytes[int(rng, 0, l.bodyStart - 1)] = int(rng, 0, 255);
      let read;
      try {
        read = readIpcBatchLayout(bytes, bytes.length);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        continue;
      }
      if (read.kind !== 'layout') continue;
      for (const b of read.layout.buffers) expect(b.offset + b.length).toBeLessThanOrEqual(read.layout.bodyLength);
      expect(read.layout.bodyStart + read.layout.bodyLength).toBeLessThanOrEqual(bytes.length);
    }
  });
});
