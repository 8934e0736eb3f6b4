/**
 * One consumer group, two Kafka client libraries: a librdkafka member (kcat -G, balanced consumer)
 * and a kafka-python member split a 4-partition topic, commit offsets, and when one is SIGKILLed the
 * other takes over its partitions from the offsets it committed. Nothing is lost; a record is read
 * twice only from after the last commit of the member that read it first. The committed offsets
 * outlive a kill -9 of the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type ServerProcess } from './helpers.js';
import { Client, jsonLines, kcat, python, stopClients, waitFor } from './kafka-helpers.js';

const TOPIC = 'grp';
const GROUP = 'mixed';
const PARTITIONS = [0, 1, 2, 3];
const RECORDS_PER_ROUND = 10;
/** A takeover waits out the dead member's session (6 s, Kafka's minimum) and a rebalance. */
const TAKEOVER_MS = 30_000;

/** A record as a member read it; `at` orders one member's reads. */
interface Read {
  partition: number;
  offset: number;
  value: string;
  at: number;
}

interface Member {
  readonly client: Client;
  /** The partitions it owns now, as it last reported (undefined before its first assignment). */
  assignment(): number[] | undefined;
  reads(): Read[];
}

function pythonMember(name: string): Member {
  const client = Client.python(name, 'group_member', { bootstrap, group: GROUP, topic: TOPIC });
  const events = () => jsonLines<{ type: string; partitions?: number[]; partition: number; offset: number; value: string }>(client.stdout);
  return {
    client,
    assignment() {
      const last = events().filter((e) => e.type === 'assigned' || e.type === 'revoked').at(-1);
      return last === undefined ? undefined : last.type === 'revoked' ? [] : last.partitions!;
    },
    reads: () => events().filter((e) => e.type === 'record').map((e, at) => ({ partition: e.partition, offset: e.offset, value: e.value, at })),
  };
}

function kcatMember(name: string): Member {
  const client = Client.kcat(name, bootstrap, [
    '-G', GROUP, '-J', '-u',
    '-X', 'partition.assignment.strategy=range,roundrobin',
    '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500',
    // librdkafka commits what it has read every 5 s: kcat's -X sets only the legacy topic-level
    // auto.commit.interval.ms, so the consumer's own stays at its default.
    '-X', 'auto.offset.reset=earliest',
    TOPIC,
  ]);
  return {
    client,
    assignment() {
      // "% Group mixed rebalanced (memberid ...): assigned: grp [0], grp [2]" (or "revoked: ...").
      const last = client.stderr.split('\n').filter((l) => l.includes(`Group ${GROUP} rebalanced`)).at(-1);
      if (last === undefined) return undefined;
      if (!last.includes('assigned:')) return [];
      return [...last.slice(last.indexOf('assigned:')).matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])).sort();
    },
    reads: () => jsonLines<{ partition: number; offset: number; payload: string }>(client.stdout)
      .map((r, at) => ({ partition: r.partition, offset: r.offset, value: r.payload, at })),
  };
}

let server: ServerProcess;
let bootstrap: string;
let produced = 0;

beforeAll(async () => {
  server = await startServer();
  bootstrap = `127.0.0.1:${server.kafkaPort}`;
  const created = await python('admin', { bootstrap, create: [{ name: TOPIC, partitions: PARTITIONS.length }] });
  expect(created.topics[0].errorCode).toBe(0);
});

afterAll(async () => {
  await stopClients();
  await server?.stop();
});

/** Produces one more round of records to every partition; every partition then ends at `produced`. */
async function produceRound(): Promise<void> {
  const round = produced / RECORDS_PER_ROUND;
  const records = PARTITIONS.flatMap((p) => Array.from({ length: RECORDS_PER_ROUND }, (_, i) => ({
    topic: TOPIC, partition: p, value: Buffer.from(`r${round}-p${p}-${i}`).toString('base64'),
  })));
  const done = await python('produce', { bootstrap, lingerMs: 5, records });
  expect(done.error).toBeUndefined();
  produced += RECORDS_PER_ROUND;
}

/** The group's committed offsets, read over HTTP from the system table that holds them. */
async function committed(): Promise<Record<number, number>> {
  const reply = await call(server.url, 'POST', '/v1/databases/_lakestream/tables/kafka_group_offsets/prefix-lookup', { prefixes: [{ group_id: GROUP }] });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  const out: Record<number, number> = {};
  for (const row of reply.body.rows[0] as { topic: string; partition: number; committed_offset: number }[]) {
    if (row.topic === TOPIC) out[row.partition] = row.committed_offset;
  }
  return out;
}

