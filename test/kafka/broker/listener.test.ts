/**
 * The listener's framing and flow control over real sockets, with a testing frame handler in place
 * of the broker: answers leave in request order, a connection closed for a bad frame first gets the
 * answers to the requests before it, a frame above the limit is refused from its size alone, and a
 * client that pipelines requests without reading answers makes the listener stop reading from it.
 */
import fs from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaListener, type FrameHandler, type KafkaConnection, type ListenerLog } from '../../../src/kafka/broker/listener.js';

const FRAME_BYTES_MAX = 1024;
const IN_FLIGHT_MAX = 64;
/** Frames are 8 bytes: a 4-byte tag that tells the handler what to do, and a 4-byte sequence number. */
const ANSWER = 1;
const HOLD = 2;
const REFUSE = 3;
/** Answered, as the last answer on the connection (a failed authentication). */
const LAST = 4;

/** Answers a frame with its sequence number (in a body of `answerBytes`), holds it until released, or closes. */
class TestingHandler implements FrameHandler {
  calls = 0;
  private readonly held: (() => void)[] = [];
  private waiters: { calls: number; resolve: () => void }[] = [];

  constructor(private readonly answerBytes = 8) {}

  async handle(conn: KafkaConnection, frame: Uint8Array): Promise<Uint8Array | null> {
    this.calls++;
    for (const w of this.waiters.filter((x) => this.calls >= x.calls)) w.resolve();
    this.waiters = this.waiters.filter((x) => this.calls < x.calls);
    const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const tag = dv.getInt32(0);
    if (tag === REFUSE) {
      conn.close();
      return null;
    }
    if (tag === LAST) conn.closeAfterResponse = true;
    if (tag === HOLD) await new Promise<void>((resolve) => this.held.push(resolve));
    const out = Buffer.alloc(4 + this.answerBytes);
    out.writeInt32BE(this.answerBytes, 0);
    out.writeInt32BE(dv.getInt32(4), 4);
    return out;
  }

  /** Resolves once `n` frames have reached the handler. */
  reached(n: number): Promise<void> {
    if (this.calls >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ calls: n, resolve }));
  }

  release(): void {
    for (const r of this.held.splice(0)) r();
  }
}

class TestingLog implements ListenerLog {
  readonly warnings: { obj: object; msg: string }[] = [];
  info(): void {}
  warn(obj: object, msg: string): void {
    this.warnings.push({ obj, msg });
  }
}

function frame(tag: number, seq: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeInt32BE(8, 0);
  b.writeInt32BE(tag, 4);
  b.writeInt32BE(seq, 8);
  return b;
}

function sizePrefix(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(size, 0);
  return b;
}

let listener: KafkaListener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

async function start(handler: FrameHandler, log = new TestingLog()): Promise<{ port: number; log: TestingLog }> {
  listener = await KafkaListener.start({ host: '127.0.0.1', port: 0, frameBytesMax: FRAME_BYTES_MAX, inFlightMax: IN_FLIGHT_MAX, log }, handler);
  return { port: listener.port, log };
}

interface Client {
  socket: net.Socket;
  /** The sequence numbers answered, in arrival order. */
  answers: number[];
  closed: Promise<void>;
  /** Resolves once `n` answers have arrived. */
  answered(n: number): Promise<void>;
}

