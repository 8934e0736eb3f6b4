import { fail } from '../common/errors.js';

/** A counted gate: at most `max` holders at once; the next caller gets 503 OVERLOADED with Retry-After. */
export class Gate {
  private held = 0;

  constructor(private readonly max: number, private readonly what: string) {}

  get inUse(): number {
    return this.held;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.held >= this.max) fail('OVERLOADED', `the server already has ${this.max} ${this.what} in flight; retry after a moment`);
    this.held += 1;
    try {
      return await work();
    } finally {
      this.held -= 1;
    }
  }
}