/**
 * Every offset the group has ever committed per partition: the offsets table's changelog, over HTTP.
 * A member killed with a commit in flight may have it land after it died, so where a new owner starts
 * is checked against this history, not against one read at the kill.
 */
async function committedHistory(): Promise<Map<number, Set<number>>> {
  const history = new Map<number, Set<number>>();
  let offset = '0';
  for (;;) {
    const reply = await call(server.url, 'GET', `/v1/databases/_lakestream/tables/kafka_group_offsets/buckets/0/records?offset=${offset}`);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    for (const r of reply.body.records as { group_id: string; topic: string; partition: number; committed_offset: number; _change_type: string }[]) {
      if (r.group_id !== GROUP || r.topic !== TOPIC || r._change_type === '-U' || r._change_type === '-D') continue;
      if (!history.has(r.partition)) history.set(r.partition, new Set());
      history.get(r.partition)!.add(r.committed_offset);
    }
    if (reply.body.nextOffset === reply.body.highWatermark) return history;
    offset = reply.body.nextOffset;
  }
}

function describeMembers(members: readonly Member[]): () => string {
  return () => members.map((m) => `${m.client.describe()}\nassignment: ${JSON.stringify(m.assignment())}`).join('\n\n');
}

/** Waits until the members own disjoint, non-empty sets of partitions that together are all of them. */
async function waitForSplit(members: readonly Member[]): Promise<number[][]> {
  let split: number[][] = [];
  await waitFor('the members to split the partitions', () => {
    split = members.map((m) => m.assignment() ?? []);
    const all = split.flat().sort();
    return split.every((s) => s.length > 0) && JSON.stringify(all) === JSON.stringify(PARTITIONS);
  }, TAKEOVER_MS, describeMembers(members));
  return split;
}

/** Waits until `member` owns every partition. */
async function waitForOwner(member: Member): Promise<void> {
  await waitFor(`${member.client.name} to own every partition`, () => JSON.stringify(member.assignment()) === JSON.stringify(PARTITIONS), TAKEOVER_MS, describeMembers([member]));
}

