/** A bucket's memtables as the budget sees them. */
export interface BudgetedMemtables {
  /** Bytes its memtables hold, a frozen one included. */
  readonly memtableBytes: number;
  /** Bytes a flush started now would write out (0 when it cannot flush). */
  readonly flushableBytes: number;
  flush(): Promise<void>;
}

/**
 * The indexes of the largest sizes, largest first, until they add up to `bytesToFree` (all the
 * non-zero ones if they never do): the fewest flushes that bring the total back down.
 */
export function largestFirst(sizes: readonly number[], bytesToFree: number): number[] {
  const order = sizes.map((_, i) => i).filter((i) => sizes[i]! > 0).sort((a, b) => sizes[b]! - sizes[a]!);
  const picked: number[] = [];
  let freed = 0;
  for (const i of order) {
    if (freed >= bytesToFree) break;
    picked.push(i);
    freed += sizes[i]!;
  }
  return picked;
}

/**
 * One cap on the memtables of every primary-key bucket of the server (--index-memtable-total-size),
 * as the per-bucket limit caps one: a thousand buckets each under its own limit could otherwise hold
 * a thousand times it. Buckets report what they hold after each write and flush. Above half the cap
 * the largest memtables are flushed, so that a busy server writes few large LMDB transactions rather
 * than many small ones; above the cap writers wait for those flushes, which holds them to LMDB's pace.
 */
export class MemtableBudget {
  private readonly held = new Map<BudgetedMemtables, number>();
  private total = 0;
  /** Flushes this budget started; they are expected to free `freeing` bytes. */
  private readonly flushes = new Map<BudgetedMemtables, Promise<void>>();
  private freeing = 0;

  constructor(readonly totalBytesMax: number) {}

  /** What all the buckets' memtables hold. */
  get bytes(): number {
    return this.total;
  }

  /** Records what a bucket's memtables hold now. */
  update(memtables: BudgetedMemtables): void {
    this.set(memtables, memtables.memtableBytes);
  }

  /** Forgets a closed bucket. */
  remove(memtables: BudgetedMemtables): void {
    this.set(memtables, 0);
  }

  private set(memtables: BudgetedMemtables, bytes: number): void {
    this.total += bytes - (this.held.get(memtables) ?? 0);
    if (bytes === 0) this.held.delete(memtables);
    else this.held.set(memtables, bytes);
  }

  /** After a write: starts the flushes the total calls for, and above the cap waits until it is back under (or nothing is left to flush). */
  async relieve(): Promise<void> {
    this.startFlushes();
    while (this.total >= this.totalBytesMax && this.flushes.size > 0) {
      await Promise.race(this.flushes.values());
      this.startFlushes();
    }
  }

  private startFlushes(): void {
    const bytesToFree = this.total - this.freeing - this.totalBytesMax / 2;
    if (bytesToFree <= 0) return;
    const candidates = [...this.held.keys()].filter((m) => !this.flushes.has(m));
    const sizes = candidates.map((m) => m.flushableBytes);
    for (const i of largestFirst(sizes, bytesToFree)) this.startFlush(candidates[i]!, sizes[i]!);
  }

  private startFlush(memtables: BudgetedMemtables, bytes: number): void {
    this.freeing += bytes;
    // A failed flush is the bucket's to report (it refuses its next write); here it only ends the wait.
    const done = memtables.flush().catch(() => undefined).finally(() => {
      this.freeing -= bytes;
      this.flushes.delete(memtables);
    });
    this.flushes.set(memtables, done);
  }
}
