/**
 * Hostile input against every route of the real server: random bytes as Arrow and JSON bodies,
 * truncated and oversized bodies, deep nesting, huge numbers, bad Unicode and invalid UTF-8, path
 * tricks, very long names, absurd query values, wrong methods and content types, duplicate and bad
 * headers, and raw HTTP the fetch API would never send. The server must answer no 5xx, put every
 * refusal in `{"error":{"code","message"}}`, stay up, and leave the tables it never gets a valid
 * write for exactly as they were (high watermarks, every key's lookup, the catalog).
 *
 * Requests that might be valid after mutation (a flipped byte in an Arrow value, a lone surrogate
 * in a string) only go to the `scratch` table, which the state check leaves out; afterwards every
 * row of `scratch` must still read back as JSON and as Arrow (no poisoned bucket).
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchToIpc, rowsToBatch } from '../../src/common/arrow.js';
import type { Column } from '../../src/common/schema.js';
import { call, startServer, type ServerProcess } from '../e2e/helpers.js';
import { int, mulberry32, pick, readBucket, type Rng } from './support.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0xf022);
const CASES = Number(process.env.FUZZ_HTTP_CASES ?? 3000);
const CONCURRENCY = 16;
const MAX_REQUEST_BYTES = 64 * 1024;
const DB = '/v1/databases/fz';
const EVENTS = `${DB}/tables/events`;
const USERS = `${DB}/tables/users`;
const SCRATCH = `${DB}/tables/scratch`;
const ARROW = 'application/vnd.apache.arrow.stream';

const EVENT_COLUMNS: Column[] = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 's', type: 'string', nullable: true },
  { name: 't', type: 'timestamp', nullable: true },
  { name: 'd', type: 'date', nullable: true },
  { name: 'f', type: 'float64', nullable: true },
  { name: 'b', type: 'binary', nullable: true },
];
const USER_COLUMNS: Column[] = [
  { name: 'id', type: 'int32', nullable: false },
  { name: 'name', type: 'string', nullable: true },
  { name: 'v', type: 'int64', nullable: true },
];
const USER_KEYS = 60;

let server: ServerProcess;

interface FuzzCase {
  what: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array | string;
  /** Raw bytes for a socket instead of fetch (duplicate headers, lying lengths, bad request lines). */
  raw?: Buffer;
  /** A refusal is required: the request is invalid by construction and targets a checked table. */
  mustRefuse: boolean;
}

// -------------------------------------------------------------------------------------------------
// Generators

function randomBytes(rng: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => int(rng, 0, 255));
}

function validArrow(rng: Rng, columns: Column[], n = int(rng, 1, 5)): Uint8Array {
  const rows = Array.from({ length: n }, (_, i) => {
    const row: Record<string, unknown> = {};
    for (const c of columns) {
      row[c.name] = c.type === 'int64' ? BigInt(i) : c.type === 'int32' ? i : c.type === 'string' ? `s${i}` : c.type === 'timestamp' || c.type === 'date' ? 0 : c.type === 'float64' ? 1.5 : c.type === 'binary' ? new Uint8Array([i]) : null;
    }
    return row;
  });
  return batchToIpc(rowsToBatch(columns, rows as never));
}