/** Waits until, of each partition, someone of `members` has read the last record produced. */
async function waitForAllRead(members: readonly Member[]): Promise<void> {
  await waitFor(`every record up to offset ${produced - 1} to be read`, () => PARTITIONS.every((p) => members.some((m) => m.reads().some((r) => r.partition === p && r.offset === produced - 1))), TAKEOVER_MS, describeMembers(members));
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/**
 * Of each of the dead member's partitions, the survivor's reads since the kill start at an offset the
 * group committed, no earlier than what was committed when the member died, and go on without a gap
 * to the end; the dead member had read everything from its last commit to there (so nothing is lost,
 * and what is read twice is only what the dead member read after its last commit).
 */
async function expectTakeover(survivor: Member, readsBefore: number, dead: Member, deadPartitions: readonly number[], committedAtDeath: Record<number, number>): Promise<void> {
  const history = await committedHistory();
  const since = survivor.reads().slice(readsBefore);
  for (const p of deadPartitions) {
    const offsets = since.filter((r) => r.partition === p).map((r) => r.offset);
    const first = offsets[0]!;
    expect(history.get(p)?.has(first), `partition ${p}: the survivor starts at ${first}; the group committed ${[...history.get(p) ?? []]}`).toBe(true);
    expect(first, `partition ${p}: the survivor's first read`).toBeGreaterThanOrEqual(committedAtDeath[p]!);
    expect(offsets, `partition ${p}`).toEqual(range(first, produced));
    const deadRead = new Set(dead.reads().filter((r) => r.partition === p).map((r) => r.offset));
    expect(range(committedAtDeath[p]!, first).filter((o) => !deadRead.has(o)), `partition ${p}: committed but never read`).toEqual([]);
  }
}

/** Reads of `round` by several members: each record exactly once, by the member that owns its partition. */
function expectReadOnce(owners: readonly { member: Member; partitions: readonly number[] }[], from: number, to: number): void {
  for (const p of PARTITIONS) {
    const readers = owners.map(({ member, partitions }) => ({ owns: partitions.includes(p), offsets: member.reads().filter((r) => r.partition === p && r.offset >= from && r.offset < to).map((r) => r.offset) }));
    for (const r of readers) expect(r.offsets, `partition ${p}`).toEqual(r.owns ? range(from, to) : []);
  }
}

describe('a consumer group of librdkafka and kafka-python members', () => {
  let py: Member;
  let kcat1: Member;
  let kcat2: Member;

  it('splits the partitions, each member reading only its own, and commits what it read', async () => {
    py = pythonMember('kafka-python');
    kcat1 = kcatMember('kcat-1');
    const [pyParts, kcatParts] = await waitForSplit([py, kcat1]);
    await produceRound();
    await waitForAllRead([py, kcat1]);
    expectReadOnce([{ member: py, partitions: pyParts! }, { member: kcat1, partitions: kcatParts! }], 0, produced);
    expect(py.reads().find((r) => r.offset === 3)?.value).toMatch(/^r0-p\d-3$/);
    await waitFor('both members to commit everything', async () => {
      const c = await committed();
      return PARTITIONS.every((p) => c[p] === produced);
    }, 10_000, describeMembers([py, kcat1]));
  });

  it('hands the librdkafka member\'s partitions to the kafka-python member when it is killed, from its committed offsets', async () => {
    await produceRound();
    await waitForAllRead([py, kcat1]);
    const dead = kcat1.assignment()!;
    await kcat1.client.kill9();
    // What was committed when it died: the next owner starts there, or later if a commit was in flight.
    const atDeath = await committed();
    const readsBefore = py.reads().length;
    await produceRound();
    await waitForOwner(py);
    await waitForAllRead([py]);
    // librdkafka committed the first round (the test before waited for it).
    for (const p of dead) expect(atDeath[p], `partition ${p}`).toBeGreaterThanOrEqual(RECORDS_PER_ROUND);
    await expectTakeover(py, readsBefore, kcat1, dead, atDeath);
  });

  it('hands the kafka-python member\'s partitions to a new librdkafka member when it is killed, from its committed offsets', async () => {
    kcat2 = kcatMember('kcat-2');
    const [pyParts, kcatParts] = await waitForSplit([py, kcat2]);
    const from = produced;
    await produceRound();
    await waitForAllRead([py, kcat2]);
    expectReadOnce([{ member: py, partitions: pyParts! }, { member: kcat2, partitions: kcatParts! }], from, produced);
    await py.client.kill9();
    const atDeath = await committed();
    const readsBefore = kcat2.reads().length;
    await produceRound();
    await waitForOwner(kcat2);
    await waitForAllRead([kcat2]);
    await expectTakeover(kcat2, readsBefore, py, pyParts!, atDeath);
  });

  it('lost nothing, read again only from after a commit, and has the offsets kafka-python\'s admin client lists', async () => {
    for (const p of PARTITIONS) {
      const offsets = new Set([py, kcat1, kcat2].flatMap((m) => m.reads().filter((r) => r.partition === p).map((r) => r.offset)));
      expect([...offsets].sort((a, b) => a - b), `partition ${p}`).toEqual(range(0, produced));
    }
    // The kafka-python member read a record twice only after a rebalance, and only from its last commit on.
    const lastCommit: Record<number, number> = {};
    const seen = new Set<string>();
    for (const e of jsonLines<{ type: string; partition: number; offset: number; offsets?: Record<string, number> }>(py.client.stdout)) {
      if (e.type === 'committed') for (const [p, o] of Object.entries(e.offsets!)) lastCommit[Number(p)] = o;
      if (e.type !== 'record') continue;
      const id = `${e.partition}:${e.offset}`;
      if (seen.has(id)) expect(e.offset, `partition ${e.partition} read again`).toBeGreaterThanOrEqual(lastCommit[e.partition] ?? 0);
      seen.add(id);
    }
    await waitFor('the last member to commit everything', async () => {
      const c = await committed();
      return PARTITIONS.every((p) => c[p] === produced);
    }, 10_000, describeMembers([kcat2]));
    const listed = await python('admin', { bootstrap, groupOffsets: GROUP });
    expect(listed.offsets).toEqual(Object.fromEntries(PARTITIONS.map((p) => [String(p), produced])));
    // The table that holds them is lakestream's own, not a topic.
    const meta = await kcat(bootstrap, ['-L', '-J']);
    expect(JSON.parse(meta.stdout.trim()).topics.map((t: { topic: string }) => t.topic)).toEqual([TOPIC]);
  });

  it('resumes from the committed offsets after the server is killed (kill -9) and restarted', async () => {
    await kcat2.client.kill9();
    await server.kill9();
    server = await startServer({ dataDir: server.dataDir, port: server.port, kafkaPort: server.kafkaPort });
    expect(await committed()).toEqual(Object.fromEntries(PARTITIONS.map((p) => [p, produced])));
    const kcat3 = kcatMember('kcat-3');
    await waitForOwner(kcat3);
    const from = produced;
    await produceRound();
    await waitForAllRead([kcat3]);
    for (const p of PARTITIONS) expect(kcat3.reads().filter((r) => r.partition === p).map((r) => r.offset), `partition ${p}`).toEqual(range(from, produced));
  });
});
