/**
 * Column reads (Fluss's FileLogProjection): whole batches from the one holding `offset`, but only the
 * Arrow buffers of the named fields. A projected read of an uncompressed batch fetches the batch head
 * (header + IPC metadata) and then just the byte ranges of the wanted fields, so reading 2 of 20
 * columns moves about a tenth of the bytes. It cannot checksum bytes it never reads: the header and
 * metadata are bounds-checked (a damaged byte there is a STORAGE_ERROR, never a crash), the buffers
 * are checked against their column type by the caller, and the batch CRC is verified by every full
 * read, by recovery and by tiering. Compressed batches are read and CRC-checked whole.
 */
import type { ColumnBuffers } from '../common/arrow-columns.js';
import { readIpcBatchLayout, type IpcBatchLayout } from '../common/arrow-ipc-layout.js';
import { LakestreamError } from '../common/errors.js';
import { checkBatch, checkBatchHead, decodeBatchBody, HEADER_BYTES, type BatchHeader } from './batch-format.js';
import type { Segment } from './segment.js';

export interface ColumnBatch {
  readonly baseOffset: bigint;
  readonly recordCount: number;
  readonly commitTimestamp: number;
  /** In the order the fields were named. */
  readonly columns: readonly ColumnBuffers[];
  /** The stored `_change_type` codes of a changelog batch; null for a log table's batch. */
  readonly changeTypes: Int8Array | null;
}

/** The header fields a column batch carries over. */
export type ColumnBatchHeader = Pick<BatchHeader, 'baseOffset' | 'recordCount' | 'commitTimestamp' | 'hasChangeType'>;

export const CHANGE_TYPE_COLUMN = '_change_type';
/** What a projected read fetches first: the batch header and, almost always, all the IPC metadata. */
const HEAD_BYTES = 16 * 1024;
/** Ranges closer than this are fetched with one read. */
const MERGE_GAP_BYTES = 4 * 1024;

/**
 * Decides, batch by batch, what a read takes: batches holding offsets from `offset` below `hw`, within
 * `maxBytes` of column bytes and `maxRecords`, except that the first is always taken so a consumer
 * makes progress.
 */
export class ColumnReadPlan {
  readonly batches: ColumnBatch[] = [];
  done: boolean;
  private bytes = 0;
  private records = 0;

  constructor(private readonly offset: bigint, private readonly hw: bigint, private readonly maxBytes: number, private readonly maxRecords: number) {
    this.done = offset >= hw;
  }

  /** 'skip' a batch before the wanted offset, 'stop' at the end, else 'read'. */
  judge(h: BatchHeader): 'skip' | 'stop' | 'read' {
    if (h.baseOffset >= this.hw || (this.batches.length > 0 && this.records + h.recordCount > this.maxRecords)) {
      this.done = true;
      return 'stop';
    }
    return h.lastOffset < this.offset ? 'skip' : 'read';
  }

  /** Whether a batch of `bytes` column bytes still fits the budget; false ends the read. */
  fits(bytes: number): boolean {
    if (this.batches.length > 0 && this.bytes + bytes > this.maxBytes) this.done = true;
    return !this.done;
  }

  /** Adds a batch of `bytes` column bytes unless it overruns the budget; false once the read is complete. */
  take(batch: ColumnBatch, bytes: number): boolean {
    if (!this.fits(bytes)) return false;
    this.batches.push(batch);
    this.bytes += bytes;
    this.records += batch.recordCount;
    this.done = this.bytes >= this.maxBytes || this.records >= this.maxRecords;
    return !this.done;
  }
}

/** Where a batch lives, for error messages: `<segment file> at <position>`. */
function where(seg: Segment, pos: number): string {
  return `${seg.logPath} at ${pos}`;
}

function storageError(at: string, what: string): LakestreamError {
  return new LakestreamError('STORAGE_ERROR', `bad batch in ${at}: ${what}`);
}

function layoutOf(at: string, ipc: Uint8Array, streamLength: number): IpcBatchLayout | number {
  let read;
  try {
    read = readIpcBatchLayout(ipc, streamLength);
  } catch (e) {
    throw storageError(at, `Arrow metadata: ${(e as Error).message}`);
  }
  if (read.kind === 'unsupported') throw storageError(at, read.reason);
  return read.kind === 'need' ? read.bytes : read.layout;
}

