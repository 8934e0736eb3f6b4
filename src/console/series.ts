/**
 * The console's side of the plots: the last samples of some series in columns, as uPlot reads them
 * (x in seconds), bounded by a capacity, so a page that stays open for days holds no more than a
 * window's worth. The columns are kept and trimmed in place: each redraw hands uPlot the same arrays.
 */
export class SeriesWindow<S extends string> {
  /** Sample times in seconds (uPlot's time scale). */
  readonly time: number[] = [];
  readonly columns: Record<S, (number | null)[]>;
  private lastMs = Number.NEGATIVE_INFINITY;

  constructor(readonly names: readonly S[], readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.columns = Object.fromEntries(names.map((n) => [n, [] as (number | null)[]])) as Record<S, (number | null)[]>;
  }

  get size(): number {
    return this.time.length;
  }

  /** The time of the newest sample held (epoch ms), for asking the server only for newer ones. */
  get lastTimeMs(): number | undefined {
    return this.time.length === 0 ? undefined : this.lastMs;
  }

  /**
   * Adds the samples newer than the newest held (times in epoch ms, oldest first; a series left out
   * or short is null there), then drops the oldest beyond the capacity. Returns how many were added.
   */
  append(timesMs: readonly number[], series: Partial<Record<S, readonly (number | null)[]>>): number {
    let added = 0;
    timesMs.forEach((t, i) => {
      if (!(t > this.lastMs)) return;
      this.time.push(t / 1000);
      for (const n of this.names) this.columns[n].push(series[n]?.[i] ?? null);
      this.lastMs = t;
      added += 1;
    });
    const excess = this.time.length - this.capacity;
    if (excess > 0) {
      this.time.splice(0, excess);
      for (const n of this.names) this.columns[n].splice(0, excess);
    }
    return added;
  }

  /** One sample taken here (the table page's tiering lag). */
  push(timeMs: number, values: Partial<Record<S, number | null>>): void {
    const one = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, [v]])) as Partial<Record<S, (number | null)[]>>;
    this.append([timeMs], one);
  }

  /** uPlot's data: the time column, then the named series. */
  data(...names: S[]): [number[], ...(number | null)[][]] {
    return [this.time, ...names.map((n) => this.columns[n])];
  }
}

/** The newest value and the largest of a column (null when it has none). */
export function latestAndPeak(column: readonly (number | null)[]): { latest: number | null; peak: number | null } {
  let peak: number | null = null;
  for (const v of column) if (v !== null && (peak === null || v > peak)) peak = v;
  return { latest: column.length === 0 ? null : column[column.length - 1]!, peak };
}
