/**
 * The last 15 minutes of the server's throughput, one sample a second, for the web console's plots
 * (`GET /v1/metrics/recent`). The hot paths add to plain number tallies (no labels, no Map lookups
 * beyond an error's code); `sample` turns the tallies since the previous sample into rates and
 * pushes them into a fixed ring. Pure: the caller owns the clock and the timer.
 */
import { MetricsRing, type Counts, type RingWindow } from './metrics-ring.js';

export const RECENT_INTERVAL_MS = 1000;
/** 15 minutes of 1 s samples. */
export const RECENT_SAMPLES_MAX = 900;

/**
 * Per second over each interval: appended rows, upserted and deleted primary-key rows, looked-up
 * keys, fetched bytes (fetch response bodies) and refused or failed requests; the mean and the
 * longest log fsync (group commit) in ms, absent when none ran.
 */
export const RECENT_SERIES = ['appendedRows', 'upsertedRows', 'deletedRows', 'lookupKeys', 'fetchedBytes', 'errors', 'fsyncMs', 'fsyncMsMax'] as const;
export type RecentSeries = (typeof RECENT_SERIES)[number];

interface Tally {
  appendedRows: number;
  upsertedRows: number;
  deletedRows: number;
  lookupKeys: number;
  fetchedBytes: number;
  errors: number;
  fsyncs: number;
  fsyncSeconds: number;
  fsyncSecondsMax: number;
  /** Error codes of this interval: at most one entry per code of the catalogue. */
  readonly errorCodes: Map<string, number>;
}

const emptyTally = (): Tally => ({
  appendedRows: 0, upsertedRows: 0, deletedRows: 0, lookupKeys: 0, fetchedBytes: 0, errors: 0, fsyncs: 0, fsyncSeconds: 0, fsyncSecondsMax: 0, errorCodes: new Map(),
});

export class RecentMetrics {
  private readonly ring: MetricsRing<RecentSeries>;
  private tally = emptyTally();
  private sampledAt: number;

  constructor(now: number, capacity = RECENT_SAMPLES_MAX) {
    this.ring = new MetricsRing(RECENT_SERIES, capacity);
    this.sampledAt = now;
  }

  appended(rows: number): void {
    this.tally.appendedRows += rows;
  }

  kvWritten(operation: 'upsert' | 'delete', rows: number): void {
    if (operation === 'upsert') this.tally.upsertedRows += rows;
    else this.tally.deletedRows += rows;
  }

  lookedUp(keys: number): void {
    this.tally.lookupKeys += keys;
  }

  fetched(bytes: number): void {
    this.tally.fetchedBytes += bytes;
  }

  error(code: string): void {
    this.tally.errors += 1;
    this.tally.errorCodes.set(code, (this.tally.errorCodes.get(code) ?? 0) + 1);
  }

  fsync(seconds: number): void {
    this.tally.fsyncs += 1;
    this.tally.fsyncSeconds += seconds;
    this.tally.fsyncSecondsMax = Math.max(this.tally.fsyncSecondsMax, seconds);
  }

  /** Closes the interval since the previous sample: its rates go into the ring, the tallies restart. */
  sample(now: number): void {
    const t = this.tally;
    const seconds = Math.max(now - this.sampledAt, 1) / 1000;
    const rate = (n: number) => n / seconds;
    const codes: Counts = [...t.errorCodes];
    this.ring.push(now, {
      appendedRows: rate(t.appendedRows),
      upsertedRows: rate(t.upsertedRows),
      deletedRows: rate(t.deletedRows),
      lookupKeys: rate(t.lookupKeys),
      fetchedBytes: rate(t.fetchedBytes),
      errors: rate(t.errors),
      ...(t.fsyncs > 0 ? { fsyncMs: (t.fsyncSeconds / t.fsyncs) * 1000, fsyncMsMax: t.fsyncSecondsMax * 1000 } : {}),
    }, codes);
    this.tally = emptyTally();
    this.sampledAt = now;
  }

  /** The samples after `after` (epoch ms), oldest first. */
  samples(after?: number): RingWindow<RecentSeries> {
    return this.ring.window(after);
  }

  /** Refused or failed requests by code over the whole window, most frequent first. */
  errorsByCode(): { code: string; count: number; lastAt: number }[] {
    return this.ring.extrasSummed().map(({ key, count, lastAt }) => ({ code: key, count, lastAt }));
  }
}
