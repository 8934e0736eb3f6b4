import { fail } from '../common/errors.js';
import type { Column, TableKind } from '../common/schema.js';
import { COLUMN_TYPES } from '../common/schema.js';

/** Shapes of the JSON replies the client reads, checked as they arrive (the server is input too). */

export interface TableDescription {
  readonly database: string;
  readonly name: string;
  readonly kind: TableKind;
  readonly columns: readonly Column[];
  readonly primaryKey: readonly string[];
  readonly buckets: number;
  readonly bucketKey: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
  readonly tableId: number | string;
  readonly createdAt: number | string;
}

/** What CREATE TABLE takes: columns default to nullable, everything else to the server's defaults. */
export interface TableDefinitionInput {
  readonly columns: readonly { readonly name: string; readonly type: Column['type']; readonly nullable?: boolean }[];
  readonly primaryKey?: readonly string[];
  readonly buckets?: number;
  readonly bucketKey?: readonly string[];
  readonly properties?: Readonly<Record<string, string>>;
  readonly comment?: string;
}

export interface BucketWrite {
  readonly bucket: number;
  /** First changelog offset written; -1 when the write changed nothing there (deleting absent keys). */
  readonly baseOffset: bigint;
  readonly rows: number;
}

/** Reply of append, upsert and delete: durable once received. */
export interface WriteResult {
  readonly rows: number;
  readonly buckets: readonly BucketWrite[];
}

export interface BucketInfo {
  readonly localLogStartOffset: bigint;
  readonly highWatermark: bigint;
  readonly segments: number;
  readonly bytes: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(what: string, body: unknown): never {
  return fail('INTERNAL', `the server sent an unexpected ${what}: ${JSON.stringify(body)?.slice(0, 300)}`);
}

export function wireBigint(v: unknown, what: string): bigint {
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'bigint') return v;
  return bad(what, v);
}

function stringArray(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return bad(what, v);
  return v as string[];
}

export function parseTableDescription(body: unknown): TableDescription {
  if (!isRecord(body) || !Array.isArray(body.columns)) return bad('table description', body);
  const columns: Column[] = body.columns.map((c: unknown) => {
    if (!isRecord(c) || typeof c.name !== 'string' || !(COLUMN_TYPES as readonly unknown[]).includes(c.type)) return bad('column', c);
    return { name: c.name, type: c.type as Column['type'], nullable: c.nullable !== false };
  });
  const primaryKey = stringArray(body.primaryKey, 'primary key');
  const buckets = typeof body.buckets === 'number' && Number.isInteger(body.buckets) && body.buckets >= 1 ? body.buckets : bad('bucket count', body.buckets);
  const properties: Record<string, string> = {};
  if (isRecord(body.properties)) for (const [k, v] of Object.entries(body.properties)) properties[k] = String(v);
  return {
    database: typeof body.database === 'string' ? body.database : '',
    name: typeof body.name === 'string' ? body.name : '',
    kind: body.kind === 'primary-key' || body.kind === 'log' ? body.kind : primaryKey.length > 0 ? 'primary-key' : 'log',
    columns,
    primaryKey,
    buckets,
    bucketKey: stringArray(body.bucketKey, 'bucket key'),
    properties,
    tableId: typeof body.tableId === 'number' || typeof body.tableId === 'string' ? body.tableId : -1,
    createdAt: typeof body.createdAt === 'number' || typeof body.createdAt === 'string' ? body.createdAt : -1,
  };
}

export function parseWriteResult(body: unknown): WriteResult {
  if (!isRecord(body) || typeof body.rows !== 'number' || !Array.isArray(body.buckets)) return bad('write reply', body);
  const buckets = body.buckets.map((b: unknown): BucketWrite => {
    if (!isRecord(b) || typeof b.bucket !== 'number' || typeof b.rows !== 'number') return bad('write reply bucket', b);
    // A primary-key write that changed nothing in a bucket (deleting absent keys) has no offset.
    return { bucket: b.bucket, baseOffset: b.baseOffset === null ? -1n : wireBigint(b.baseOffset, 'base offset'), rows: b.rows };
  });
  return { rows: body.rows, buckets };
}

export function parseBucketInfo(body: unknown): BucketInfo {
  if (!isRecord(body)) return bad('bucket description', body);
  return {
    localLogStartOffset: wireBigint(body.localLogStartOffset, 'localLogStartOffset'),
    highWatermark: wireBigint(body.highWatermark, 'highWatermark'),
    segments: typeof body.segments === 'number' ? body.segments : bad('segment count', body.segments),
    bytes: typeof body.bytes === 'number' ? body.bytes : Number(wireBigint(body.bytes, 'bytes')),
  };
}

export function parseNameList(body: unknown, field: 'databases' | 'tables'): string[] {
  if (!isRecord(body)) return bad(`${field} list`, body);
  return stringArray(body[field], `${field} list`);
}

export function parseOffsetReply(body: unknown): bigint {
  if (!isRecord(body)) return bad('offset reply', body);
  return wireBigint(body.offset, 'offset');
}
