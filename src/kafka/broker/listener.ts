/**
 * The Kafka port: TCP (or TLS) connections carrying size-prefixed frames (int32 length, then the
 * request). A frame's size is checked before its bytes are gathered, so a client announcing a huge
 * frame is refused without the server holding it. A connection's requests may be pipelined: they
 * are handled concurrently, but Kafka clients match responses to requests by order as well as by
 * correlation id, so responses are written strictly in the order the requests arrived. At most `inFlightMax` requests per connection are in progress; past that the
 * socket is paused, which pushes back on the client through TCP.
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
  /** Set by a handler whose response is the last (a failed authentication): closed once it is written. */
  closeAfterResponse = false;
  private closed = false;

  constructor(readonly socket: net.Socket, readonly remote: string) {}

  get isClosed(): boolean {
    return this.closed || this.socket.destroyed;
  }

  /** Ends the connection after what was written so far (a protocol error, a failed authentication). */
  close(): void {
    this.closed = true;
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
    // Responses leave in request order: each request's write waits for the one before it.
    let tail: Promise<void> = Promise.resolve();
    const refuse = (why: string, details: object) => {
      opts.log.warn({ remote: conn.remote, ...details }, `kafka: closing connection: ${why}`);
      pending = [];
      conn.close();
    };
    const dispatch = (frame: Uint8Array) => {
      inFlight++;
      if (inFlight >= inFlightMax) socket.pause();
      const response = handler.handle(conn, frame).catch((err: unknown) => {
        opts.log.warn({ remote: conn.remote, err: err instanceof Error ? err.message : String(err) }, 'kafka: closing connection: the request could not be answered');
        conn.close();
        return null;
      });
      tail = tail.then(async () => {
        const bytes = await response;
        inFlight--;
        if (socket.isPaused() && inFlight < inFlightMax && !conn.isClosed) socket.resume();
        if (bytes && !conn.isClosed) socket.write(bytes);
        if (conn.closeAfterResponse && !conn.isClosed) conn.close();
      });
    };
    socket.on('data', (chunk: Buffer) => {
      if (conn.isClosed) return;
      pending.push(chunk);
      pendingBytes += chunk.length;
      for (;;) {
        if (expected < 0) {
          if (pendingBytes < SIZE_BYTES) return;
          const head = takeBytes(SIZE_BYTES);
          const size = new DataView(head.buffer, head.byteOffset, SIZE_BYTES).getInt32(0);
          if (size < FRAME_BYTES_MIN) return refuse('a frame is smaller than a request header', { frameBytes: size });
          if (size > opts.frameBytesMax) return refuse(`a frame of ${size} bytes is above --max-request-bytes (${opts.frameBytesMax})`, { frameBytes: size });
          expected = size;
        }
        if (pendingBytes < expected) return;
        const frame = takeBytes(expected);
        expected = -1;
        dispatch(frame);
      }
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
