import { ArrowBatchBuilder } from '../common/arrow-builder.js';
import { rowToJson } from '../common/json-values.js';
import type { Column } from '../common/schema.js';
import type { Row, Value } from '../common/values.js';
import type { EncodedBatch, RowBatch } from './batching.js';
import { ARROW_STREAM, JSON_TYPE } from './http.js';
import type { RowInput, ToRowOptions } from './rows.js';
import { estimateRowBytes, RowConverter } from './rows.js';

/** Rows at most that a batch makes room for at first; it grows beyond as rows come. */
const ROWS_RESERVED_MAX = 16_384;

/**
 * An Arrow batch: each row is converted into one reused array of values, then written straight into
 * the column buffers (ArrowBatchBuilder), so a row leaves no object behind.
 */
class ArrowRowBatch implements RowBatch {
  private readonly builder: ArrowBatchBuilder;
  private readonly values: Value[];

  constructor(columns: readonly Column[], private readonly converter: RowConverter, rowsExpected: number) {
    this.builder = new ArrowBatchBuilder(columns, Math.min(rowsExpected, ROWS_RESERVED_MAX));
    this.values = new Array<Value>(columns.length).fill(null);
  }

  get rowCount(): number {
    return this.builder.rowCount;
  }

  get byteLength(): number {
    return this.builder.byteLength;
  }

  add(row: RowInput): void {
    this.converter.convert(row, this.values);
    this.builder.append(this.values);
  }

  encode(): EncodedBatch {
    return { body: this.builder.finishIpc(), contentType: ARROW_STREAM };
  }
}

/** A JSON batch: the rows kept as converted, written as one JSON array when sealed. */
class JsonRowBatch implements RowBatch {
  private readonly rows: Row[] = [];
  private readonly values: Value[];
  byteLength = 0;

  constructor(private readonly columns: readonly Column[], private readonly converter: RowConverter) {
    this.values = new Array<Value>(columns.length).fill(null);
  }

  get rowCount(): number {
    return this.rows.length;
  }

  add(input: RowInput): void {
    this.converter.convert(input, this.values);
    const row: Row = {};
    this.columns.forEach((c, j) => (row[c.name] = this.values[j]!));
    this.rows.push(row);
    this.byteLength += estimateRowBytes(row);
  }

  encode(): EncodedBatch {
    return { body: JSON.stringify(this.rows.map((r) => rowToJson(this.columns, r))), contentType: JSON_TYPE };
  }
}

/** Makes the empty batches of one writer's rows over `columns`, each row checked as `toRow` checks it with `opts`. */
export function rowBatches(format: 'arrow' | 'json', columns: readonly Column[], opts: ToRowOptions, rowsExpected: number): () => RowBatch {
  const converter = new RowConverter(columns, opts);
  return format === 'arrow' ? () => new ArrowRowBatch(columns, converter, rowsExpected) : () => new JsonRowBatch(columns, converter);
}
