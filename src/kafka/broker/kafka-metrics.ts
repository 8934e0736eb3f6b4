/**
 * The Kafka listener's Prometheus metrics, in the server's registry (so `GET /metrics` has them):
 * requests and their latency by API and Kafka error (the top-level or first partition error, NONE
 * when all went well), and open connections.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_S } from '../../server/metrics.js';

export class KafkaMetrics {
  private readonly requests: Counter<'api'>;
  private readonly latency: Histogram<'api'>;
  readonly connections: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({ name: 'lakestream_kafka_requests_total', help: 'Kafka protocol requests by API', labelNames: ['api'] as const, registers });
    this.latency = new Histogram({ name: 'lakestream_kafka_request_duration_seconds', help: 'Time to answer a Kafka request by API (a fetch includes its long poll)', labelNames: ['api'] as const, buckets: LATENCY_BUCKETS_S, registers });
    this.connections = new Gauge({ name: 'lakestream_kafka_connections', help: 'Open Kafka protocol connections', registers });
  }

  request(api: string, seconds: number): void {
    this.requests.labels(api).inc();
    this.latency.labels(api).observe(seconds);
  }
}
