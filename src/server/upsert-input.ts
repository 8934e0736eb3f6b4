import * as A from 'apache-arrow';
import { batchRows, conformBatch, ipcToBatches } from '../common/arrow.js';
import { fail } from '../common/errors.js';
import { rowFromJson } from '../common/json-values.js';
import type { Column } from '../common/schema.js';
import { badChangeTypeMessage, UPSERT_CHANGE_TYPES_TEXT, upsertAction, type UpsertAction } from '../common/upsert-change.js';
import type { Row } from '../common/values.js';
import { arrowWriteInput, checkRowCount, jsonRowObjects, parseWriteInput, type WriteInput } from './write-input.js';

/**
 * The body of `POST .../upsert`, with each row's `_change_type` honoured (see upsertAction): a `-D`
 * row deletes its key (only the key columns are read), a `-U` row is left out, anything unknown is a
 * 400 naming the row. Rows keep their order, so a delete after an upsert of one key deletes it. A body
 * of upserts only (no change types, or `+I`/`+U`) is parsed as before, on the fast paths.
 */
export function parseUpsertInput(body: unknown, columns: readonly Column[], primaryKey: readonly string[], maxRows: number, target: readonly string[] | undefined): WriteInput {
  const opts = { required: primaryKey, ...(target ? { only: target } : {}) };
  if (body instanceof Uint8Array) return arrowUpsertInput(ipcToBatches(body).batches, columns, primaryKey, maxRows, target);
  const objects = jsonRowObjects(body, maxRows);
  const actions = objects.map((o, i) => jsonAction(o, i));
  if (actions.every((a) => a === 'upsert')) return parseWriteInput(objects, columns, maxRows, opts);
  const rows: Row[] = [];
  const deletes: boolean[] = [];
  const keyOnly = { required: primaryKey, only: primaryKey };
  actions.forEach((action, i) => {
    if (action === 'skip') return;
    const o = objects[i] as Record<string, unknown>;
    rows.push(action === 'delete' ? rowFromJson(columns, Object.fromEntries(primaryKey.map((k) => [k, o[k]])), i, keyOnly) : rowFromJson(columns, o, i, opts));
    deletes.push(action === 'delete');
  });
  return { kind: 'rows', rows, deletes };
}

function arrowUpsertInput(batches: A.RecordBatch[], columns: readonly Column[], primaryKey: readonly string[], maxRows: number, target: readonly string[] | undefined): WriteInput {
  // Without a `_change_type` column every row is an upsert: no per-row pass on the common write.
  const typed = batches.some((b) => b.schema.fields.some((f) => f.name === '_change_type'));
  const actions = typed ? arrowActions(batches, maxRows) : undefined;
  if (!actions) return arrowWriteInput(batches, columns, maxRows, { required: primaryKey, ...(target ? { only: target } : {}) });
  const keyColumns = columns.filter((c) => primaryKey.includes(c.name));
  const scoped = target ? columns.filter((c) => target.includes(c.name)) : columns;
  const rows: Row[] = [];
  const deletes: boolean[] = [];
  let at = 0;
  for (const batch of batches) {
    for (const run of actionRuns(actions, at, batch.numRows)) {
      if (run.action === 'skip') continue;
      const part = batch.slice(run.from - at, run.to - at);
      // A delete reads only the key columns: the rest of a `-D` row (its old image) is not checked.
      const conformed = run.action === 'delete' ? conformBatch(keyColumns, part.select([...primaryKey])) : conformBatch(scoped, part);
      for (const row of batchRows(conformed)) {
        rows.push(row);
        deletes.push(run.action === 'delete');
      }
    }
    at += batch.numRows;
  }
  return { kind: 'rows', rows, deletes };
}

function jsonAction(o: unknown, i: number): UpsertAction {
  // Not an object: rowFromJson refuses it with its own message.
  const type = typeof o === 'object' && o !== null ? (o as Record<string, unknown>)._change_type : undefined;
  return upsertAction(type) ?? fail('INVALID_VALUE', `row ${i}: ${badChangeTypeMessage(type)}`);
}

/** Each row's action from the batches' `_change_type` columns; undefined when every row is an upsert. */
function arrowActions(batches: readonly A.RecordBatch[], maxRows: number): UpsertAction[] | undefined {
  checkRowCount(batches.reduce((n, b) => n + b.numRows, 0), maxRows);
  const actions: UpsertAction[] = [];
  let onlyUpserts = true;
  for (const batch of batches) {
    const index = batch.schema.fields.findIndex((f) => f.name === '_change_type');
    const field = batch.schema.fields[index];
    if (field && !A.DataType.isUtf8(field.type) && !(A.DataType.isDictionary(field.type) && A.DataType.isUtf8(field.type.dictionary))) {
      fail('SCHEMA_MISMATCH', `Arrow field '_change_type' must be utf8 (${UPSERT_CHANGE_TYPES_TEXT}), the batch has ${field.type}`);
    }
    const vector = field ? batch.getChildAt(index)! : undefined;
    for (let i = 0; i < batch.numRows; i++) {
      const type = vector?.get(i) ?? null;
      const action = upsertAction(type) ?? fail('INVALID_VALUE', `row ${actions.length}: ${badChangeTypeMessage(type)}`);
      if (action !== 'upsert') onlyUpserts = false;
      actions.push(action);
    }
  }
  return onlyUpserts ? undefined : actions;
}

/** Consecutive rows [from, to) of one action within the batch that starts at row `at`. */
function actionRuns(actions: readonly UpsertAction[], at: number, length: number): { action: UpsertAction; from: number; to: number }[] {
  const runs: { action: UpsertAction; from: number; to: number }[] = [];
  for (let i = at; i < at + length; i++) {
    const last = runs[runs.length - 1];
    if (last && last.action === actions[i]) last.to = i + 1;
    else runs.push({ action: actions[i]!, from: i, to: i + 1 });
  }
  return runs;
}
