/**
 * A lake on S3-compatible storage (AWS S3, MinIO, R2, s3rver...) through `@aws-sdk/client-s3`.
 *
 * - Path-style addressing when an endpoint is given (MinIO and friends), virtual-host style on AWS.
 * - Credentials and region from the standard chain (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 *   `AWS_REGION`, profiles, instance roles), region default us-east-1.
 * - Bodies above `multipartThresholdBytes` (16 MiB) go up in parts, a few at a time; a failed
 *   multipart upload is aborted so no parts linger.
 * - Create-only puts send `If-None-Match: *`; 412 (and 409, a concurrent conditional write) mean
 *   "someone else has it": `{ created: false }`.
 */
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand,
  DeleteObjectsCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command,
  PutObjectCommand, S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { fail, LakestreamError } from '../common/errors.js';
import type { ListedObject, ObjectStore, ObjectStoreOptions, PutOptions } from './object-store.js';
import { checkKey, checkPrefix } from './object-store.js';

export const MULTIPART_THRESHOLD_BYTES_DEFAULT = 16 * 1024 * 1024;
export const MULTIPART_PART_BYTES_DEFAULT = 8 * 1024 * 1024;
const MULTIPART_PART_BYTES_MIN = 5 * 1024 * 1024;
const MULTIPART_PARTS_MAX = 10_000;
const MULTIPART_CONCURRENCY = 4;
const DELETE_KEYS_PER_REQUEST = 1000;
const CONNECT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 120_000;

export interface S3StoreOptions extends ObjectStoreOptions {
  readonly bucket: string;
  /** Key prefix inside the bucket ('' for the bucket root), without leading or trailing '/'. */
  readonly prefix: string;
}

interface AwsError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function status(e: unknown): number | undefined {
  return (e as AwsError)?.$metadata?.httpStatusCode;
}

