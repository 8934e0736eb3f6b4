import path from 'node:path';
import { fail } from '../common/errors.js';
import { parseDurationMs, parseSizeBytes } from '../common/units.js';
import { ROW_CACHE_MAX_BYTES } from '../kv/row-cache.js';

/**
 * The one schema of server settings. Each has a flag, an environment variable, a default, and a
 * parser that refuses bad values at start-up with a message naming the flag. `serve --help` is
 * generated from this list.
 */
interface Setting<T> {
  readonly flag: string;
  readonly env: string;
  readonly default: string;
  readonly description: string;
  readonly parse: (raw: string, name: string) => T;
}

function integer(min: number, max: number) {
  return (raw: string, name: string): number => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      fail('INVALID_PARAMETER', `${name} must be an integer from ${min} to ${max}, got '${raw}'`);
    }
    return n;
  };
}

function size(minBytes: number, maxBytes = Number.MAX_SAFE_INTEGER) {
  return (raw: string, name: string): number => {
    const n = parseSizeBytes(raw, name);
    if (n < minBytes) fail('INVALID_PARAMETER', `${name} must be at least ${minBytes} bytes, got '${raw}'`);
    if (n > maxBytes) fail('INVALID_PARAMETER', `${name} must be at most ${maxBytes} bytes, got '${raw}'`);
    return n;
  };
}

const text = (raw: string): string => raw;
/** A file path, resolved against the working directory; empty means not set. */
const optionalPath = (raw: string): string => (raw === '' ? '' : path.resolve(raw));

function duration(minMs: number) {
  return (raw: string, name: string): number => {
    const n = parseDurationMs(raw, name);
    if (n < minMs) fail('INVALID_PARAMETER', `${name} must be at least ${minMs} ms, got '${raw}'`);
    return n;
  };
}

/** `host:port` (`[v6]:port` for IPv6), or `none` to turn the listener off; port 0 picks a free one. */
function listener(allowNone: boolean) {
  return (raw: string, name: string): { host: string; port: number } | null => {
    if (raw === '' || (allowNone && raw === 'none')) return null;
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(raw.trim());
    const port = m ? Number(m[3]) : NaN;
    if (!m || port > 65535) fail('INVALID_PARAMETER', `${name} must be host:port (e.g. 127.0.0.1:9092)${allowNone ? " or 'none'" : ''}, got '${raw}'`);
    return { host: m[1] ?? m[2]!, port };
  };
}

function boolean(raw: string, name: string): boolean {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  fail('INVALID_PARAMETER', `${name} must be true or false, got '${raw}'`);
}

function oneOf<T extends string>(values: readonly T[]) {
  return (raw: string, name: string): T => {
    if (!(values as readonly string[]).includes(raw)) fail('INVALID_PARAMETER', `${name} must be one of ${values.join(', ')}, got '${raw}'`);
    return raw as T;
  };
}

