/**
 * The Kafka listener as a server extension: `serve` starts it once the tables are open and stops it
 * first at shutdown. Off with `--kafka-listener none`.
 */
import net from 'node:net';
import { LakestreamError } from '../common/errors.js';
import type { Server } from '../server/app.js';
import type { ServerConfig } from '../server/config.js';
import type { ServerExtension } from '../server/serve.js';
import { loadTls } from '../server/tls.js';
import { Access } from './broker/access.js';
import { KafkaBroker } from './broker/broker.js';
import { SingleServerView } from './broker/cluster-view.js';
import type { BrokerContext } from './broker/context.js';
import { KafkaListener } from './broker/listener.js';
import { KafkaMetrics } from './broker/kafka-metrics.js';
import { ProducerIds } from './broker/producer-ids.js';
import { TopicStore } from './broker/topic-store.js';
import { GroupCoordinator } from './groups/coordinator.js';
import { TableOffsetStore } from './groups/offsets.js';

function bindFailure(err: unknown, at: { host: string; port: number }): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `${at.host}:${at.port}`;
  if (code === 'EADDRINUSE') return new LakestreamError('INVALID_PARAMETER', `--kafka-listener ${where} is already in use (a Kafka broker or another lakestream listens there); stop it, pick another address, or turn Kafka off with --kafka-listener none`);
  if (code === 'EACCES') return new LakestreamError('INVALID_PARAMETER', `--kafka-listener ${where}: not allowed to listen there (ports below 1024 need privileges); pick another port`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new LakestreamError('INVALID_PARAMETER', `--kafka-listener ${where}: no such local address`);
  return err instanceof Error ? err : new Error(String(err));
}

async function probe(at: { host: string; port: number }): Promise<void> {
  if (at.port === 0) return;
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: at.host, port: at.port, exclusive: true }, resolve);
    });
  } catch (err) {
    throw bindFailure(err, at);
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export function kafkaExtension(config: ServerConfig): ServerExtension[] {
  const listen = config.kafkaListener;
  if (!listen) return [];
  return [{
    name: 'kafka',
    checkPorts: () => probe(listen),
    async start(server: Server) {
      const ctx = server.context;
      const log = server.app.log;
      const tls = loadTls(config);
      const offsets = await TableOffsetStore.open({ catalog: ctx.catalog, tables: ctx.tables, ddl: ctx.ddl, disk: ctx.disk });
      const coordinator = new GroupCoordinator({ onGroupExpired: (groupId) => offsets.deleteGroup(groupId) });
      coordinator.restoreGroupsWithOffsets(offsets.groupsWithOffsets());
      const producerIds = await ProducerIds.open(config.dataDir);
      let listener: KafkaListener | undefined;
      const view = { host: '', port: 0 };
      const metrics = new KafkaMetrics(ctx.metrics.registry);
      const broker: BrokerContext = {
        server: ctx,
        lake: server.lake,
        cluster: new SingleServerView('lakestream', view),
        topics: new TopicStore(ctx, { autoCreate: config.kafkaAutoCreateTopics, defaultPartitions: config.kafkaDefaultPartitions }, log),
        access: new Access(server.auth !== undefined, log),
        auth: server.auth,
        producerIds,
        groups: { coordinator, offsets },
        metrics,
        log,
      };
      try {
        listener = await KafkaListener.start({ host: listen.host, port: listen.port, frameBytesMax: config.maxRequestBytes, log, onConnections: (n) => metrics.connections.set(n), ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}) }, new KafkaBroker(broker));
      } catch (err) {
        coordinator.shutdown();
        throw bindFailure(err, listen);
      }
      const advertised = config.kafkaAdvertisedListener ?? { host: listen.host === '0.0.0.0' || listen.host === '::' ? '127.0.0.1' : listen.host, port: listener.port };
      Object.assign(view, advertised);
      const address = `${listen.host}:${listener.port}`;
      log.info({ kafka: address, advertised: `${advertised.host}:${advertised.port}`, tls: tls !== undefined, sasl: server.auth ? 'PLAIN' : 'off' }, 'kafka listener is serving');
      return {
        address,
        async close() {
          coordinator.shutdown();
          await listener?.close();
        },
      };
    },
  }];
}
