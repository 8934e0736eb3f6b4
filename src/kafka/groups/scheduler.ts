/** A timer the scheduler handed out; only the scheduler that made it can clear it. */
export type TimerHandle = object;

/**
 * The clock and timers the group coordinator runs on, injected so that tests move time by hand
 * (TestingScheduler) instead of sleeping through session and rebalance timeouts.
 */
export interface Scheduler {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Wall-clock time and Node timers, unref'd: a waiting heartbeat never holds the process open. */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
