import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { open, type RootDatabase } from 'lmdb';
import { LakestreamError } from '../common/errors.js';
import { indexBatchCount } from './index-batch.js';

export type IndexWriterRequest =
  | { readonly kind: 'write'; readonly id: number; readonly path: string; readonly maxDbs: number; readonly db: string; readonly metaKey: string; readonly offset: string; readonly batch: Uint8Array }
  | { readonly kind: 'filter'; readonly id: number; readonly path: string; readonly maxDbs: number; readonly db: string; readonly capacity: number }
  | { readonly kind: 'close'; readonly id: number; readonly path: string };

export interface IndexWriterReply {
  readonly id: number;
  readonly error?: string;
  /** For a filter request: the filled filter's bits and its key count. */
  readonly filter?: { readonly bits: Uint32Array; readonly keys: number };
}

/**
 * A primary-key table's LMDB environment, as both threads open it. No write map: with one, LMDB
 * dirties pages of a file it grew sparse, and when the disk is full the kernel answers a store to
 * such a page with SIGBUS, which kills the server. Without it, pages are written with pwrite and a
 * full disk is an error the commit returns (the transaction is aborted, the index stays as it was).
 */
export function openIndexLmdb(path: string, maxDbs: number): RootDatabase {
  return open({ path, maxDbs, useWritemap: false });
}

/** The compiled worker beside this module, or dist's copy when this module runs from src/ (vitest; npm test compiles first). */
function workerUrl(): URL {
  const here = new URL('./index-writer-worker.js', import.meta.url);
  return fs.existsSync(here) ? here : new URL('../../dist/src/kv/index-writer-worker.js', import.meta.url);
}

/**
 * The server's index writer thread, shared by every primary-key table: flushes are applied to
 * LMDB there, so the B-tree work of a write runs beside the main thread instead of on it. LMDB
 * admits one write transaction per environment at a time, and one thread writing every table
 * keeps the second core for the rest (fsync, GC, the clients).
 */
export class IndexWriter {
  /** `onWrite(seconds, keys)`: each committed write, timed from the request to the commit (for /metrics). */
  constructor(private readonly onWrite?: (seconds: number, keys: number) => void) {}

  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (reply: IndexWriterReply) => void; reject: (err: Error) => void }>();

  private start(): Worker {
    const worker = new Worker(workerUrl());
    worker.on('message', (reply: IndexWriterReply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.error === undefined) p?.resolve(reply);
      else p?.reject(new LakestreamError('STORAGE_ERROR', reply.error));
    });
    const lost = (why: string) => {
      if (this.worker === worker) this.worker = undefined;
      const err = new LakestreamError('STORAGE_ERROR', `the index writer thread stopped (${why})`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    return worker;
  }

  private send(request: IndexWriterRequest, transfer: ArrayBuffer[] = []): Promise<IndexWriterReply> {
    const worker = (this.worker ??= this.start());
    // Referenced only while a request is out, so an idle writer never holds the process open.
    worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      worker.postMessage(request, transfer);
    });
  }

  /** Writes an index batch (src/kv/index-batch.ts), which is transferred: the caller must not touch it again. */
  async write(path: string, maxDbs: number, db: string, metaKey: string, batch: Uint8Array, offset: bigint): Promise<void> {
    const keys = indexBatchCount(batch);
    const started = performance.now();
    await this.send({ kind: 'write', id: this.nextId++, path, maxDbs, db, metaKey, offset: offset.toString(), batch }, [batch.buffer as ArrayBuffer]);
    this.onWrite?.((performance.now() - started) / 1000, keys);
  }

  /** A key filter of `capacity` holding every key of the database, filled on the thread. */
  async filter(path: string, maxDbs: number, db: string, capacity: number): Promise<{ bits: Uint32Array; keys: number }> {
    const reply = await this.send({ kind: 'filter', id: this.nextId++, path, maxDbs, db, capacity });
    return reply.filter!;
  }

  /** Closes the thread's handle on an environment (before the main thread closes or deletes it). */
  async closeEnv(path: string): Promise<void> {
    if (this.worker) await this.send({ kind: 'close', id: this.nextId++, path });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}

/** One table's LMDB environment: read on the main thread, written on the index writer thread. */
export class IndexEnv {
  private constructor(
    readonly root: RootDatabase,
    private readonly path: string,
    private readonly maxDbs: number,
    private readonly writer: IndexWriter,
  ) {}

  static open(path: string, maxDbs: number, writer: IndexWriter): IndexEnv {
    return new IndexEnv(openIndexLmdb(path, maxDbs), path, maxDbs, writer);
  }

  /**
   * Writes an index batch and the applied offset in one transaction. Once it resolves, reads on this
   * thread see the commit: lmdb-js renews its read snapshot only after its own writes, or a turn later.
   */
  async write(db: string, metaKey: string, batch: Uint8Array, appliedOffset: bigint): Promise<void> {
    await this.writer.write(this.path, this.maxDbs, db, metaKey, batch, appliedOffset);
    this.root.resetReadTxn();
  }

  /** A key filter of `capacity` filled with the keys `db` holds now, read on the index writer thread. */
  filterKeys(db: string, capacity: number): Promise<{ bits: Uint32Array; keys: number }> {
    return this.writer.filter(this.path, this.maxDbs, db, capacity);
  }

  async close(): Promise<void> {
    await this.writer.closeEnv(this.path);
    await this.root.close();
  }
}
