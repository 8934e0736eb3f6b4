import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TestingDisk, type PowerLossMode } from '../../src/common/testing-disk.js';
import { DATA_DIR_PREFIX, runPowerLoss } from './power-loss.js';

/**
 * `npm test` runs the short form; `npm run test:powerloss` the long one (POWER_LOSS_ROUNDS=200).
 * POWER_LOSS_SEED replays a failing run.
 */
const ROUNDS = Number(process.env.POWER_LOSS_ROUNDS ?? 8);
const SEED = Number(process.env.POWER_LOSS_SEED ?? 20_261_203);

describe('power loss', () => {
  for (const mode of ['cut', 'torn'] as const) {
    it(`power loss (${mode}): ${ROUNDS} rounds of losing every unsynced byte and directory entry lose nothing acknowledged (seed ${SEED})`, async () => {
      const figures = await runPowerLoss({ rounds: ROUNDS, seed: SEED, mode });
      console.log(`power loss figures: ${JSON.stringify(figures)}`);
      expect(figures.violations, `seed ${SEED}`).toEqual([]);
      expect({ rounds: figures.rounds, lost: figures.lost, torn: figures.torn, duplicated: figures.duplicated, refusedToStart: figures.refusedToStart })
        .toEqual({ rounds: ROUNDS, lost: 0, torn: 0, duplicated: 0, refusedToStart: 0 });
      expect(figures.appendsAcknowledged, `seed ${SEED}`).toBeGreaterThan(ROUNDS);
      expect(figures.upsertsAcknowledged, `seed ${SEED}`).toBeGreaterThan(ROUNDS);
      expect(figures.unsyncedBytesDropped, `seed ${SEED}: no power loss caught a write in flight`).toBeGreaterThan(0);
    }, 30_000 + ROUNDS * 5_000);
  }
});

/** A disk that answers some fsyncs without making anything durable. */
class ForgetfulDisk extends TestingDisk {
  constructor(root: string, mode: PowerLossMode, random: () => number, private readonly forgotten: (kind: string, target: string) => boolean) {
    super(root, mode, random);
  }

  protected override forgets(kind: 'fdatasync' | 'directory', target: string): boolean {
    return this.forgotten(kind, target);
  }
}

describe('power loss suite', () => {
  const cases: [string, (kind: string, target: string) => boolean][] = [
    ['the fdatasync of log segments', (kind, target) => kind === 'fdatasync' && target.endsWith('.log')],
    ['the directory fsyncs of the lake', (kind, target) => kind === 'directory' && target.includes(`${path.sep}lake${path.sep}`)],
    ['the fsync of the data folder, which holds the catalog', (kind, target) => kind === 'directory' && path.basename(target).startsWith(DATA_DIR_PREFIX)],
  ];
  for (const [what, forgotten] of cases) {
    it(`power loss suite: fails on a disk that forgets ${what}`, async () => {
      const figures = await runPowerLoss({ rounds: 4, seed: SEED, mode: 'cut', disk: (root, mode, random) => new ForgetfulDisk(root, mode, random, forgotten) });
      expect(figures.violations.length, JSON.stringify(figures)).toBeGreaterThan(0);
      expect(figures.violations.some((v) => v.includes('lost')), figures.violations.join('\n')).toBe(true);
    }, 30_000);
  }
});
