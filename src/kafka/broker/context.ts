import type { ServerContext } from '../../server/context.js';
import type { Lake } from '../../server/lake-setup.js';
import type { AuthFile } from '../../server/auth.js';
import type { Access } from './access.js';
import type { ClusterView } from './cluster-view.js';
import type { ProducerIds } from './producer-ids.js';
import type { TopicStore } from './topic-store.js';
import type { GroupServices } from './group-services.js';
import type { KafkaMetrics } from './kafka-metrics.js';

export interface BrokerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What every handler needs: the server's tables and settings, the cluster view, topics, access. */
export interface BrokerContext {
  readonly server: ServerContext;
  readonly lake: Lake;
  readonly cluster: ClusterView;
  readonly topics: TopicStore;
  readonly access: Access;
  /** The auth file (SASL/PLAIN checks tokens against it); undefined without --auth-file. */
  readonly auth: AuthFile | undefined;
  readonly producerIds: ProducerIds;
  readonly groups: GroupServices;
  readonly metrics: KafkaMetrics;
  readonly log: BrokerLog;
}