export const SETTINGS = {
  host: { flag: 'host', env: 'LAKESTREAM_HOST', default: '127.0.0.1', description: 'address to listen on', parse: text },
  port: { flag: 'port', env: 'LAKESTREAM_PORT', default: '9123', description: 'TCP port (0 picks a free one)', parse: integer(0, 65535) },
  dataDir: { flag: 'data-dir', env: 'LAKESTREAM_DATA_DIR', default: './data', description: 'where logs, indexes and the catalog live', parse: (raw: string) => path.resolve(raw) },
  maxRequestBytes: { flag: 'max-request-bytes', env: 'LAKESTREAM_MAX_REQUEST_BYTES', default: '64mb', description: 'largest request body accepted (413 above it)', parse: size(1024) },
  maxFetchBytes: { flag: 'max-fetch-bytes', env: 'LAKESTREAM_MAX_FETCH_BYTES', default: '16mb', description: 'largest maxBytes a fetch may ask for', parse: size(1024) },
  maxRowsPerRequest: { flag: 'max-rows-per-request', env: 'LAKESTREAM_MAX_ROWS_PER_REQUEST', default: '1000000', description: 'most rows one append/upsert request may carry', parse: integer(1, 100_000_000) },
  maxLongPolls: { flag: 'max-long-polls', env: 'LAKESTREAM_MAX_LONG_POLLS', default: '1000', description: 'most fetches waiting for data at once (503 above it)', parse: integer(1, 1_000_000) },
  maxInFlightWrites: { flag: 'max-in-flight-writes', env: 'LAKESTREAM_MAX_IN_FLIGHT_WRITES', default: '256', description: 'most write requests being received or applied at once (503 with Retry-After above it, before the body is read)', parse: integer(1, 100_000) },
  maxBufferedWriteBytes: { flag: 'max-buffered-write-bytes', env: 'LAKESTREAM_MAX_BUFFERED_WRITE_BYTES', default: '512mb', description: 'request body bytes all requests may hold at once (503 with Retry-After above it, before the body is read)', parse: size(1024 * 1024) },
  lake: { flag: 'lake', env: 'LAKESTREAM_LAKE', default: '', description: 'where tiered Parquet goes: file://<dir> or s3://bucket/prefix (default file://<data-dir>/lake)', parse: text },
  s3Endpoint: { flag: 's3-endpoint', env: 'LAKESTREAM_S3_ENDPOINT', default: '', description: 'S3-compatible endpoint for MinIO, R2, ... (path-style addressing); credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION', parse: text },
  s3Checksums: { flag: 's3-checksums', env: 'LAKESTREAM_S3_CHECKSUMS', default: 'auto', description: 'request checksums: when_required (MinIO, s3rver), when_supported (AWS), or auto (when_required with an endpoint)', parse: oneOf(['auto', 'when_required', 'when_supported'] as const) },
  lakeOrphanGraceMs: { flag: 'lake-orphan-grace', env: 'LAKESTREAM_LAKE_ORPHAN_GRACE', default: '1h', description: 'lake objects no snapshot lists are deleted once older than this', parse: duration(1000) },
  lakeSnapshotsRetained: { flag: 'lake-snapshots-retained', env: 'LAKESTREAM_LAKE_SNAPSHOTS_RETAINED', default: '20', description: 'lake snapshots kept for time travel per table', parse: integer(1, 100_000) },
  indexFlushMs: { flag: 'index-flush-interval', env: 'LAKESTREAM_INDEX_FLUSH_INTERVAL', default: '1s', description: 'acknowledged primary-key rows reach LMDB at least this often (what a restart replays)', parse: duration(10) },
  indexMemtableBytes: { flag: 'index-memtable-size', env: 'LAKESTREAM_INDEX_MEMTABLE_SIZE', default: '64mb', description: 'per bucket: acknowledged rows held before a flush to LMDB starts; writers wait above twice this', parse: size(1024 * 1024) },
  indexMemtableTotalBytes: { flag: 'index-memtable-total-size', env: 'LAKESTREAM_INDEX_MEMTABLE_TOTAL_SIZE', default: '1gb', description: 'all buckets together: above half of this the largest memtables flush to LMDB; writers wait above it', parse: size(1024 * 1024) },
  indexRowCacheBytes: { flag: 'index-row-cache-size', env: 'LAKESTREAM_INDEX_ROW_CACHE_SIZE', default: '128mb', description: 'rows of all primary-key tables kept in memory in front of LMDB for lookups and updates, oldest evicted first (0 turns it off)', parse: size(0, ROW_CACHE_MAX_BYTES) },
  retentionCheckMs: { flag: 'retention-check-interval', env: 'LAKESTREAM_RETENTION_CHECK_INTERVAL', default: '1min', description: 'how often table.log.ttl is enforced (and segments past table.log.segment.roll-interval roll)', parse: duration(100) },
  authFile: { flag: 'auth-file', env: 'LAKESTREAM_AUTH_FILE', default: '', description: 'JSON file of bearer tokens, principals and grants; with it every route but /v1/health and the console page (/console) needs a token (SIGHUP reloads it)', parse: optionalPath },
  tlsCert: { flag: 'tls-cert', env: 'LAKESTREAM_TLS_CERT', default: '', description: 'PEM certificate (chain) to serve HTTPS; needs --tls-key', parse: optionalPath },
  tlsKey: { flag: 'tls-key', env: 'LAKESTREAM_TLS_KEY', default: '', description: 'PEM private key of --tls-cert', parse: optionalPath },
  kafkaListener: { flag: 'kafka-listener', env: 'LAKESTREAM_KAFKA_LISTENER', default: '127.0.0.1:9092', description: "Kafka protocol listener host:port ('none' turns it off; port 0 picks a free one; TLS and SASL/PLAIN follow --tls-cert and --auth-file)", parse: listener(true) },
  kafkaAdvertisedListener: { flag: 'kafka-advertised-listener', env: 'LAKESTREAM_KAFKA_ADVERTISED_LISTENER', default: '', description: 'host:port Kafka clients are told to connect to (behind NAT or in a container); default the listener\'s own', parse: listener(false) },
  kafkaAutoCreateTopics: { flag: 'kafka-auto-create-topics', env: 'LAKESTREAM_KAFKA_AUTO_CREATE_TOPICS', default: 'true', description: 'create a topic (a log table) when a Kafka client asks for metadata of or produces to one that does not exist', parse: boolean },
  kafkaDefaultPartitions: { flag: 'kafka-default-partitions', env: 'LAKESTREAM_KAFKA_DEFAULT_PARTITIONS', default: '1', description: 'buckets of a topic created through Kafka without num.partitions', parse: integer(1, 1024) },
  logLevel: { flag: 'log-level', env: 'LAKESTREAM_LOG_LEVEL', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent', parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const) },
} as const satisfies Record<string, Setting<unknown>>;

export type ServerConfig = { readonly [K in keyof typeof SETTINGS]: ReturnType<(typeof SETTINGS)[K]['parse']> };

/** Resolves each setting from flag, then environment, then default; throws naming the bad one. */
export function resolveConfig(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS) as [keyof typeof SETTINGS, Setting<unknown>][]) {
    const fromFlag = flags[key];
    const raw = fromFlag ?? env[s.env] ?? s.default;
    const name = fromFlag !== undefined ? `--${s.flag}` : env[s.env] !== undefined ? s.env : `--${s.flag}`;
    out[key] = s.parse(String(raw), name);
  }
  return Object.freeze(out) as ServerConfig;
}

/** README's flag table, generated from this schema so the docs cannot drift (a test compares them). */
export function describeSettings(): string {
  const rows = Object.values(SETTINGS).map((s: Setting<unknown>) => `| \`--${s.flag}\` | \`${s.env}\` | ${s.default || '(none)'} | ${s.description} |`);
  return ['| flag | env | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
