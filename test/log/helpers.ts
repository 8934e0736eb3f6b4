import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import { BucketLog, type BucketLogOptions } from '../../src/log/bucket-log.js';
import { nodeIo, type StorageIo } from '../../src/common/storage-io.js';

export function tempDir(prefix = 'lakestream-log-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** An Arrow IPC stream of `count` rows whose `id` column runs from `first`. */
export function arrowRows(first: number, count: number): Uint8Array {
  const ids = Int32Array.from({ length: count }, (_, i) => first + i);
  const names = Array.from({ length: count }, (_, i) => `row-${first + i}`);
  return tableToIPC(tableFromArrays({ id: ids, name: names }), 'stream');
}

export function idsOf(arrowIpc: Uint8Array): number[] {
  return [...tableFromIPC(arrowIpc).getChild('id')!.toArray()] as number[];
}

/** Storage calls that count fdatasyncs and fail on demand, like TigerBeetle's testing storage. */
export class TestingIo implements StorageIo {
  fdatasyncs = 0;
  /** Next write writes this many bytes, then the one after throws ENOSPC. */
  partialWriteBytes: number | undefined;
  failWrites = false;
  failFdatasync = false;
  /** While set, every fdatasync waits for it, so a test holds a group commit in flight as long as it needs. */
  fdatasyncGate: Promise<void> | undefined;
  private readonly syncWaiters: { count: number; resolve: () => void }[] = [];

  write(fd: number, bytes: Uint8Array, offset: number, length: number): number {
    if (this.failWrites) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    if (this.partialWriteBytes !== undefined) {
      const n = Math.min(this.partialWriteBytes, length);
      this.partialWriteBytes = undefined;
      this.failWrites = true;
      return nodeIo.write(fd, bytes, offset, n);
    }
    return nodeIo.write(fd, bytes, offset, length);
  }

  async fdatasync(fd: number): Promise<void> {
    this.fdatasyncs++;
    for (const w of this.syncWaiters.filter((x) => x.count <= this.fdatasyncs)) w.resolve();
    if (this.fdatasyncGate) await this.fdatasyncGate;
    if (this.failFdatasync) throw Object.assign(new Error('input/output error'), { code: 'EIO' });
    return nodeIo.fdatasync(fd);
  }

  fsyncDirectory(dir: string): Promise<void> {
    return nodeIo.fsyncDirectory(dir);
  }

  openAppend = nodeIo.openAppend;
  create = nodeIo.create;
  truncate = nodeIo.truncate;
  close = nodeIo.close;
  mkdir = nodeIo.mkdir;
  rename = nodeIo.rename;
  link = nodeIo.link;
  unlink = nodeIo.unlink;
  removeTree = nodeIo.removeTree;

  /** Resolves once `count` fdatasyncs have begun (the condition a test waits for instead of a sleep). */
  fdatasyncsStarted(count: number): Promise<void> {
    if (this.fdatasyncs >= count) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push({ count, resolve }));
  }
}

/** A promise a test opens when it is done looking (see TestingIo.fdatasyncGate). */
export function gate(): { readonly opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

export function logOptions(dir: string, overrides: Partial<BucketLogOptions> = {}): BucketLogOptions {
  return { dir, segmentBytes: 1024 * 1024, indexIntervalBytes: 4096, compression: 'none', ttlMs: 7 * 86_400_000, ...overrides };
}

export function openLog(dir: string, overrides: Partial<BucketLogOptions> = {}): Promise<BucketLog> {
  return BucketLog.open(logOptions(dir, overrides));
}

/** Appends `batches` batches of `rows` rows each, ids dense from `first`. */
export async function appendRows(log: BucketLog, batches: number, rows: number, first = 0): Promise<void> {
  for (let b = 0; b < batches; b++) {
    await log.append({ arrowIpc: arrowRows(first + b * rows, rows), recordCount: rows });
  }
}

/** Every id from `offset` to the high watermark, read in pieces of `maxBytes`. */
export async function readAllIds(log: BucketLog, offset = log.logStartOffset, maxBytes = 1): Promise<number[]> {
  const ids: number[] = [];
  for (let at = offset; at < log.highWatermark; ) {
    const batches = await log.read(at, { maxBytes });
    for (const b of batches) ids.push(...idsOf(b.arrowIpc).slice(Number(at > b.baseOffset ? at - b.baseOffset : 0n)));
    at = batches[batches.length - 1]!.lastOffset + 1n;
  }
  return ids;
}

export function segmentFiles(dir: string, suffix: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith(suffix)).sort();
}
