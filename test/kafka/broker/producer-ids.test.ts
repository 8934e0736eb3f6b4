import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HTTP_WRITER_ID_MAX, KAFKA_PRODUCER_ID_MIN } from '../../../src/common/writer-ids.js';
import { ProducerIds } from '../../../src/kafka/broker/producer-ids.js';

describe('producer ids', () => {
  it('are above every HTTP writer id and never handed out twice, across restarts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakestream-pid-'));
    const seen = new Set<bigint>();
    for (let start = 0; start < 3; start++) {
      const ids = await ProducerIds.open(dir);
      for (let i = 0; i < 1500; i++) {
        const id = await ids.allocate();
        expect(id > HTTP_WRITER_ID_MAX && id >= KAFKA_PRODUCER_ID_MIN).toBe(true);
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
  });

  it('refuses a damaged reservation file instead of reusing ids', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakestream-pid-'));
    fs.mkdirSync(path.join(dir, 'kafka'));
    fs.writeFileSync(path.join(dir, 'kafka', 'producer-ids'), 'garbage');
    await expect(ProducerIds.open(dir)).rejects.toThrow(/damaged/);
  });
});