/** JSON bodies that are wrong for `events` whatever else happens (every row of them is invalid). */
const INVALID_EVENT_JSON: string[] = [
  '', ' ', '{', '[', ']', '[{]', '[{"id":1}', '{"id":1}', '"rows"', 'null', 'true', '1e400', '-1e400', '[1,2,3]', '[null]', '[[]]', '[""]',
  '[{"id":null}]', '[{}]', '[{"id":"abc"}]', '[{"id":1.5}]', '[{"id":true}]', '[{"id":1e400}]', '[{"id":-1e400}]', '[{"id":"9223372036854775808"}]',
  '[{"id":"-9223372036854775809"}]', '[{"id":9007199254740993}]', '[{"id":"0x10"}]', '[{"id":1,"nope":2}]', '[{"id":1,"t":"2020-13-45T99:00:00Z"}]',
  '[{"id":1,"t":1e400}]', '[{"id":1,"t":"yesterday"}]', '[{"id":1,"d":"2020-02-30"}]', '[{"id":1,"d":1000000000}]', '[{"id":1,"d":-1000000000}]', '[{"id":1,"f":"fast"}]',
  '[{"id":1,"f":{}}]', '[{"id":1,"s":5}]', '[{"id":1,"s":["a"]}]', '[{"id":1,"b":12}]', '[{"id":1,"_log_offset":"x","zz":1}]', '[{"id":1}, 7]',
  '[{"id":1,"id":"x"}]', '[{"__proto__":{"id":1}}]', '[{"constructor":1,"id":1}]', '[{"id":{"$gt":0}}]',
];
const INVALID_USER_JSON: string[] = [
  '[{"name":"x"}]', '[{"id":null}]', '[{"id":2147483648}]', '[{"id":-2147483649}]', '[{"id":"1"}]', '[{"id":1,"v":"1.5"}]', '[{"id":1,"name":7}]',
  '[{"id":"\\ud800"}]', '[{"id":1,"unknown":true}]', '{"keys":[]}', '[{"id":1.000001}]',
];
const INVALID_LOOKUP_JSON: string[] = [
  '{}', '{"keys":7}', '{"keys":[{}]}', '{"keys":[{"id":"x"}]}', '{"keys":[{"id":null}]}', '{"keys":[{"id":1,"name":"extra"}]}', '[{"id":1}]',
  '{"keys":[[1]]}', '{"keys":[{"id":1e400}]}', '{"prefixes":[{"id":1}]}', 'null', '{"keys":[{"id":4294967296}]}',
];

