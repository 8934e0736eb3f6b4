/**
 * The Kafka listener as a server extension: `serve` attaches it once the tables are open (its state,
 * and its HTTP route `GET /v1/kafka/groups`), starts it after HTTP listens, and stops it first at
 * shutdown. Off with `--kafka-listener none`.
 */
import type { Server } from '../server/app.js';
import type { ServerConfig } from '../server/config.js';
import { checkPortFree, listenFailure, type ListenSetting } from '../server/port-check.js';
import type { ServerExtension } from '../server/serve.js';
import { loadTls } from '../server/tls.js';
import { Access } from './broker/access.js';
import { KafkaBroker } from './broker/broker.js';
import { SingleServerView } from './broker/cluster-view.js';
import type { BrokerContext } from './broker/context.js';
import { groupRoutes } from './broker/group-routes.js';
import { KafkaMetrics } from './broker/kafka-metrics.js';
import { KafkaListener } from './broker/listener.js';
import { ProducerIds } from './broker/producer-ids.js';
import { TopicStore } from './broker/topic-store.js';
import { GroupCoordinator } from './groups/coordinator.js';
import { TableOffsetStore } from './groups/offsets.js';

type Address = { host: string; port: number };

/** Refusals name --kafka-listener, as the HTTP port's name --port. */
function kafkaSetting(at: Address): ListenSetting {
  const named = `--kafka-listener ${at.host}:${at.port}`;
  return { port: named, host: named, flag: '--kafka-listener (or none)' };
}

async function brokerContext(config: ServerConfig, server: Server, advertised: Address): Promise<BrokerContext> {
  const ctx = server.context;
  const log = server.app.log;
  const offsets = await TableOffsetStore.open({ catalog: ctx.catalog, tables: ctx.tables, ddl: ctx.ddl, disk: ctx.disk });
  const coordinator = new GroupCoordinator({ onGroupExpired: (groupId) => offsets.deleteGroup(groupId) });
  coordinator.restoreGroupsWithOffsets(offsets.groupsWithOffsets());
  return {
    server: ctx,
    lake: server.lake,
    cluster: new SingleServerView('lakestream', advertised),
    topics: new TopicStore(ctx, { autoCreate: config.kafkaAutoCreateTopics, defaultPartitions: config.kafkaDefaultPartitions }, log),
    access: new Access(server.auth !== undefined, log),
    auth: server.auth,
    producerIds: await ProducerIds.open(config.dataDir),
    groups: { coordinator, offsets },
    metrics: new KafkaMetrics(ctx.metrics.registry),
    log,
  };
}

export function kafkaExtension(config: ServerConfig): ServerExtension[] {
  const listen = config.kafkaListener;
  if (!listen) return [];
  // Known once the listener has bound (port 0 picks one); the cluster view reads it at every call.
  const advertised: Address = { host: '', port: 0 };
  let broker: BrokerContext | undefined;
  return [{
    name: 'kafka',
    checkPorts: () => checkPortFree(listen.host, listen.port, kafkaSetting(listen)),
    async attach(server) {
      broker = await brokerContext(config, server, advertised);
      groupRoutes(server.app, broker.groups, broker.topics);
    },
    async start() {
      const ctx = broker!;
      const tls = loadTls(config);
      let listener: KafkaListener;
      try {
        listener = await KafkaListener.start({
          host: listen.host, port: listen.port, frameBytesMax: config.maxRequestBytes, log: ctx.log,
          onConnections: (n) => ctx.metrics.connections.set(n),
          ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
        }, new KafkaBroker(ctx));
      } catch (err) {
        ctx.groups.coordinator.shutdown();
        throw listenFailure(err, listen.host, listen.port, kafkaSetting(listen));
      }
      Object.assign(advertised, config.kafkaAdvertisedListener ?? { host: listen.host === '0.0.0.0' || listen.host === '::' ? '127.0.0.1' : listen.host, port: listener.port });
      const address = `${listen.host}:${listener.port}`;
      ctx.log.info({ kafka: address, advertised: `${advertised.host}:${advertised.port}`, tls: tls !== undefined, sasl: ctx.auth ? 'PLAIN' : 'off' }, 'kafka listener is serving');
      return {
        address,
        async close() {
          ctx.groups.coordinator.shutdown();
          await listener.close();
        },
      };
    },
  }];
}
