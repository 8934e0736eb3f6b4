import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { createObjectStore, type ObjectStore } from '../lake/object-store.js';
import { TieringService } from '../tiering/tiering-service.js';
import type { ServerConfig } from './config.js';

export interface LakeHealth {
  ok: boolean;
  uri: string;
  error?: string;
}

/** The lake's object store, its tiering service, and a health probe that re-checks while failing. */
export interface Lake {
  readonly store: ObjectStore;
  readonly tiering: TieringService;
  health(): LakeHealth;
  close(): Promise<void>;
}

const RECHECK_MS = 15_000;

export function lakeUrl(config: ServerConfig): string {
  return config.lake || `file://${path.join(config.dataDir, 'lake')}`;
}

/**
 * A lake that cannot be reached (missing bucket, bad credentials, endpoint down) is logged clearly
 * at start and shown in /v1/health, and tiering keeps retrying: the server itself stays up, since
 * the log holds everything until the lake comes back.
 */
export async function openLake(config: ServerConfig, log: FastifyBaseLogger): Promise<Lake> {
  const url = lakeUrl(config);
  const store = createObjectStore(url, {
    ...(config.s3Endpoint ? { s3Endpoint: config.s3Endpoint } : {}),
    ...(config.s3Checksums !== 'auto' ? { checksums: config.s3Checksums } : {}),
  });
  const state: LakeHealth = { ok: true, uri: url };
  const probe = async () => {
    try {
      await store.check();
      if (!state.ok) log.info({ lake: state.uri }, 'lake is reachable again');
      state.ok = true;
      delete state.error;
    } catch (err) {
      state.ok = false;
      state.error = (err as Error).message;
      log.error({ lake: state.uri, err: state.error }, 'lake is not usable; tiering will retry');
    }
  };
  await probe();
  const timer = setInterval(() => { if (!state.ok) void probe(); }, RECHECK_MS);
  timer.unref();
  const tiering = new TieringService(store, {
    logger: log,
    orphanGraceMs: config.lakeOrphanGraceMs,
    snapshotsRetained: config.lakeSnapshotsRetained,
  });
  return {
    store,
    tiering,
    health: () => ({ ...state }),
    async close() {
      clearInterval(timer);
      await tiering.close();
    },
  };
}
