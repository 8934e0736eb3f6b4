import { describe, expect, it } from 'vitest';
import { runCrashLoop } from './crash-loop.js';

/**
 * `npm test` runs the short form (3 rounds); `npm run test:crash` the full one
 * (CRASH_LOOP_ROUNDS=20). CRASH_LOOP_SEED replays a failing run.
 */
const ROUNDS = Number(process.env.CRASH_LOOP_ROUNDS ?? 3);
const SEED = Number(process.env.CRASH_LOOP_SEED ?? 20_261_126);

describe('crash loop', () => {
  it(`crash loop: ${ROUNDS} rounds of kill -9 under appends, upserts, deletes and tiering lose nothing (seed ${SEED})`, async () => {
    const figures = await runCrashLoop({ rounds: ROUNDS, seed: SEED, log: (line) => console.log(line) });
    console.log(`crash loop figures: ${JSON.stringify(figures)}`);
    expect({ seed: SEED, rounds: figures.rounds, lost: figures.lost, duplicated: figures.duplicated, torn: figures.torn })
      .toEqual({ seed: SEED, rounds: ROUNDS, lost: 0, duplicated: 0, torn: 0 });
    expect(figures.rowsAcknowledged, `seed ${SEED}`).toBeGreaterThan(ROUNDS * 50);
    expect(figures.upsertsAcknowledged, `seed ${SEED}`).toBeGreaterThan(ROUNDS * 20);
    expect(figures.idempotentRetries, `seed ${SEED}`).toBeGreaterThanOrEqual(ROUNDS);
    expect(figures.lakeRowsVerified, `seed ${SEED}`).toBeGreaterThan(0);
    expect(figures.maxLocalLogStart, `seed ${SEED}: retention never dropped a tiered segment, so no read went through the lake`).toBeGreaterThan(0);
  }, 60_000 + ROUNDS * 30_000);
});
