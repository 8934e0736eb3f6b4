import type { Column } from '../../src/common/schema.js';
import { seededRandom } from '../../src/common/seeded-random.js';
import type { TableShape } from '../../src/deltajoin/spec.js';

/** A small seeded PRNG (mulberry32): the same seed gives the same case, so a failure can be replayed. */
export function rng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T } {
  const next = seededRandom(seed);
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)]! };
}

export const col = (name: string, type: Column['type'] = 'int64', nullable = true): Column => ({ name, type, nullable });

export function shape(name: string, columns: Column[], primaryKey: string[], bucketKey: string[] = primaryKey, database = 'db'): TableShape {
  return { database, name, kind: primaryKey.length > 0 ? 'primary-key' : 'log', columns, primaryKey, bucketKey };
}

/** orders(customer_id, order_id, amount) keyed (customer_id, order_id), bucket key customer_id. */
export const orders = shape('orders', [col('customer_id', 'int64', false), col('order_id', 'int64', false), col('amount', 'int32')], ['customer_id', 'order_id'], ['customer_id']);
/** customers(customer_id, name) keyed customer_id. */
export const customers = shape('customers', [col('customer_id', 'int64', false), col('name', 'string')], ['customer_id']);
/** tickets(customer_id, ticket_id, subject) keyed (customer_id, ticket_id), bucket key customer_id: m:n with orders. */
export const tickets = shape('tickets', [col('customer_id', 'int64', false), col('ticket_id', 'int64', false), col('subject', 'string')], ['customer_id', 'ticket_id'], ['customer_id']);
