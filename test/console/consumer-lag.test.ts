import { describe, expect, it } from 'vitest';
import { groupLags, joinLags, parseQualifiedName, tableOfTopic, type HighWatermarkOf } from '../../src/console/consumer-lag.js';

const hws: Record<string, bigint> = { 'kafka.orders#0': 100n, 'kafka.orders#1': 40n, 'shop.events#0': 7n, 'shop.users#0': 12n };
const hw: HighWatermarkOf = (t, b) => hws[`${t.db}.${t.table}#${b}`];

describe('console consumer lag', () => {
  it('maps topics to tables as the Kafka listener does', () => {
    expect(tableOfTopic('orders')).toEqual({ db: 'kafka', table: 'orders' });
    expect(tableOfTopic('shop.events')).toEqual({ db: 'shop', table: 'events' });
    expect(parseQualifiedName('shop.events')).toEqual({ db: 'shop', table: 'events' });
    expect(parseQualifiedName('events')).toBeUndefined();
    expect(parseQualifiedName('shop.')).toBeUndefined();
  });

  it('groups committed offsets and measures each partition against its high watermark', () => {
    const groups = groupLags([
      { group_id: 'g2', topic: 'shop.events', partition: 0, committed_offset: 7 },
      { group_id: 'g1', topic: 'orders', partition: 1, committed_offset: '10', commit_timestamp: 5 },
      { group_id: 'g1', topic: 'orders', partition: 0, committed_offset: 90 },
      { group_id: 'g1', topic: 'gone', partition: 0, committed_offset: 3 },
    ], hw);
    expect(groups.map((g) => [g.group, g.lag])).toEqual([['g1', undefined], ['g2', 0n]]);
    expect(groups[0]!.partitions.map((p) => [p.topic, p.bucket, p.position, p.highWatermark, p.lag, p.committedAt])).toEqual([
      ['gone', 0, 3n, undefined, undefined, undefined],
      ['orders', 0, 90n, 100n, 10n, undefined],
      ['orders', 1, 10n, 40n, 30n, 5],
    ]);
    expect(groupLags([{ group_id: 'g', topic: 'orders', partition: 0, committed_offset: 150 }], hw)[0]!.lag).toBe(0n);
  });

  it('reads delta-join jobs\' saved offsets per side and bucket', () => {
    const [job] = joinLags([{
      job: 'enrich', left_table: 'shop.events', right_table: 'shop.users', sink: 'shop.enriched',
      left_offsets: '{"0":"5"}', right_offsets: '{"0":"12","x":"1"}', updated_at: 9,
    }], hw);
    expect(job!.sides.map((s) => [s.side, s.table, s.positions.map((p) => [p.bucket, p.position, p.lag]), s.lag])).toEqual([
      ['left', 'shop.events', [[0, 5n, 2n]], 2n],
      ['right', 'shop.users', [[0, 12n, 0n]], 0n],
    ]);
    const [broken] = joinLags([{ job: 'j', left_table: null, right_table: 'shop.users', sink: null, left_offsets: null, right_offsets: 'not json', updated_at: null }], hw);
    expect(broken!.sides.map((s) => [s.table, s.positions.length, s.lag])).toEqual([['', 0, undefined], ['shop.users', 0, 0n]]);
  });
});
