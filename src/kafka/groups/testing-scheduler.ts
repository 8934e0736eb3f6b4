import type { Scheduler, TimerHandle } from './scheduler.js';

interface Timer {
  readonly at: number;
  /** Scheduling order: timers due at the same moment run in the order they were set. */
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * A clock that stands still until a test moves it. `advance(ms)` runs, in deadline order, every
 * timer due by the new time, including those the callbacks set meanwhile, with `now()` at each
 * timer's deadline as it runs: the same order a real clock would give, with no sleeping.
 */
export class TestingScheduler implements Scheduler {
  private time: number;
  private seq = 0;
  private readonly timers = new Set<Timer>();

  constructor(startMs = 1_700_000_000_000) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as Timer);
  }

  /** Timers set and neither run nor cleared. */
  get pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const until = this.time + ms;
    for (let next = this.earliest(until); next; next = this.earliest(until)) {
      this.timers.delete(next);
      this.time = next.at;
      next.fn();
    }
    this.time = until;
  }

  private earliest(until: number): Timer | undefined {
    let found: Timer | undefined;
    for (const t of this.timers) {
      if (t.at <= until && (!found || t.at < found.at || (t.at === found.at && t.seq < found.seq))) found = t;
    }
    return found;
  }
}
