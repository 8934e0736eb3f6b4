import { randomUUID } from 'node:crypto';
import type { Transaction } from 'lmdb';
import { fail } from '../common/errors.js';
import type { Row } from '../common/values.js';
import type { KvBucket } from '../kv/kv-bucket.js';

interface Session {
  readonly kv: KvBucket;
  readonly txn: Transaction;
  readonly logOffset: bigint;
  expiresAt: number;
}

/**
 * Paged snapshot scans of a bucket's current rows. The first page opens an LMDB read transaction
 * and every later page reads the same snapshot, so the rows of all pages plus the changelog from
 * `logOffset` are the table with no gap and no overlap. Idle sessions expire (they pin old pages).
 */
export class ScanSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly idleMs = 60_000, private readonly max = 1000) {
    this.timer = setInterval(() => this.sweep(Date.now()), Math.min(idleMs, 10_000));
    this.timer.unref();
  }

  /** A page of rows; the first page flushes the bucket's memtable, so the snapshot holds every acknowledged write. */
  async page(kv: KvBucket, cursor: string | undefined, limit: number): Promise<{ rows: Row[]; cursor: string | null; logOffset: string }> {
    let id: string;
    let session: Session;
    let after: Uint8Array | undefined;
    if (cursor) {
      const dot = cursor.indexOf('.');
      id = cursor.slice(0, dot);
      const found = this.sessions.get(id);
      if (dot < 0 || !found || found.kv !== kv) fail('INVALID_PARAMETER', 'the cursor is unknown or expired (sessions idle for 60 s are closed); start the scan again without after=');
      session = found;
      after = new Uint8Array(Buffer.from(cursor.slice(dot + 1), 'base64url'));
    } else {
      if (this.sessions.size >= this.max) fail('OVERLOADED', `${this.max} snapshot scans are open; retry later`);
      await kv.flush();
      const txn = kv.readTransaction();
      id = randomUUID();
      session = { kv, txn, logOffset: kv.appliedOffset(txn), expiresAt: 0 };
      this.sessions.set(id, session);
    }
    session.expiresAt = Date.now() + this.idleMs;
    const { rows, lastKey } = kv.scan(session.txn, after, limit);
    const done = rows.length < limit || !lastKey;
    if (done) this.close(id);
    return { rows, cursor: done ? null : `${id}.${Buffer.from(lastKey).toString('base64url')}`, logOffset: session.logOffset.toString() };
  }

  private close(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    s.txn.done();
  }

  private sweep(now: number): void {
    for (const [id, s] of this.sessions) if (s.expiresAt < now) this.close(id);
  }

  closeAll(): void {
    clearInterval(this.timer);
    for (const id of [...this.sessions.keys()]) this.close(id);
  }
}