async function connect(port: number): Promise<Client> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const answers: number[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  let buf = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      answers.push(buf.readInt32BE(4));
      buf = buf.subarray(4 + buf.readInt32BE(0));
    }
    for (const w of waiters.filter((x) => answers.length >= x.n)) w.resolve();
    waiters = waiters.filter((x) => answers.length < x.n);
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket, answers, closed,
    answered: (n) => (answers.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('kafka listener', () => {
  it('listener: pipelined requests are answered in request order, whatever order they finish in', async () => {
    const handler = new TestingHandler();
    const { port } = await start(handler);
    const c = await connect(port);
    c.socket.write(Buffer.concat(range(10).map((i) => frame(i % 2 === 0 ? HOLD : ANSWER, i))));
    await handler.reached(10);
    handler.release();
    await c.answered(10);
    expect(c.answers).toEqual(range(10));
    c.socket.destroy();
  });

  it('listener: requests before a frame above the limit are answered, then the connection closes and the log says why', async () => {
    const { port, log } = await start(new TestingHandler());
    const c = await connect(port);
    // Only the size prefix of the big frame is sent: the refusal must not wait for its bytes.
    c.socket.write(Buffer.concat([frame(ANSWER, 0), frame(ANSWER, 1), sizePrefix(2 ** 31 - 1)]));
    await c.closed;
    expect(c.answers).toEqual([0, 1]);
    expect(log.warnings.map((w) => w.msg)).toEqual([`kafka: closing connection: a frame of ${2 ** 31 - 1} bytes is above --max-request-bytes (${FRAME_BYTES_MAX})`]);
  });

  it('listener: requests before a negative size are answered, then the connection closes and the log says why', async () => {
    const { port, log } = await start(new TestingHandler());
    const c = await connect(port);
    c.socket.write(Buffer.concat([frame(ANSWER, 0), sizePrefix(-1), frame(ANSWER, 1)]));
    await c.closed;
    expect(c.answers).toEqual([0]);
    expect(log.warnings.map((w) => w.msg)).toEqual(['kafka: closing connection: a frame is smaller than a request header']);
  });

  it('listener: a handler closing the connection for a bad request still lets the answers before it out, and nothing after it is read', async () => {
    const handler = new TestingHandler();
    const { port } = await start(handler);
    const c = await connect(port);
    c.socket.write(Buffer.concat([frame(HOLD, 0), frame(ANSWER, 1), frame(REFUSE, 2), frame(ANSWER, 3)]));
    await handler.reached(3);
    handler.release();
    await c.closed;
    expect(c.answers).toEqual([0, 1]);
    expect(handler.calls).toBe(3);
  });

  it('listener: an answer that must be the last is written after the answers before it, then the connection closes', async () => {
    const handler = new TestingHandler();
    const { port } = await start(handler);
    const c = await connect(port);
    c.socket.write(Buffer.concat([frame(HOLD, 0), frame(LAST, 1), frame(ANSWER, 2)]));
    await handler.reached(2);
    handler.release();
    await c.closed;
    expect(c.answers).toEqual([0, 1]);
    expect(handler.calls).toBe(2);
  });

  it(`listener: at most ${IN_FLIGHT_MAX} requests of a connection are in progress; the rest wait in TCP until answers leave`, async () => {
    const handler = new TestingHandler();
    const { port } = await start(handler);
    const a = await connect(port);
    a.socket.write(Buffer.concat(range(300).map((i) => frame(HOLD, i))));
    await handler.reached(IN_FLIGHT_MAX);
    // Another connection's round trip: the listener has had its turns to read more of the first.
    const b = await connect(port);
    b.socket.write(frame(ANSWER, 7));
    await b.answered(1);
    expect(handler.calls).toBe(IN_FLIGHT_MAX + 1);
    for (let answered = 0; answered < 300; answered = a.answers.length) {
      handler.release();
      await a.answered(Math.min(300, answered + 1));
    }
    expect(a.answers).toEqual(range(300));
    a.socket.destroy();
    b.socket.destroy();
  });

  it('listener: a client that never reads its answers makes the listener stop reading its requests', async () => {
    const answerBytes = 512 * 1024;
    const handler = new TestingHandler(answerBytes);
    const { port } = await start(handler);
    // What the kernel can hold of answers on their way to a client that does not read.
    const kernelBytesMax = ['tcp_wmem', 'tcp_rmem'].reduce((n, f) => n + Number(fs.readFileSync(`/proc/sys/net/ipv4/${f}`, 'utf8').trim().split(/\s+/)[2]), 0);
    const bound = IN_FLIGHT_MAX + Math.ceil(kernelBytesMax / answerBytes) + 1;
    const requests = 2 * bound;
    const a = await connect(port);
    a.socket.pause();
    a.socket.write(Buffer.concat(range(requests).map((i) => frame(ANSWER, i))));
    await handler.reached(IN_FLIGHT_MAX);
    const b = await connect(port);
    b.socket.write(frame(ANSWER, 7));
    await b.answered(1);
    expect(handler.calls).toBeLessThanOrEqual(bound + 1);
    a.socket.resume();
    await a.answered(requests);
    expect(a.answers).toEqual(range(requests));
    a.socket.destroy();
    b.socket.destroy();
  });
});
