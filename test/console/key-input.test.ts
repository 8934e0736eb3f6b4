import { describe, expect, it } from 'vitest';
import { parseKeyValue } from '../../src/console/key-input.js';

const value = (type: string, text: string) => {
  const p = parseKeyValue(type, text);
  return p.ok ? p.value : `refused: ${p.problem}`;
};

describe('console lookup keys', () => {
  it('takes integers within their type, int64 beyond 2^53 as a decimal string', () => {
    expect(value('int8', '-128')).toBe(-128);
    expect(value('int8', '128')).toBe('refused: an integer from -128 to 127');
    expect(value('int32', ' 42 ')).toBe(42);
    expect(value('int32', '4.2')).toBe('refused: an integer from -2147483648 to 2147483647');
    expect(value('int64', '9007199254740991')).toBe(9007199254740991);
    expect(value('int64', '9007199254740993')).toBe('9007199254740993');
    expect(value('int64', '-9223372036854775808')).toBe('-9223372036854775808');
    expect(value('int64', '9223372036854775808')).toBe('refused: an integer within int64');
    expect(value('int64', 'two')).toBe('refused: an integer');
  });

  it('takes strings as typed, and the other types in their JSON forms', () => {
    expect(value('string', ' a b ')).toBe(' a b ');
    expect(value('string', '')).toBe('');
    expect(value('int64', '')).toBe('refused: a value');
    expect(value('float64', '1.5e3')).toBe(1500);
    expect(value('float32', 'NaN')).toBe('NaN');
    expect(value('float64', 'x')).toBe('refused: a number');
    expect(value('boolean', 'true')).toBe(true);
    expect(value('boolean', 'yes')).toBe('refused: true or false');
    expect(value('binary', 'AQID')).toBe('AQID');
    expect(value('binary', 'AQI')).toBe('refused: base64');
    expect(value('date', '2026-02-28')).toBe('2026-02-28');
    expect(value('date', '2026-02-30')).toBe('refused: a date that exists');
    expect(value('date', '28.2.2026')).toBe('refused: a date YYYY-MM-DD');
    expect(value('timestamp', '1795687200000')).toBe(1795687200000);
    expect(value('timestamp', '2026-11-26T10:00:00Z')).toBe('2026-11-26T10:00:00Z');
    expect(value('timestamp', 'yesterday')).toBe('refused: epoch milliseconds or an ISO-8601 time');
    expect(value('decimal', '1')).toBe('refused: a value of type decimal, which the console cannot read');
  });
});
