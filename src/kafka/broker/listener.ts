/**
 * The Kafka port: TCP (or TLS) connections carrying size-prefixed frames (int32 length, then the
 * request). A frame's size is checked before its bytes are gathered, so a client announcing a huge
 * frame is refused without the server holding it. A connection's requests may be pipelined: they
 * are handled concurrently, but Kafka clients match responses to requests by order as well as by
 * correlation id, so responses are written strictly in the order the requests arrived, and a
 * connection closed for a bad request still gets the answers to the requests before it (Kafka
 * reads one request at a time, so its clients get those too). At most `inFlightMax` requests (and
 * about one frame's worth of bytes) per connection are in progress, and responses a client does not
 * read are not piled up: past either, the socket is paused, which pushes back on the client through
 * TCP.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Principal } from '../../common/grants.js';

export interface FrameHandler {
  /** The response frame (with its size prefix), or null when the request gets none (acks=0). */
  handle(conn: KafkaConnection, frame: Uint8Array): Promise<Uint8Array | null>;
}

export interface ListenerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Told of every connection opened and closed (the metrics' gauge). */
  readonly onConnections?: (open: number) => void;
  /** Frames above this are refused before they are read (the connection is closed). */
  readonly frameBytesMax: number;
  readonly inFlightMax?: number;
  readonly log: ListenerLog;
}

const SIZE_BYTES = 4;
/** The smallest request: a v0 header (api key, version, correlation id) and nothing else. */
const FRAME_BYTES_MIN = 8;
const IN_FLIGHT_MAX = 64;

/** One client connection: the state its requests share (authentication, SASL progress). */
export class KafkaConnection {
  /** Who authenticated on this connection (SASL/PLAIN); null until then, and always without --auth-file. */
  principal: Principal | null = null;
  /** Handler-owned per-connection state (SASL progress and the like). */
  readonly state = new Map<string, unknown>();
  /**
   * Set by a handler whose response is the last (a failed authentication), before its first await:
   * the connection closes once that response is written, and nothing after the request is read.
   */
  closeAfterResponse = false;
  private closing = false;
  /** The writes of the responses, chained in request order. */
  private written: Promise<void> = Promise.resolve();

  constructor(readonly socket: net.Socket, readonly remote: string) {}

  /** True once the connection is closing: no further request is read from it. */
  get isClosed(): boolean {
    return this.closing || this.socket.destroyed;
  }

  /** Runs `step` once every earlier step has run: a response's write waits for the one before it. */
  inOrder(step: () => Promise<void>): void {
    this.written = this.written.then(step);
  }

  /**
   * Ends the connection once the answers to the requests read before this one are written (a
   * protocol error, a failed authentication); nothing after it is read.
   */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.inOrder(async () => this.end());
  }

  private end(): void {
    this.socket.end();
    // A peer that never reads would keep a half-closed socket forever.
    setTimeout(() => this.socket.destroy(), 5_000).unref();
  }
}

export class KafkaListener {
  private readonly connections = new Set<KafkaConnection>();

  private constructor(private readonly server: net.Server, readonly address: AddressInfo) {}

  static async start(opts: ListenerOptions, handler: FrameHandler): Promise<KafkaListener> {
    const onSocket = (socket: net.Socket) => listener.accept(socket, opts, handler);
    const server = opts.tls ? tls.createServer({ cert: opts.tls.cert, key: opts.tls.key }, onSocket) : net.createServer(onSocket);
    // A TLS handshake that fails is the client's problem: log it, never let it reach the process.
    server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      opts.log.warn({ err: err.message, remote: socket.remoteAddress }, 'kafka: TLS handshake failed');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: opts.host, port: opts.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => opts.log.warn({ err: err.message }, 'kafka: listener error'));
    const listener = new KafkaListener(server, server.address() as AddressInfo);
    return listener;
  }

  get port(): number {
    return this.address.port;
  }

  private accept(socket: net.Socket, opts: ListenerOptions, handler: FrameHandler): void {
    const conn = new KafkaConnection(socket, `${socket.remoteAddress}:${socket.remotePort}`);
    this.connections.add(conn);
    opts.onConnections?.(this.connections.size);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.connections.delete(conn);
      opts.onConnections?.(this.connections.size);
    });
    const inFlightMax = opts.inFlightMax ?? IN_FLIGHT_MAX;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let expected = -1;
    let inFlight = 0;
    let inFlightBytes = 0;
    // No further request is cut from what was received, and reading pauses, while the connection
    // holds enough: requests in progress (their count and bytes), or responses the client has not
    // read yet. Memory per connection stays near two frames, however many requests one chunk holds.
    const saturated = () => inFlight >= inFlightMax || inFlightBytes > opts.frameBytesMax || socket.writableLength > opts.frameBytesMax;
    const refuse = (why: string, details: object) => {
      opts.log.warn({ remote: conn.remote, ...details }, `kafka: closing connection: ${why}`);
      pending = [];
      conn.close();
    };
    const dispatch = (frame: Uint8Array) => {
      inFlight++;
      inFlightBytes += frame.byteLength;
      const response = handler.handle(conn, frame).catch((err: unknown) => {
        opts.log.warn({ remote: conn.remote, err: err instanceof Error ? err.message : String(err) }, 'kafka: closing connection: the request could not be answered');
        conn.close();
        return null;
      });
      conn.inOrder(async () => {
        const bytes = await response;
        inFlight--;
        inFlightBytes -= frame.byteLength;
        if (bytes && socket.writable) socket.write(bytes);
        cutFrames();
      });
      // Read now, while it is this request's: a later request's handler may set it before this
      // request's answer is written (a failed raw SASL token pipelined behind its handshake).
      if (conn.closeAfterResponse) conn.close();
    };
    /** Dispatches the whole frames received while there is room, then reads on or pauses. */
    const cutFrames = () => {
      while (!conn.isClosed && !saturated()) {
        if (expected < 0) {
          if (pendingBytes < SIZE_BYTES) break;
          const head = takeBytes(SIZE_BYTES);
          const size = new DataView(head.buffer, head.byteOffset, SIZE_BYTES).getInt32(0);
          if (size < FRAME_BYTES_MIN) return refuse('a frame is smaller than a request header', { frameBytes: size });
          if (size > opts.frameBytesMax) return refuse(`a frame of ${size} bytes is above --max-request-bytes (${opts.frameBytesMax})`, { frameBytes: size });
          expected = size;
        }
        if (pendingBytes < expected) break;
        const frame = takeBytes(expected);
        expected = -1;
        dispatch(frame);
      }
      if (conn.isClosed) return;
      if (saturated()) socket.pause();
      else if (socket.isPaused()) socket.resume();
    };
    socket.on('drain', cutFrames);
    socket.on('data', (chunk: Buffer) => {
      if (conn.isClosed) return;
      pending.push(chunk);
      pendingBytes += chunk.length;
      cutFrames();
    });
    function takeBytes(n: number): Uint8Array {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      const out = all.subarray(0, n);
      const rest = all.subarray(n);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
      return out;
    }
  }

  /** Stops accepting and closes every connection (in-flight responses are dropped: clients retry). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.socket.destroy();
    await closed;
  }
}
