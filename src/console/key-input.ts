/**
 * The lookup form's text fields to JSON key values, as docs/API.md's "Values in JSON" takes them,
 * checked here so that the console never sends a key the server would refuse. Pure.
 */
export type Parsed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  int8: [-128, 127],
  int16: [-32_768, 32_767],
  int32: [-2_147_483_648, 2_147_483_647],
};
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const FLOAT_WORDS = ['NaN', 'Infinity', '-Infinity'];

const ok = (value: unknown): Parsed => ({ ok: true, value });
const bad = (problem: string): Parsed => ({ ok: false, problem });

function parseInt64(text: string): Parsed {
  if (!/^-?\d{1,19}$/.test(text)) return bad('an integer');
  const v = BigInt(text);
  if (v < INT64_MIN || v > INT64_MAX) return bad('an integer within int64');
  // Beyond 2^53 a JSON number would round: the API takes a decimal string.
  return ok(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : text);
}

function parseDate(text: string): Parsed {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return bad('a date YYYY-MM-DD');
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCDate() === Number(m[3]) && d.getUTCMonth() === Number(m[2]) - 1 ? ok(text) : bad('a date that exists');
}

function parseTimestamp(text: string): Parsed {
  if (/^-?\d{1,16}$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? ok(n) : bad('epoch milliseconds within ±2^53');
  }
  return /^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(Date.parse(text)) ? ok(text) : bad('epoch milliseconds or an ISO-8601 time');
}

/** A key column's value from what was typed; strings are taken as typed, everything else trimmed. */
export function parseKeyValue(type: string, raw: string): Parsed {
  if (type === 'string') return ok(raw);
  const text = raw.trim();
  if (text === '') return bad('a value');
  const range = INT_RANGES[type];
  if (range) {
    const n = Number(text);
    return /^-?\d+$/.test(text) && n >= range[0] && n <= range[1] ? ok(n) : bad(`an integer from ${range[0]} to ${range[1]}`);
  }
  switch (type) {
    case 'int64':
      return parseInt64(text);
    case 'float32':
    case 'float64': {
      if (FLOAT_WORDS.includes(text)) return ok(text);
      const n = Number(text);
      return Number.isFinite(n) ? ok(n) : bad('a number');
    }
    case 'boolean':
      return text === 'true' || text === 'false' ? ok(text === 'true') : bad('true or false');
    case 'binary':
      return /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0 ? ok(text) : bad('base64');
    case 'date':
      return parseDate(text);
    case 'timestamp':
      return parseTimestamp(text);
    default:
      return bad(`a value of type ${type}, which the console cannot read`);
  }
}
