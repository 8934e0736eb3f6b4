import { fail } from '../common/errors.js';

/**
 * A counted gate: at most `max` units held at once. `run` holds one for a piece of work and refuses
 * the next caller with 503 OVERLOADED (Retry-After); `tryAcquire` and `release` hold units across
 * callbacks (a request's body bytes, from its headers until its response closes).
 */
export class Gate {
  private held = 0;

  constructor(private readonly max: number, private readonly what: string) {}

  get inUse(): number {
    return this.held;
  }

  get capacity(): number {
    return this.max;
  }

  /** Takes `units` if they fit under the maximum; false (and nothing taken) if they do not. */
  tryAcquire(units = 1): boolean {
    if (this.held + units > this.max) return false;
    this.held += units;
    return true;
  }

  release(units = 1): void {
    this.held -= units;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (!this.tryAcquire()) fail('OVERLOADED', `the server already has ${this.max} ${this.what} in flight; retry after a moment`);
    try {
      return await work();
    } finally {
      this.release();
    }
  }
}
