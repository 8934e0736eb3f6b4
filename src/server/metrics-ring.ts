/**
 * A fixed-capacity ring of samples, one column per series (plus the sample times), for the web
 * console's plots. Pure and bounded: the columns are allocated once, and a push overwrites the
 * oldest sample when the ring is full, so memory never grows with uptime.
 */

/** One sample's small sparse extra: counts by key (errors by code), usually none. */
export type Counts = readonly (readonly [string, number])[];

export interface RingWindow<S extends string> {
  /** Sample times (epoch ms), oldest first. */
  readonly time: number[];
  /** One value per sample of each series; null where a sample has no value (NaN inside). */
  readonly series: Record<S, (number | null)[]>;
}

export class MetricsRing<S extends string> {
  private readonly times: Float64Array;
  private readonly columns: Record<S, Float64Array>;
  private readonly extras: (Counts | undefined)[];
  /** Where the next sample goes. */
  private head = 0;
  private count = 0;

  constructor(readonly names: readonly S[], readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.times = new Float64Array(capacity);
    this.columns = Object.fromEntries(names.map((n) => [n, new Float64Array(capacity)])) as Record<S, Float64Array>;
    this.extras = new Array<Counts | undefined>(capacity).fill(undefined);
  }

  get size(): number {
    return this.count;
  }

  /** Appends a sample (times must not go backwards); a missing series value is stored as NaN. */
  push(time: number, values: Partial<Record<S, number>>, extra?: Counts): void {
    this.times[this.head] = time;
    for (const n of this.names) this.columns[n][this.head] = values[n] ?? Number.NaN;
    this.extras[this.head] = extra !== undefined && extra.length > 0 ? extra : undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Ring positions of the held samples, oldest first. */
  private *slots(): Generator<number> {
    const first = (this.head - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) yield (first + i) % this.capacity;
  }

  /** The samples taken after `after` (epoch ms; all of them for -Infinity), oldest first. */
  window(after = Number.NEGATIVE_INFINITY): RingWindow<S> {
    const time: number[] = [];
    const series = Object.fromEntries(this.names.map((n) => [n, [] as (number | null)[]])) as Record<S, (number | null)[]>;
    for (const at of this.slots()) {
      if (this.times[at]! <= after) continue;
      time.push(this.times[at]!);
      for (const n of this.names) {
        const v = this.columns[n][at]!;
        series[n].push(Number.isNaN(v) ? null : v);
      }
    }
    return { time, series };
  }

  /** The extras of every held sample summed by key, with the time of the last sample that had each. */
  extrasSummed(): { key: string; count: number; lastAt: number }[] {
    const sums = new Map<string, { count: number; lastAt: number }>();
    for (const at of this.slots()) {
      for (const [key, n] of this.extras[at] ?? []) {
        const s = sums.get(key);
        if (s) {
          s.count += n;
          s.lastAt = this.times[at]!;
        } else sums.set(key, { count: n, lastAt: this.times[at]! });
      }
    }
    return [...sums].map(([key, s]) => ({ key, ...s })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
  }
}
