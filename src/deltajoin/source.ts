import type { LogScanner, ScanRecord } from '../client/index.js';
import type { Side } from './spec.js';

export interface SourceItem {
  readonly side: Side;
  readonly record: ScanRecord;
}

export interface TakenBatch {
  readonly items: SourceItem[];
  /**
   * Per side, the offsets to resume from once every item taken so far has been applied; undefined
   * while some bucket has no known position yet (a `full` start still reading its snapshot).
   */
  readonly positions: Readonly<Record<Side, Record<number, bigint> | undefined>>;
}

/**
 * Both changelogs as one bounded queue: a pump per side pulls its scanner and waits while
 * `maxQueued` items are queued, so a slow consumer slows the scanners (which stop fetching once
 * their own buffer is full). Records of one bucket keep their order; sides and buckets interleave.
 */
export class MergedChangelog {
  private readonly queue: SourceItem[] = [];
  private readonly queuedBySide = { left: 0, right: 0 };
  /** A pump holding a record it could not queue yet (its scanner's positions are ahead of the queue). */
  private readonly holding = { left: false, right: false };
  private readonly processed: Record<Side, Map<number, bigint>> = { left: new Map(), right: new Map() };
  private consumerWake: (() => void) | undefined;
  private spaceWakes: (() => void)[] = [];
  private failure: unknown;
  private ended = 0;
  private stopped = false;

  constructor(
    private readonly scanners: Readonly<Record<Side, LogScanner>>,
    private readonly maxQueued: number,
  ) {
    void this.pump('left');
    void this.pump('right');
  }

  private async pump(side: Side): Promise<void> {
    const scanner = this.scanners[side];
    try {
      for await (const record of scanner) {
        if (this.stopped) break;
        while (this.queue.length >= this.maxQueued && !this.stopped) {
          this.holding[side] = true;
          await new Promise<void>((resolve) => this.spaceWakes.push(resolve));
        }
        this.holding[side] = false;
        if (this.stopped) break;
        this.queue.push({ side, record });
        this.queuedBySide[side]++;
        this.wakeConsumer();
      }
    } catch (e) {
      this.failure ??= e;
    } finally {
      this.ended++;
      this.wakeConsumer();
    }
  }

  private wakeConsumer(): void {
    const w = this.consumerWake;
    this.consumerWake = undefined;
    w?.();
  }

  /**
   * Waits for at least one item (or the end), then takes up to `max`. Resolves with undefined when
   * stopped or when both scanners ended; rejects with a scanner's failure.
   */
  async take(max: number): Promise<TakenBatch | undefined> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      if (this.stopped) return undefined;
      if (this.queue.length > 0) break;
      if (this.ended === 2) return undefined;
      await new Promise<void>((resolve) => { this.consumerWake = resolve; });
    }
    const items = this.queue.splice(0, max);
    for (const it of items) {
      this.queuedBySide[it.side]--;
      if (it.record.offset >= 0n) this.processed[it.side].set(it.record.bucket, it.record.offset + 1n);
    }
    const wakes = this.spaceWakes;
    this.spaceWakes = [];
    for (const w of wakes) w();
    return { items, positions: { left: this.positionsOf('left'), right: this.positionsOf('right') } };
  }

  /** Resume offsets of everything taken so far (undefined while a bucket's position is unknown). */
  positionsOf(side: Side): Record<number, bigint> | undefined {
    const scanner = this.scanners[side];
    const known = this.processed[side];
    // With nothing of this side queued or held, the scanner's positions are exactly what was taken
    // (they also cover buckets that had no record, and the end of a bucket's snapshot).
    if (this.queuedBySide[side] === 0 && !this.holding[side]) {
      for (const b of scanner.buckets) {
        const p = scanner.position(b);
        if (p !== undefined) known.set(b, p);
      }
    }
    if (!scanner.buckets.every((b) => known.has(b))) return undefined;
    return Object.fromEntries(scanner.buckets.map((b) => [b, known.get(b)!])) as Record<number, bigint>;
  }

  /** Items waiting to be taken. */
  get queued(): number {
    return this.queue.length;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.scanners.left.stop();
    this.scanners.right.stop();
    const wakes = this.spaceWakes;
    this.spaceWakes = [];
    for (const w of wakes) w();
    this.wakeConsumer();
  }
}
