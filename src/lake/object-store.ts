/**
 * The lake's storage: a flat key space of immutable objects. Two adapters (a local folder and
 * S3-compatible storage) and a fault-injecting `TestingObjectStore` implement it; everything above
 * (Parquet files, snapshots, the lake reader) sees only this interface.
 *
 * Keys are relative to the lake root given in the lake URL (`file:///abs/dir` or
 * `s3://bucket/prefix`), use '/' as separator, and never start with '/' or contain '.' / '..'
 * segments or empty segments.
 */
import * as path from 'node:path';
import { fail } from '../common/errors.js';
import { LocalObjectStore } from './local-store.js';
import { S3ObjectStore } from './s3-store.js';

export interface PutOptions {
  /**
   * Create only: when an object already exists at the key, write nothing and return
   * `{ created: false }`. Local stores make this a real create-exclusive; S3 stores send
   * `If-None-Match: *` (some S3-compatible servers ignore it, see `commitSnapshot`).
   */
  readonly ifNoneMatch?: boolean;
}

export interface ListedObject {
  key: string;
  size: number;
  /** Last-modified time, epoch ms. */
  lastModified: number;
}

export interface ObjectStore {
  /** Writes the whole object; a reader sees the old object, or none, or the whole new one. */
  put(key: string, body: Uint8Array, opts?: PutOptions): Promise<{ created: boolean }>;
  /** The whole object, or undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Bytes [start, end) of an object (end exclusive, clipped to the size); STORAGE_ERROR if missing. */
  getRange(key: string, start: number, end: number): Promise<Uint8Array>;
  head(key: string): Promise<{ size: number } | undefined>;
  /** Every object whose key starts with `prefix` (all pages), in key order. */
  list(prefix: string): Promise<ListedObject[]>;
  /** Deletes the keys; keys that do not exist are ignored. */
  delete(keys: readonly string[]): Promise<void>;
  /** A URI other engines can open: `s3://bucket/prefix/key` or `file:///abs/path`. */
  uri(key: string): string;
  /** Throws STORAGE_ERROR with an actionable message when the store cannot be used. */
  check(): Promise<void>;
}

export interface ObjectStoreOptions {
  /** S3 endpoint for MinIO, R2, s3rver... (`http://127.0.0.1:9000`). Implies path-style access. */
  readonly s3Endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`). Default: true when an endpoint is given. */
  readonly s3ForcePathStyle?: boolean;
  /**
   * Request checksums: `when_required` sends none unless the operation needs one. Needed for
   * s3rver and some MinIO versions, which store the SDK's aws-chunked framing inside objects
   * otherwise. Default `when_supported` (the SDK default) for AWS itself, `when_required` when an
   * endpoint is given.
   */
  readonly checksums?: 'when_supported' | 'when_required';
  /** Region; default `AWS_REGION`, then `AWS_DEFAULT_REGION`, then us-east-1. */
  readonly region?: string;
  /** Explicit credentials; default the standard AWS chain (`AWS_ACCESS_KEY_ID`, ...). */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Objects larger than this are uploaded in parts. Default 16 MiB. */
  readonly multipartThresholdBytes?: number;
  /** Part size of multipart uploads. Default 8 MiB (S3 minimum 5 MiB). */
  readonly multipartPartBytes?: number;
}

export const KEY_BYTES_MAX = 1024;

/** Validates an object key; keys come from our own code, so a bad one is a programming error. */
export function checkKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key) > KEY_BYTES_MAX) {
    fail('INVALID_PARAMETER', `object key must be 1-${KEY_BYTES_MAX} bytes, got ${JSON.stringify(String(key).slice(0, 100))}`);
  }
  if (key.startsWith('/') || key.includes('\\') || key.includes('\0')) fail('INVALID_PARAMETER', `object key '${key.slice(0, 200)}' must be relative and use '/'`);
  for (const seg of key.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') fail('INVALID_PARAMETER', `object key '${key.slice(0, 200)}' has an empty, '.' or '..' segment`);
  }
  return key;
}

/** Validates a list prefix: like a key, but may be empty or end with '/'. */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  checkKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}

export interface ParsedLakeUrl {
  scheme: 'file' | 's3';
  /** Absolute directory for file, bucket for s3. */
  location: string;
  /** Key prefix inside the bucket, without leading or trailing '/' ('' for none). */
  prefix: string;
}

/** Parses `file://<dir>` (absolute, or relative to the working directory) and `s3://bucket[/prefix]`. */
export function parseLakeUrl(lakeUrl: string, cwd: string = process.cwd()): ParsedLakeUrl {
  if (typeof lakeUrl !== 'string') fail('INVALID_PARAMETER', 'the lake URL must be a string');
  if (lakeUrl.startsWith('file://')) {
    let rest = decodeURIComponent(lakeUrl.slice('file://'.length));
    if (rest.startsWith('localhost/')) rest = rest.slice('localhost'.length);
    if (rest === '') fail('INVALID_PARAMETER', `lake URL '${lakeUrl}' names no directory; use file:///abs/dir or file://./rel/dir`);
    return { scheme: 'file', location: path.resolve(cwd, rest), prefix: '' };
  }
  if (lakeUrl.startsWith('s3://')) {
    const rest = lakeUrl.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      fail('INVALID_PARAMETER', `lake URL '${lakeUrl}': '${bucket}' is not a valid S3 bucket name (3-63 lowercase letters, digits, '.', '-')`);
    }
    if (prefix !== '') checkKey(prefix);
    return { scheme: 's3', location: bucket, prefix };
  }
  return fail('INVALID_PARAMETER', `lake URL '${lakeUrl.slice(0, 200)}' must start with file:// or s3://`);
}

/** The store behind a lake URL: a local folder for `file://`, S3-compatible storage for `s3://`. */
export function createObjectStore(lakeUrl: string, opts: ObjectStoreOptions = {}): ObjectStore {
  const parsed = parseLakeUrl(lakeUrl);
  if (parsed.scheme === 'file') return new LocalObjectStore(parsed.location);
  return new S3ObjectStore({ bucket: parsed.location, prefix: parsed.prefix, ...opts });
}
