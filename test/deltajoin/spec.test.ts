import { describe, expect, it } from 'vitest';
import { parseOn, planJoin } from '../../src/deltajoin/spec.js';
import { col, customers, orders, shape, tickets } from './fixtures.js';

const on = parseOn('customer_id');

describe('delta join planning', () => {
  it('parses the join condition', () => {
    expect(parseOn('a')).toEqual([{ left: 'a', right: 'a' }]);
    expect(parseOn('a=b, c')).toEqual([{ left: 'a', right: 'b' }, { left: 'c', right: 'c' }]);
    expect(() => parseOn('')).toThrow(/names no columns/);
    expect(() => parseOn('a=b=c')).toThrow(/is not 'column'/);
  });

  it('looks up a side whose primary key is the join key, prefix-looks up one whose bucket key is', () => {
    const plan = planJoin({ left: orders, right: customers, on });
    expect(plan.left.access).toBe('prefix');
    expect(plan.right.access).toBe('lookup');
    expect(plan.output.map((o) => o.name)).toEqual(['customer_id', 'order_id', 'amount', 'name']);
    expect(plan.outputKey).toEqual(['customer_id', 'order_id']);
    expect(plan.retract).toEqual({ left: 'emit', right: 'emit' });
  });

  it('names a clashing right column after its table', () => {
    const a = shape('a', [col('k', 'int64', false), col('name', 'string')], ['k']);
    const b = shape('b', [col('k', 'int64', false), col('name', 'string')], ['k']);
    expect(planJoin({ left: a, right: b, on: parseOn('k') }).output.map((o) => o.name)).toEqual(['k', 'name', 'b_name']);
  });

  it('refuses a join key that is not indexed on the side it must look up', () => {
    const flat = shape('orders', orders.columns as never, ['order_id'], ['order_id']);
    const byOrder = shape('orders', [col('order_id', 'int64', false), col('customer_id', 'int64', false)], ['order_id', 'customer_id'], ['order_id']);
    expect(() => planJoin({ left: flat, right: customers, on })).toThrow(/must look db\.orders up by \(customer_id\).*primaryKey \[customer_id, order_id\], bucketKey \[customer_id\]/);
    expect(() => planJoin({ left: byOrder, right: customers, on })).toThrow(/neither its primary key/);
    const log = shape('events', [col('customer_id')], []);
    expect(() => planJoin({ left: log, right: customers, on })).toThrow(/db\.events is a log table/);
    expect(() => planJoin({ left: orders, right: customers, on: parseOn('nope') })).toThrow(/has no column 'nope'/);
  });

  it('refuses join columns of different types', () => {
    const c2 = shape('customers', [col('customer_id', 'string', false)], ['customer_id']);
    expect(() => planJoin({ left: orders, right: c2, on })).toThrow(/the types differ/);
  });

  it('checks the sink: columns by name, a key that identifies a joined row, and how deletes find rows', () => {
    const sink = shape('sink', [col('customer_id', 'int64', false), col('order_id', 'int64', false), col('name', 'string')], ['customer_id', 'order_id']);
    const plan = planJoin({ left: orders, right: customers, on, sink });
    expect(plan.retract).toEqual({ left: 'pair', right: 'lookup' });
    const bucketed = shape('sink', sink.columns as never, ['customer_id', 'order_id'], ['customer_id']);
    expect(planJoin({ left: orders, right: customers, on, sink: bucketed }).retract).toEqual({ left: 'pair', right: 'sink-prefix' });
    const narrow = shape('sink', [col('order_id', 'int64', false), col('name', 'string')], ['order_id']);
    expect(() => planJoin({ left: orders, right: customers, on, sink: narrow })).toThrow(/does not identify a joined row: it lacks db\.orders\.customer_id/);
    const stray = shape('sink', [...sink.columns, col('zip')], ['customer_id', 'order_id']);
    expect(() => planJoin({ left: orders, right: customers, on, sink: stray })).toThrow(/sink column db\.sink\.zip is on neither side/);
    const nonKey = shape('sink', sink.columns as never, ['customer_id', 'order_id', 'name']);
    expect(() => planJoin({ left: orders, right: customers, on, sink: nonKey })).toThrow(/'name' in its primary key/);
  });

  it('refuses a many-to-many sink whose deletes could not find their rows', () => {
    const cols = [col('customer_id', 'int64', false), col('order_id', 'int64', false), col('ticket_id', 'int64', false)];
    const flat = shape('sink', cols, ['customer_id', 'order_id', 'ticket_id']);
    expect(() => planJoin({ left: orders, right: tickets, on, sink: flat })).toThrow(/could leave a stale row.*bucketKey \[customer_id\]/);
    const good = shape('sink', cols, ['customer_id', 'order_id', 'ticket_id'], ['customer_id']);
    expect(planJoin({ left: orders, right: tickets, on, sink: good }).retract).toEqual({ left: 'sink-prefix', right: 'sink-prefix' });
  });
});