function errName(e: unknown): string {
  const err = e as AwsError;
  return err?.name ?? err?.Code ?? err?.code ?? 'Error';
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE']);

function isNetworkError(e: unknown): boolean {
  const err = e as AwsError & { cause?: { code?: string } };
  if (status(e) !== undefined) return false;
  return NETWORK_CODES.has(err?.code ?? '') || NETWORK_CODES.has(err?.cause?.code ?? '') || errName(e) === 'TimeoutError' ||
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|socket hang up|timed? ?out/i.test(err?.message ?? '');
}

export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  private readonly endpoint: string | undefined;
  private readonly thresholdBytes: number;
  private readonly partBytes: number;

  constructor(opts: S3StoreOptions) {
    this.bucket = opts.bucket;
    this.prefix = opts.prefix.replace(/^\/+|\/+$/g, '');
    this.endpoint = opts.s3Endpoint;
    this.thresholdBytes = opts.multipartThresholdBytes ?? MULTIPART_THRESHOLD_BYTES_DEFAULT;
    this.partBytes = Math.max(opts.multipartPartBytes ?? MULTIPART_PART_BYTES_DEFAULT, MULTIPART_PART_BYTES_MIN);
    if (opts.s3Endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(opts.s3Endpoint)) {
      fail('INVALID_PARAMETER', `S3 endpoint '${opts.s3Endpoint}' must be an http:// or https:// URL, e.g. http://127.0.0.1:9000`);
    }
    const checksums = opts.checksums ?? (opts.s3Endpoint ? 'when_required' : 'when_supported');
    const config: S3ClientConfig = {
      region: opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      forcePathStyle: opts.s3ForcePathStyle ?? opts.s3Endpoint !== undefined,
      requestChecksumCalculation: checksums === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
      responseChecksumValidation: checksums === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
    };
    if (opts.s3Endpoint !== undefined) config.endpoint = opts.s3Endpoint;
    if (opts.credentials) config.credentials = { ...opts.credentials };
    // On Node < 22 the SDK prints a 7-line NodeVersionSupportWarning at every start: lakestream is
    // tested on Node 20 with this pinned SDK, so the warning only buries the server's own log lines.
    // It reads this variable when the client is built; setting it to 'false' brings the warning back.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client(config);
  }

  private objectKey(key: string): string {
    checkKey(key);
    return this.prefix === '' ? key : `${this.prefix}/${key}`;
  }

  private where(): string {
    return this.endpoint ? ` at ${this.endpoint}` : '';
  }

  private wrap(op: string, key: string, e: unknown): never {
    if (e instanceof LakestreamError) throw e;
    const s = status(e);
    const target = key === '' ? `s3://${this.bucket}/${this.prefix}` : this.uri(key);
    let hint = '';
    if (isNetworkError(e)) hint = `: cannot reach the S3 endpoint${this.where()}; check --s3-endpoint and that the server is up`;
    else if (s === 403 || errName(e) === 'InvalidAccessKeyId' || errName(e) === 'SignatureDoesNotMatch') hint = ': access denied; check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy';
    else if (errName(e) === 'NoSuchBucket') hint = `: bucket '${this.bucket}' does not exist${this.where()}; create it first`;
    // An outage passes; a refusal (credentials, a missing bucket or object) needs someone to act.
    const transient = isNetworkError(e) || (s !== undefined && s >= 500) || errName(e) === 'SlowDown';
    throw new LakestreamError(transient ? 'LAKE_UNAVAILABLE' : 'STORAGE_ERROR', `S3 ${op} ${target} failed (${errName(e)}${s ? ` ${s}` : ''}: ${(e as Error)?.message ?? e})${hint}`);
  }

  async put(key: string, body: Uint8Array, opts: PutOptions = {}): Promise<{ created: boolean }> {
    const Key = this.objectKey(key);
    const IfNoneMatch = opts.ifNoneMatch ? '*' : undefined;
    try {
      if (body.length > this.thresholdBytes) return await this.putMultipart(Key, body, IfNoneMatch);
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ContentLength: body.length, IfNoneMatch }));
      return { created: true };
    } catch (e) {
      if (IfNoneMatch && (status(e) === 412 || status(e) === 409)) return { created: false };
      return this.wrap('put', key, e);
    }
  }

  private async putMultipart(Key: string, body: Uint8Array, IfNoneMatch: string | undefined): Promise<{ created: boolean }> {
    const partBytes = Math.max(this.partBytes, Math.ceil(body.length / MULTIPART_PARTS_MAX));
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }));
    if (!UploadId) fail('STORAGE_ERROR', `S3 CreateMultipartUpload for ${Key} returned no upload id`);
    try {
      const count = Math.ceil(body.length / partBytes);
      const etags: string[] = new Array(count);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < count) {
          const i = next++;
          const part = body.subarray(i * partBytes, Math.min(body.length, (i + 1) * partBytes));
          const res = await this.client.send(new UploadPartCommand({
            Bucket: this.bucket, Key, UploadId, PartNumber: i + 1, Body: part, ContentLength: part.length,
          }));
          if (!res.ETag) fail('STORAGE_ERROR', `S3 UploadPart ${i + 1} of ${Key} returned no ETag`);
          etags[i] = res.ETag;
        }
      };
      await Promise.all(Array.from({ length: Math.min(MULTIPART_CONCURRENCY, count) }, worker));
      await this.client.send(new CompleteMultipartUploadCommand({
        Bucket: this.bucket, Key, UploadId, IfNoneMatch,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }));
      return { created: true };
    } catch (e) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId })).catch(() => undefined);
      throw e;
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      if (!res.Body) return new Uint8Array(0);
      return await res.Body.transformToByteArray();
    } catch (e) {
      if (errName(e) === 'NoSuchKey' || status(e) === 404 && errName(e) !== 'NoSuchBucket') return undefined;
      return this.wrap('get', key, e);
    }
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      fail('INVALID_PARAMETER', `byte range [${start}, ${end}) is invalid`);
    }
    if (end === start) {
      if ((await this.head(key)) === undefined) fail('STORAGE_ERROR', `S3 object ${this.uri(key)} does not exist`);
      return new Uint8Array(0);
    }
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Range: `bytes=${start}-${end - 1}` }));
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array(0);
    } catch (e) {
      // 416: the range starts at or past the end of the object.
      if (status(e) === 416) return new Uint8Array(0);
      if (errName(e) === 'NoSuchKey') fail('STORAGE_ERROR', `S3 object ${this.uri(key)} does not exist`);
      return this.wrap('ranged get', key, e);
    }
  }

  async head(key: string): Promise<{ size: number } | undefined> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return { size: res.ContentLength ?? 0 };
    } catch (e) {
      if (status(e) === 404 || errName(e) === 'NotFound' || errName(e) === 'NoSuchKey') return undefined;
      return this.wrap('head', key, e);
    }
  }

  async list(prefix: string): Promise<ListedObject[]> {
    checkPrefix(prefix);
    const base = this.prefix === '' ? '' : `${this.prefix}/`;
    const out: ListedObject[] = [];
    let ContinuationToken: string | undefined;
    try {
      do {
        const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base + prefix, ContinuationToken }));
        for (const o of res.Contents ?? []) {
          if (!o.Key || !o.Key.startsWith(base)) continue;
          out.push({ key: o.Key.slice(base.length), size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 });
        }
        ContinuationToken = res.IsTruncated ? res.NextContinuationToken : undefined;
        if (res.IsTruncated && !ContinuationToken) fail('STORAGE_ERROR', `S3 list of s3://${this.bucket}/${base}${prefix} was truncated without a continuation token`);
      } while (ContinuationToken);
    } catch (e) {
      return this.wrap('list', prefix, e);
    }
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_KEYS_PER_REQUEST) {
      const chunk = keys.slice(i, i + DELETE_KEYS_PER_REQUEST);
      let res;
      try {
        res = await this.client.send(new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: chunk.map((k) => ({ Key: this.objectKey(k) })), Quiet: true },
        }));
      } catch (e) {
        return this.wrap('delete', chunk[0]!, e);
      }
      const errors = (res.Errors ?? []).filter((er) => er.Code !== 'NoSuchKey');
      if (errors.length > 0) {
        fail('STORAGE_ERROR', `S3 delete failed for ${errors.length} object(s), first ${errors[0]!.Key}: ${errors[0]!.Code} ${errors[0]!.Message ?? ''}`);
      }
    }
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (e) {
      const s = status(e);
      if (isNetworkError(e)) {
        fail('LAKE_UNAVAILABLE', `S3 endpoint ${this.endpoint ?? 'of AWS'} is unreachable (${errName(e)}: ${(e as Error)?.message}); check --s3-endpoint and that the server is running`);
      }
      if (s === 404 || errName(e) === 'NotFound' || errName(e) === 'NoSuchBucket') {
        fail('STORAGE_ERROR', `S3 bucket '${this.bucket}' does not exist${this.where()}; create it (e.g. \`aws s3 mb s3://${this.bucket}\`${this.endpoint ? ` --endpoint-url ${this.endpoint}` : ''}) or fix the lake URL`);
      }
      if (s === 403 || s === 400 || s === 401) {
        fail('STORAGE_ERROR', `S3 bucket '${this.bucket}'${this.where()} refused the credentials (HTTP ${s} ${errName(e)}); check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION, and that they may access the bucket`);
      }
      if (errName(e) === 'CredentialsProviderError') {
        fail('STORAGE_ERROR', `no S3 credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a profile / instance role)`);
      }
      this.wrap('check of bucket', '', e);
    }
    // HEAD proves the bucket exists and we may see it; a one-key list proves we may read keys.
    try {
      await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix === '' ? undefined : `${this.prefix}/`, MaxKeys: 1 }));
    } catch (e) {
      if (status(e) === 403) {
        fail('STORAGE_ERROR', `S3 bucket '${this.bucket}'${this.where()} denies listing; the credentials need s3:ListBucket (and s3:GetObject, s3:PutObject, s3:DeleteObject)`);
      }
      this.wrap('list check of bucket', '', e);
    }
  }

  /** Releases the client's sockets. */
  destroy(): void {
    this.client.destroy();
  }
}