function fieldIndexes(at: string, layout: IpcBatchLayout, names: readonly string[]): number[] {
  return names.map((name) => {
    const i = layout.fields.findIndex((f) => f.name === name);
    if (i < 0) throw storageError(at, `no field '${name}' in the stored batch`);
    return i;
  });
}

/** The batch's column bytes for `indexes`, given a reader of body-relative regions. */
function assemble(h: ColumnBatchHeader, layout: IpcBatchLayout, indexes: number[], changeIndex: number, region: (i: number) => Uint8Array): { batch: ColumnBatch; bytes: number } {
  let bytes = 0;
  const columns = indexes.map((fi) => {
    const f = layout.fields[fi]!;
    const buffers: Uint8Array[] = [];
    for (let b = f.firstBuffer; b < f.firstBuffer + f.bufferCount; b++) buffers.push(region(b));
    for (const buf of buffers) bytes += buf.length;
    return { nullCount: layout.nullCounts[fi]!, buffers };
  });
  let changeTypes: Int8Array | null = null;
  if (changeIndex >= 0) {
    const data = region(layout.fields[changeIndex]!.firstBuffer + 1);
    changeTypes = new Int8Array(data.buffer, data.byteOffset, Math.min(data.length, h.recordCount));
  }
  return { batch: { baseOffset: h.baseOffset, recordCount: h.recordCount, commitTimestamp: h.commitTimestamp, columns, changeTypes }, bytes };
}

function checkLayout(at: string, h: ColumnBatchHeader, layout: IpcBatchLayout): void {
  if (layout.length !== h.recordCount) throw storageError(at, `Arrow batch of ${layout.length} rows, header says ${h.recordCount}`);
}

/** Columns of a whole, CRC-checked, decompressed stream: views into it. */
export function columnsOfStream(at: string, h: ColumnBatchHeader, ipc: Uint8Array, names: readonly string[]): { batch: ColumnBatch; bytes: number } {
  const layout = layoutOf(at, ipc, ipc.length);
  if (typeof layout === 'number') throw storageError(at, `Arrow metadata runs past the ${ipc.length}-byte stream`);
  checkLayout(at, h, layout);
  const changeIndex = h.hasChangeType ? fieldIndexes(at, layout, [CHANGE_TYPE_COLUMN])[0]! : -1;
  return assemble(h, layout, fieldIndexes(at, layout, names), changeIndex, (i) => {
    const r = layout.buffers[i]!;
    return ipc.subarray(layout.bodyStart + r.offset, layout.bodyStart + r.offset + r.length);
  });
}

/** Every column of each batch, read in large chunks and CRC-checked. */
export async function readWholeBatches(seg: Segment, start: number, chunkBytes: number, names: readonly string[], plan: ColumnReadPlan): Promise<void> {
  await seg.readBatches(start, chunkBytes, (buf, p, h, filePos) => {
    const verdict = plan.judge(h);
    if (verdict !== 'read') return verdict === 'skip';
    const { batch, bytes } = columnsOfStream(where(seg, filePos), h, decodeBatchBody(buf, p, h), names);
    return plan.take(batch, bytes);
  });
}

/** Reads [start, start + length) of the segment, all of it or a STORAGE_ERROR. */
async function readExactly(seg: Segment, start: number, length: number): Promise<Buffer> {
  const buf = await seg.pread(start, length);
  if (buf.length < length) throw storageError(where(seg, start), `${length} bytes wanted, ${buf.length} read`);
  return buf;
}

/** The wanted fields' buffer ranges, merged when close, as body-relative [start, end) spans. */
function spans(layout: IpcBatchLayout, indexes: readonly number[]): { start: number; end: number }[] {
  const ranges = indexes.flatMap((fi) => {
    const f = layout.fields[fi]!;
    return layout.buffers.slice(f.firstBuffer, f.firstBuffer + f.bufferCount).filter((r) => r.length > 0);
  }).sort((a, b) => a.offset - b.offset);
  const out: { start: number; end: number }[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && r.offset <= last.end + MERGE_GAP_BYTES) last.end = Math.max(last.end, r.offset + r.length);
    else out.push({ start: r.offset, end: r.offset + r.length });
  }
  return out;
}

