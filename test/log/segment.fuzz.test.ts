import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { appendRows, openLog, readAllIds, segmentFiles, tempDir } from './helpers.js';

/** Small deterministic PRNG so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('segment fuzz', () => {
  test('segment: random damage to the last segment never serves a wrong record', async () => {
    const dir = tempDir();
    const opts = { segmentBytes: 3000, indexIntervalBytes: 200, compression: 'lz4' as const };
    const log = await openLog(dir, opts);
    await appendRows(log, 40, 3);
    await log.close();
    const last = path.join(dir, segmentFiles(dir, '.log').at(-1)!);
    const lastBase = Number(segmentFiles(dir, '.log').at(-1)!.slice(0, 20));
    const original = fs.readFileSync(last);
    for (let seed = 1; seed <= 60; seed++) {
      const random = prng(seed);
      const bytes = Buffer.from(original);
      const damage = Math.floor(random() * 3);
      const at = Math.floor(random() * bytes.length);
      if (damage === 0) bytes[at]! ^= 1 + Math.floor(random() * 255);
      const written = damage === 1 ? bytes.subarray(0, at) : damage === 2 ? Buffer.concat([bytes, Buffer.alloc(at % 64, 0xab)]) : bytes;
      fs.writeFileSync(last, written);
      const reopened = await openLog(dir, opts);
      const ids = await readAllIds(reopened);
      expect({ seed, ok: ids.every((id, i) => id === i) }).toEqual({ seed, ok: true }); // a dense prefix, nothing wrong
      expect(ids.length).toBeGreaterThanOrEqual(lastBase); // older segments are untouched
      await reopened.close();
      fs.writeFileSync(last, original);
    }
  });
});