function deepNesting(rng: Rng): string {
  const depth = pick(rng, [1000, 10_000, 100_000]);
  return rng() < 0.5 ? '['.repeat(depth) : `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

function mutatedJson(rng: Rng, text: string): string {
  const chars = [...text];
  for (let i = int(rng, 1, 3); i > 0; i--) {
    const at = int(rng, 0, Math.max(0, chars.length - 1));
    const op = int(rng, 0, 2);
    if (op === 0) chars.splice(at, 1);
    else if (op === 1) chars.splice(at, 0, pick(rng, ['"', '{', '}', '[', ']', ',', ':', '\\', 'e', '-', '0', '\u0000', '\ud800']));
    else chars[at] = String.fromCharCode(int(rng, 0, 0xffff));
  }
  return chars.join('');
}

/** Strings that are unusual as text: lone surrogates, NUL, overlong and invalid UTF-8 (raw bytes). */
function badUnicodeBody(rng: Rng): Uint8Array {
  const prefix = Buffer.from('[{"id":1,"s":"');
  const middle = pick(rng, [Buffer.from([0xff, 0xfe]), Buffer.from([0xc0, 0x80]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from('\\ud800'), Buffer.from('\\udfff\\ud800'), Buffer.from('\\u0000')]);
  return Buffer.concat([prefix, middle, Buffer.from('"}]')]);
}

const BAD_NAMES = [
  '..', '..%2f..%2fetc', '%2e%2e', 'a%00b', '%00', 'a/b', 'a%2Fb', '%E2%80%AE', 'x'.repeat(300), 'x'.repeat(129), '%ff%fe', '%ED%A0%80', '%C0%AE',
  '-bad', 'sp%20ace', 'tab%09', '%', '%zz', 'a.b', '%u0041', '${x}', '<script>',
];
const BAD_BUCKETS = ['-1', '2', '99999999999999999999', '1e3', '0x1', '1.0', '', '%20', 'NaN', '01', '+1', '٣'];
const BAD_OFFSETS = ['-1', '1e400', 'abc', '18446744073709551616', '9223372036854775808', '0.5', ' 1', '0x10', '1_000', '%00', 'Infinity'];
const BAD_INTS = ['0', '-5', '1e10', '99999999999999999999', 'abc', '-0', '1.5', '', '%00', 'true', '1000001'];
const BAD_WAITS = ['-1', '60001', '999999999999', '1e400', 'forever', '1.5'];
const CONTENT_TYPES = ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/json; charset=latin1', 'application/vnd.apache.arrow.file', 'application/jsonx', `application/json; ${'p=1; '.repeat(500)}`, '*/*', ''];
const BAD_WRITER_HEADERS: Record<string, string>[] = [
  { 'x-writer-id': '1' }, { 'x-batch-sequence': '1' }, { 'x-writer-id': 'abc', 'x-batch-sequence': '1' }, { 'x-writer-id': '1', 'x-batch-sequence': '-1' },
  { 'x-writer-id': '9223372036854775808', 'x-batch-sequence': '1' }, { 'x-writer-id': '1', 'x-batch-sequence': '2147483648' }, { 'x-writer-id': '1.5', 'x-batch-sequence': '1' },
  { 'x-writer-id': '1', 'x-batch-sequence': '1e3' }, { 'x-writer-id': '-1', 'x-batch-sequence': '1' }, { 'x-writer-id': '', 'x-batch-sequence': '' },
  { 'x-writer-id': '1, 2', 'x-batch-sequence': '1' }, { 'x-writer-id': '1', 'x-batch-sequence': '1 2' },
];

function rawRequest(method: string, path: string, headerLines: string[], body: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from(`${method} ${path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n${headerLines.map((h) => `${h}\r\n`).join('')}\r\n`, 'latin1'), body]);
}

function generate(rng: Rng, i: number): FuzzCase {
  const validEvents = () => JSON.stringify([{ id: 1000 + i, s: 'ok' }]);
  const validUsers = () => JSON.stringify([{ id: 1, name: 'ok', v: 1 }]);
  const kind = int(rng, 0, 17);
  switch (kind) {
    case 0: { // random bytes as Arrow to a checked table's write routes
      const path = pick(rng, [`${EVENTS}/append`, `${USERS}/upsert`, `${USERS}/delete`]);
      return { what: 'random bytes as Arrow', method: 'POST', path, headers: { 'content-type': ARROW }, body: randomBytes(rng, int(rng, 0, 2000)), mustRefuse: true };
    }
    case 1: { // random bytes as JSON
      const path = pick(rng, [`${EVENTS}/append`, `${USERS}/upsert`, `${USERS}/delete`, `${USERS}/lookup`, `${USERS}/prefix-lookup`, EVENTS.replace('events', 'newt')]);
      const body = randomBytes(rng, int(rng, 0, 500));
      const method = path.endsWith('newt') ? 'PUT' : 'POST';
      return { what: 'random bytes as JSON', method, path, headers: { 'content-type': 'application/json' }, body, mustRefuse: true };
    }
    case 2: { // known-invalid JSON
      const [path, list] = pick(rng, [[`${EVENTS}/append`, INVALID_EVENT_JSON], [`${USERS}/upsert`, INVALID_USER_JSON], [`${USERS}/delete`, INVALID_USER_JSON], [`${USERS}/lookup`, INVALID_LOOKUP_JSON]] as const);
      return { what: 'invalid JSON', method: 'POST', path, headers: { 'content-type': 'application/json' }, body: pick(rng, list), mustRefuse: true };
    }
    case 3: // deep nesting
      return { what: 'deep nesting', method: 'POST', path: pick(rng, [`${EVENTS}/append`, `${USERS}/lookup`, `${USERS}/upsert`]), headers: { 'content-type': 'application/json' }, body: deepNesting(rng), mustRefuse: true };
    case 4: { // oversized bodies
      const n = MAX_REQUEST_BYTES + int(rng, 1, 200_000);
      const arrow = rng() < 0.5;
      const body = arrow ? randomBytes(rng, n) : `[${'{"id":1},'.repeat(Math.ceil(n / 9))}{"id":1}]`;
      return { what: 'oversized body', method: 'POST', path: pick(rng, [`${EVENTS}/append`, `${USERS}/upsert`]), headers: { 'content-type': arrow ? ARROW : 'application/json' }, body, mustRefuse: true };
    }
    case 5: { // bad names in paths
      const name = pick(rng, BAD_NAMES);
      const tpl = pick(rng, [
        ['PUT', `/v1/databases/${name}`], ['DELETE', `/v1/databases/${name}`], ['GET', `/v1/databases/${name}/tables`], ['PUT', `${DB}/tables/${name}`],
        ['DELETE', `${DB}/tables/${name}`], ['POST', `${DB}/tables/${name}/append`], ['GET', `${DB}/tables/${name}/buckets/0/records`], ['POST', `/v1/databases/${name}/tables/users/lookup`],
      ] as const);
      const body = tpl[0] === 'PUT' && tpl[1].includes('/tables/') ? JSON.stringify({ columns: [{ name: 'a', type: 'int32' }] }) : tpl[0] === 'POST' ? validEvents() : undefined;
      return { what: `bad name ${name.slice(0, 20)}`, method: tpl[0], path: tpl[1], headers: body ? { 'content-type': 'application/json' } : {}, ...(body ? { body } : {}), mustRefuse: true };
    }
    case 6: { // absurd query values on reads
      const table = pick(rng, [EVENTS, USERS]);
      const q = pick(rng, [
        `offset=${pick(rng, BAD_OFFSETS)}`, `maxRecords=${pick(rng, BAD_INTS)}`, `maxBytes=${pick(rng, BAD_INTS)}`, `waitMs=${pick(rng, BAD_WAITS)}`,
        `columns=${pick(rng, ['nope', ',,,', 'id,nope', '%00', 'x'.repeat(5000)])}`, `offset=0&offset=1`, `maxBytes=${2 ** 40}`,
      ]);
      return { what: `query ${q.slice(0, 40)}`, method: 'GET', path: `${table}/buckets/${pick(rng, ['0', '1'])}/records?${q}`, headers: {}, mustRefuse: true };
    }
    case 7: { // bad buckets and other read routes
      const b = pick(rng, BAD_BUCKETS);
      const path = pick(rng, [`${EVENTS}/buckets/${b}/records`, `${EVENTS}/buckets/${b}`, `${EVENTS}/buckets/${b}/offsets?at=latest`, `${USERS}/buckets/${b}/rows`,
        `${EVENTS}/buckets/0/offsets?at=${pick(rng, ['soon', '-1', '1e400', '99999999999999999999', ''])}`, `${USERS}/buckets/0/rows?limit=${pick(rng, BAD_INTS)}`,
        `${USERS}/buckets/0/rows?after=${pick(rng, ['zz', '%00', 'x'.repeat(3000), '!!!', 'AAAA'])}`]);
      return { what: `read ${path.slice(DB.length, DB.length + 50)}`, method: 'GET', path, headers: {}, mustRefuse: !path.includes('at=&') && !path.endsWith('at=') };
    }
    case 8: { // wrong methods
      const [method, path] = pick(rng, [
        ['DELETE', `${EVENTS}/buckets/0/records`], ['PATCH', EVENTS], ['PUT', '/v1/health'], ['POST', '/v1/databases'], ['GET', `${EVENTS}/append`], ['PUT', `${USERS}/lookup`],
        ['POST', `${EVENTS}/buckets/0`], ['DELETE', `${USERS}/upsert`], ['OPTIONS', EVENTS], ['POST', `${EVENTS}/lake/snapshots`], ['PUT', `${USERS}/lake/compact`], ['POST', `${EVENTS}/lake/compact`],
      ] as const);
      return { what: `${method} ${path.slice(DB.length)}`, method, path, headers: {}, mustRefuse: true };
    }
    case 9: { // wrong content types with valid-looking bodies
      const type = pick(rng, CONTENT_TYPES);
      // JSON with parameters is still JSON: those go to scratch, where a write is allowed.
      if (type.startsWith('application/json;')) return { what: `content-type ${type.slice(0, 30)} (scratch)`, method: 'POST', path: `${SCRATCH}/append`, headers: { 'content-type': type }, body: validEvents(), mustRefuse: false };
      const users = rng() < 0.5;
      return { what: `content-type ${type.slice(0, 30)}`, method: 'POST', path: users ? `${USERS}/upsert` : `${EVENTS}/append`, headers: type ? { 'content-type': type } : {}, body: users ? validUsers() : validEvents(), mustRefuse: true };
    }
    case 10: { // JSON body sent as Arrow, Arrow body sent as JSON
      const asArrow = rng() < 0.5;
      return { what: asArrow ? 'JSON sent as Arrow' : 'Arrow sent as JSON', method: 'POST', path: pick(rng, [`${EVENTS}/append`, `${USERS}/upsert`]), headers: { 'content-type': asArrow ? ARROW : 'application/json' }, body: asArrow ? validEvents() : validArrow(rng, EVENT_COLUMNS), mustRefuse: true };
    }
    case 11: { // bad writer headers on otherwise valid writes
      const users = rng() < 0.4;
      return { what: 'bad writer headers', method: 'POST', path: users ? `${USERS}/upsert` : `${EVENTS}/append`, headers: { 'content-type': 'application/json', ...pick(rng, BAD_WRITER_HEADERS) }, body: users ? validUsers() : validEvents(), mustRefuse: true };
    }
    case 12: { // Arrow for the wrong table or with the wrong schema
      const wrong = pick(rng, [validArrow(rng, USER_COLUMNS), validArrow(rng, [{ name: 'id', type: 'string', nullable: false }]), validArrow(rng, [{ name: 'zzz', type: 'int32', nullable: true }]), validArrow(rng, [{ name: 's', type: 'string', nullable: true }])]);
      return { what: 'Arrow with a wrong schema', method: 'POST', path: `${EVENTS}/append`, headers: { 'content-type': ARROW }, body: wrong, mustRefuse: true };
    }
    case 13: { // raw HTTP: duplicate headers, lying content-length, bad request lines, truncated bodies
      const body = Buffer.from(validEvents());
      const raw = pick(rng, [
        rawRequest('POST', `${EVENTS}/append`, ['content-type: application/json', 'content-type: application/json', `content-length: ${body.length}`, 'x-writer-id: 5', 'x-writer-id: 6', 'x-batch-sequence: 1'], body),
        rawRequest('POST', `${EVENTS}/append`, ['content-type: application/json', `content-length: ${body.length}`, `content-length: ${body.length + 1}`], body),
        rawRequest('POST', `${EVENTS}/append`, ['content-type: application/json', `content-length: ${body.length + 50}`], body),
        rawRequest('POST', `${EVENTS}/append`, ['content-type: application/json', 'content-length: -1'], body),
        rawRequest('POST', `${EVENTS}/append`, ['content-type: application/json', 'transfer-encoding: chunked', `content-length: ${body.length}`], body),
        rawRequest('POST', `${EVENTS}/append`, ['content-type: application/json', 'transfer-encoding: chunked'], Buffer.from('zz\r\nabc\r\n0\r\n\r\n')),
        rawRequest('GET', `${EVENTS}/buckets/0/records?offset=\u0000`, []),
        rawRequest('GET', `/v1/databases/fz/tables/ev\u00e9nts`, []),
        rawRequest('GET', '/v1/health', [`x-big: ${'a'.repeat(20_000)}`]),
        rawRequest('GET', '/v1/health', ['bad header line without colon']),
        Buffer.from('GARBAGE / HTTP/1.1\r\n\r\n'),
        Buffer.from('GET /v1/health HTTP/9.9\r\nhost: x\r\n\r\n'),
        Buffer.from('\r\n\r\n\r\n'),
        rawRequest('POST', `${USERS}/lookup`, ['content-type: application/json', 'content-length: 100000000'], Buffer.from('{"keys":[')),
      ]);
      return { what: `raw ${raw.subarray(0, 60).toString('latin1').replace(/\r\n/g, ' | ')}`, method: 'RAW', path: '', headers: {}, raw, mustRefuse: true };
    }
    case 14: { // mutated valid Arrow: may stay valid, so only to scratch
      const bytes = Uint8Array.from(validArrow(rng, EVENT_COLUMNS, int(rng, 1, 20)));
      for (let j = int(rng, 1, 4); j > 0; j--) bytes[int(rng, 0, bytes.length - 1)] = int(rng, 0, 255);
      return { what: 'mutated Arrow (scratch)', method: 'POST', path: `${SCRATCH}/append`, headers: { 'content-type': ARROW }, body: bytes, mustRefuse: false };
    }
    case 15: // mutated valid JSON and bad Unicode: may stay valid, so only to scratch
      return rng() < 0.5
        ? { what: 'mutated JSON (scratch)', method: 'POST', path: `${SCRATCH}/append`, headers: { 'content-type': 'application/json' }, body: mutatedJson(rng, JSON.stringify([{ id: 1, s: 'x', t: 5, d: 3, f: 1.5, b: 'AQID' }])), mustRefuse: false }
        : { what: 'bad unicode (scratch)', method: 'POST', path: `${SCRATCH}/append`, headers: { 'content-type': 'application/json' }, body: badUnicodeBody(rng), mustRefuse: false };
    case 16: { // bad table definitions
      const def = pick(rng, [
        '{}', '{"columns":[]}', '{"columns":[{"name":"a","type":"int128"}]}', '{"columns":[{"name":"a","type":"int32"},{"name":"a","type":"int32"}]}', '{"columns":[{"name":"a","type":"int32"}],"buckets":0}',
        '{"columns":[{"name":"a","type":"int32"}],"buckets":1e400}', '{"columns":[{"name":"a","type":"int32"}],"buckets":99999}', '{"columns":[{"name":"a","type":"int32"}],"primaryKey":["b"]}',
        '{"columns":[{"name":"a","type":"int32"}],"properties":{"table.log.ttl":"-1s"}}', '{"columns":[{"name":"a","type":"int32"}],"properties":{"table.nope":"1"}}', `{"columns":[{"name":"${'x'.repeat(1000)}","type":"int32"}]}`,
        '{"columns":[{"name":"_log_offset","type":"int64"}]}', '{"columns":[{"name":"a","type":"float32"}],"primaryKey":["a"],"bucketKey":["zz"]}', '{"columns":"a"}', '[1]', deepNesting(rng),
      ]);
      return { what: `table definition ${def.slice(0, 40)}`, method: 'PUT', path: `${DB}/tables/newt${i}`, headers: { 'content-type': 'application/json' }, body: def, mustRefuse: true };
    }
    default: { // existing tables re-created with another definition, or dropping a database that has tables
      const c = pick(rng, [
        { method: 'PUT', path: EVENTS, body: JSON.stringify({ columns: [{ name: 'other', type: 'int32' }] }) },
        { method: 'DELETE', path: DB },
        { method: 'PUT', path: DB },
        { method: 'DELETE', path: `${DB}?cascade=maybe` },
        { method: 'PUT', path: `${EVENTS}?ifNotExists=yes`, body: JSON.stringify({ columns: [{ name: 'a', type: 'int32' }] }) },
      ]);
      return { what: `${c.method} ${c.path.slice(0, 60)}`, method: c.method, path: c.path, headers: c.body ? { 'content-type': 'application/json' } : {}, ...(c.body ? { body: c.body } : {}), mustRefuse: true };
    }
  }
}

// -------------------------------------------------------------------------------------------------
// Sending

interface Answer {
  status: number;
  text: string;
  retryAfter: string | null;
}

async function sendFetch(c: FuzzCase): Promise<Answer> {
  const res = await fetch(server.url + c.path, { method: c.method, headers: c.headers, ...(c.body !== undefined ? { body: c.body } : {}) });
  return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') };
}

/** Sends raw bytes, half-closes, and parses whatever comes back (undefined: the server just closed). */
function sendRaw(bytes: Buffer): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!m) return resolve(undefined);
      const split = text.indexOf('\r\n\r\n');
      let body = split >= 0 ? text.slice(split + 4) : '';
      if (/transfer-encoding: chunked/i.test(text.slice(0, split))) body = body.replace(/^[0-9a-f]+\r\n/i, '').replace(/\r\n0\r\n\r\n$/, '');
      resolve({ status: Number(m[1]), text: body, retryAfter: null });
    });
    socket.write(bytes, () => socket.end());
  });
}

// -------------------------------------------------------------------------------------------------
// State of the tables that only ever get invalid requests

async function snapshotState(): Promise<unknown> {
  const state: Record<string, unknown> = {};
  state.databases = (await call(server.url, 'GET', '/v1/databases')).body;
  state.tables = (await call(server.url, 'GET', `${DB}/tables`)).body;
  for (const t of [EVENTS, USERS]) {
    state[`${t} definition`] = (await call(server.url, 'GET', t)).body;
    for (const b of [0, 1]) {
      const s = (await call(server.url, 'GET', `${t}/buckets/${b}`)).body;
      state[`${t}/${b}`] = { localLogStartOffset: s.localLogStartOffset, highWatermark: s.highWatermark };
      state[`${t}/${b} records`] = (await readBucket(server.url, t, b)).records;
    }
  }
  state.lookup = (await call(server.url, 'POST', `${USERS}/lookup`, { keys: Array.from({ length: USER_KEYS }, (_, id) => ({ id })) })).body;
  return state;
}

beforeAll(async () => {
  server = await startServer({ args: ['--max-request-bytes', String(MAX_REQUEST_BYTES), '--log-level', 'info'] });
  expect((await call(server.url, 'PUT', DB)).status).toBe(201);
  expect((await call(server.url, 'PUT', EVENTS, { columns: EVENT_COLUMNS, buckets: 2, bucketKey: ['id'] })).status).toBe(201);
  expect((await call(server.url, 'PUT', USERS, { columns: USER_COLUMNS, primaryKey: ['id'], buckets: 2 })).status).toBe(201);
  expect((await call(server.url, 'PUT', SCRATCH, { columns: EVENT_COLUMNS, buckets: 2 })).status).toBe(201);
  const events = Array.from({ length: 50 }, (_, id) => ({ id, s: `e${id}`, t: 1_700_000_000_000 + id, d: id, f: id / 4, b: Buffer.from([id]).toString('base64') }));
  expect((await call(server.url, 'POST', `${EVENTS}/append`, events)).status).toBe(200);
  expect((await call(server.url, 'POST', `${USERS}/upsert`, Array.from({ length: USER_KEYS - 10 }, (_, id) => ({ id, name: `u${id}`, v: id })))).status).toBe(200);
  expect((await call(server.url, 'POST', `${USERS}/delete`, [{ id: 3 }, { id: 7 }])).status).toBe(200);
});

afterAll(async () => {
  await server?.stop();
});

describe('hostile HTTP input', () => {
  it(`fuzz: ${CASES} malformed requests to every route: no 5xx, JSON errors, server up, tables unchanged (seed ${SEED})`, async () => {
    const before = await snapshotState();
    const rng = mulberry32(SEED);
    const cases = Array.from({ length: CASES }, (_, i) => generate(rng, i));
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    let fastifyShaped = 0;
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const i = next++;
        const c = cases[i]!;
        let answer: Answer | undefined;
        try {
          answer = c.raw ? await sendRaw(c.raw) : await sendFetch(c);
        } catch (e) {
          // fetch refusing to send (a header value it finds invalid) is not the server's doing.
          if (e instanceof TypeError && !/fetch failed/.test(e.message)) continue;
          problems.push(`case ${i} (${c.what}): ${(e as Error).message} ${(e as { cause?: Error }).cause?.message ?? ''}`);
          continue;
        }
        if (!answer) continue; // a raw request the server closed without an answer (a lying length)
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const where = `case ${i} (${c.what}) ${c.method} ${c.path.slice(0, 80)}`;
        if (answer.status >= 500) problems.push(`${where}: ${answer.status} ${answer.text.slice(0, 200)}`);
        if (answer.status >= 400) {
          let body: any;
          try {
            body = JSON.parse(answer.text);
          } catch {
            body = undefined;
          }
          // Fastify's own shape for refusals made before routing; see error-format.test.ts (a known bug in app.ts).
          if (typeof body?.statusCode === 'number' && typeof body?.error === 'string') fastifyShaped++;
          else if (typeof body?.error?.code !== 'string' || typeof body?.error?.message !== 'string') problems.push(`${where}: ${answer.status} without {"error":{"code","message"}}: ${answer.text.slice(0, 200)}`);
        } else if (c.mustRefuse && c.method !== 'GET') {
          const sent = typeof c.body === 'string' ? c.body.slice(0, 120) : c.body ? `<${c.body.length} bytes>` : '';
          problems.push(`${where}: accepted (${answer.status}) a request that is invalid by construction (headers ${JSON.stringify(c.headers).slice(0, 200)}, body ${sent}): ${answer.text.slice(0, 200)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const health = await call(server.url, 'GET', '/v1/health');
    expect(health.status).toBe(200);
    expect(server.proc.exitCode).toBeNull();
    const after = await snapshotState();
    if (process.env.FUZZ_HTTP_DUMP) (await import('node:fs')).writeFileSync(process.env.FUZZ_HTTP_DUMP, JSON.stringify({ problems, before, after }, null, 1));
    expect(problems, `seed ${SEED}: ${problems.length} problems; statuses ${JSON.stringify([...statuses])}\n${problems.slice(0, 40).join('\n')}`).toEqual([]);
    expect(after, `seed ${SEED}: tables changed by invalid requests`).toEqual(before);
    expect([...statuses.keys()].some((s) => s >= 400 && s < 500)).toBe(true);
    console.log(`fuzz-http seed ${SEED}: statuses ${JSON.stringify(Object.fromEntries(statuses))}; ${fastifyShaped} refusals in Fastify's shape (error-format.test.ts)`);
    // Whatever the scratch table accepted still reads back, as JSON and as Arrow.
    for (const b of [0, 1]) {
      const rows = await readBucket(server.url, SCRATCH, b);
      const arrow = await call(server.url, 'GET', `${SCRATCH}/buckets/${b}/records?offset=0`, undefined, { accept: ARROW });
      expect({ bucket: b, status: arrow.status, read: rows.records.length >= 0 }).toEqual({ bucket: b, status: 200, read: true });
    }
    expect(server.output()).not.toMatch(/"level":50/);
  }, 180_000);
});