/** The bytes `assemble` will count for the fields at `indexes`. */
function fieldBytes(layout: IpcBatchLayout, indexes: readonly number[]): number {
  let bytes = 0;
  for (const fi of indexes) {
    const f = layout.fields[fi]!;
    for (let b = f.firstBuffer; b < f.firstBuffer + f.bufferCount; b++) bytes += layout.buffers[b]!.length;
  }
  return bytes;
}

/**
 * One uncompressed batch at `pos`: its head, then only the wanted fields' ranges; undefined, without
 * reading them, when the batch would overrun the read's budget.
 */
async function readProjectedBatch(seg: Segment, pos: number, h: BatchHeader, head: Buffer, names: readonly string[], plan: ColumnReadPlan): Promise<{ batch: ColumnBatch; bytes: number } | undefined> {
  const at = where(seg, pos);
  const streamLength = h.sizeBytes - HEADER_BYTES;
  let layout = layoutOf(at, head.subarray(HEADER_BYTES), streamLength);
  if (typeof layout === 'number') {
    const more = await readExactly(seg, pos, HEADER_BYTES + layout);
    layout = layoutOf(at, more.subarray(HEADER_BYTES), streamLength);
    if (typeof layout === 'number') throw storageError(at, 'Arrow metadata keeps growing');
  }
  checkLayout(at, h, layout);
  const indexes = fieldIndexes(at, layout, names);
  if (!plan.fits(fieldBytes(layout, indexes))) return undefined;
  const changeIndex = h.hasChangeType ? fieldIndexes(at, layout, [CHANGE_TYPE_COLUMN])[0]! : -1;
  const wanted = changeIndex >= 0 ? [...indexes, changeIndex] : indexes;
  const bodyAt = pos + HEADER_BYTES + layout.bodyStart;
  const parts = spans(layout, wanted);
  const bufs = await Promise.all(parts.map((s) => readExactly(seg, bodyAt + s.start, s.end - s.start)));
  const regions = layout.buffers;
  return assemble(h, layout, indexes, changeIndex, (i) => {
    const r = regions[i]!;
    if (r.length === 0) return new Uint8Array(0);
    const k = parts.findIndex((s) => r.offset >= s.start && r.offset + r.length <= s.end);
    return bufs[k]!.subarray(r.offset - parts[k]!.start, r.offset - parts[k]!.start + r.length);
  });
}

/** Batches from `start`, each reduced to the named fields (compressed ones read whole). */
export async function readProjectedBatches(seg: Segment, start: number, names: readonly string[], plan: ColumnReadPlan): Promise<void> {
  const end = seg.syncedBytes;
  for (let pos = start; pos < end && !plan.done; ) {
    const head = await readExactly(seg, pos, Math.min(HEAD_BYTES, end - pos));
    const at = where(seg, pos);
    const check = checkBatchHead(head, 0);
    if (check.kind !== 'ok') throw storageError(at, check.reason);
    const h = check.header;
    if (pos + h.sizeBytes > end) throw storageError(at, `batch of ${h.sizeBytes} bytes runs past the ${end} durable bytes`);
    const verdict = plan.judge(h);
    if (verdict === 'stop') return;
    if (verdict === 'read') {
      const read = h.compression === 'none'
        ? await readProjectedBatch(seg, pos, h, head, names, plan)
        : await readCompressedBatch(seg, pos, h, names);
      if (!read || !plan.take(read.batch, read.bytes)) return;
    }
    pos += h.sizeBytes;
  }
}

async function readCompressedBatch(seg: Segment, pos: number, h: BatchHeader, names: readonly string[]): Promise<{ batch: ColumnBatch; bytes: number }> {
  const whole = await readExactly(seg, pos, h.sizeBytes);
  const check = checkBatch(whole, 0);
  if (check.kind !== 'ok') throw storageError(where(seg, pos), check.reason);
  return columnsOfStream(where(seg, pos), h, decodeBatchBody(whole, 0, h), names);
}
