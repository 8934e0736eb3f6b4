/**
 * Following the newest records of a bucket, as the records preview does: where to start, and how a
 * fetch's reply changes what is shown and where the next fetch starts. Pure.
 */
export interface Followed<R> {
  /** The newest records shown, at most the count, oldest first. */
  readonly records: readonly R[];
  /** Where the next fetch starts. */
  readonly next: bigint;
  /** The next fetch skips ahead, so its records replace these instead of following them. */
  readonly skipped: boolean;
}

/** The newest `count` records end at the high watermark; none before the local log start. */
export function followStart(localLogStart: bigint, highWatermark: bigint, count: number): bigint {
  const from = highWatermark - BigInt(count);
  return from > localLogStart ? from : localLogStart;
}

/**
 * Folds a reply (records from `shown.next`) into what is shown. Writes faster than one page per
 * fetch leave the reader more than `count` behind: then the next fetch starts `count` before the
 * high watermark, rather than paging through everything in between.
 */
export function follow<R>(shown: Followed<R> | undefined, reply: { readonly records: readonly R[]; readonly nextOffset: string; readonly highWatermark: string }, count: number): Followed<R> {
  const kept = shown === undefined || shown.skipped ? [] : shown.records;
  const records = [...kept, ...reply.records].slice(-count);
  const hw = BigInt(reply.highWatermark);
  const next = BigInt(reply.nextOffset);
  const skipped = hw - next > BigInt(count);
  return { records, next: skipped ? hw - BigInt(count) : next, skipped };
}
