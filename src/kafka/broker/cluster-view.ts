/**
 * What a Kafka client is told about the cluster: the brokers, which one leads a partition, which one
 * coordinates a group, and who hands out producer ids. One server today (broker 0, its own
 * controller, leader of every partition, coordinator of every group); the issue "Several servers"
 * puts an etcd-backed view behind the same interface.
 */
export interface BrokerAddress {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export interface ClusterView {
  readonly clusterId: string;
  readonly controllerId: number;
  brokers(): readonly BrokerAddress[];
  /** The broker leading a partition of a table. */
  leaderOf(tableId: number, partition: number): number;
  /** The broker coordinating a consumer group. */
  coordinatorOf(groupId: string): BrokerAddress;
}

export class SingleServerView implements ClusterView {
  readonly controllerId = 0;

  /** `advertised` is read at every call: it is known only once the listener has bound (port 0). */
  constructor(readonly clusterId: string, private readonly advertised: { readonly host: string; readonly port: number }) {}

  private get self(): BrokerAddress {
    return { nodeId: 0, host: this.advertised.host, port: this.advertised.port };
  }

  brokers(): readonly BrokerAddress[] {
    return [this.self];
  }

  leaderOf(): number {
    return 0;
  }

  coordinatorOf(): BrokerAddress {
    return this.self;
  }
}
