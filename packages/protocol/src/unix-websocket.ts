import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { ProtocolError } from './errors.js';

/**
 * What the client and the responder use of a WebSocket: the subset of `ws`'s `WebSocket` that
 * {@link UnixWebSocket} also has, so a local connection needs no `ws` (nor `http`) at all.
 */
export interface FrameSocket {
  readonly readyState: number;
  readonly OPEN: number;
  readonly CLOSED: number;
  /** Bytes written but not yet handed to the kernel. */
  readonly bufferedAmount: number;
  readonly isPaused: boolean;
  send(data: string, cb?: (error?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  /** Stops reading from the socket: the peer's writes then meet backpressure. */
  pause(): void;
  resume(): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'ping', listener: () => void): this;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  once(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  once(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  once(event: 'error', listener: (error: Error) => void): this;
  removeAllListeners(event?: string): this;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
enum Op {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xa,
}

/** Options of {@link UnixWebSocket.connect}. */
export interface UnixWebSocketOptions {
  /** Largest message accepted from the server; a bigger one closes the connection (1009). */
  readonly maxPayload: number;
}

/**
 * A WebSocket client (RFC 6455) over a Unix socket, just what the daemon's local socket needs:
 * the upgrade handshake, text messages of any size (fragmented or not), ping → pong, the closing
 * handshake. No extensions are offered, so the server sends plain frames. It loads only `net`,
 * `events` and `crypto`, which keeps a short-lived CLI command fast.
 *
 * @example
 * const ws = await UnixWebSocket.connect('/run/harness/daemon.sock', { maxPayload: 16 << 20 });
 * ws.on('message', (data) => console.log(data.toString()));
 * ws.send(JSON.stringify({ id: 0, method: 'hello', params: {} }));
 */
export class UnixWebSocket extends EventEmitter implements FrameSocket {
  readonly OPEN = 1;
  readonly CLOSED = 3;
  #state = 1;
  readonly #socket: Socket;
  readonly #maxPayload: number;
  /** Received bytes not yet making a whole frame, and how many a frame needs. */
  #chunks: Buffer[] = [];
  #bytes = 0;
  #need = 0;
  /** Parts of a fragmented message being received. */
  #parts: Buffer[] = [];
  #partsBytes = 0;
  /** Whether the message being received is binary (its first frame's opcode). */
  #binary = false;
  #closeSent = false;
  #closeInfo: { code: number; reason: Buffer } = { code: 1006, reason: Buffer.alloc(0) };

  private constructor(socket: Socket, rest: Buffer, options: UnixWebSocketOptions) {
    super();
    this.#socket = socket;
    this.#maxPayload = options.maxPayload;
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', (error) => this.emit('error', error));
    socket.on('close', () => {
      this.#state = this.CLOSED;
      this.emit('close', this.#closeInfo.code, this.#closeInfo.reason);
    });
    // Bytes that came with the upgrade response wait a turn: whoever awaited connect() has put
    // its listeners on by then (a microtask would run before its continuation).
    if (rest.length > 0) setImmediate(() => this.#receive(rest));
  }

  /**
   * Connects and upgrades. Rejects with DAEMON_UNAVAILABLE when nothing listens (ENOENT,
   * ECONNREFUSED: "is the daemon running?") or the server refuses the upgrade, and with TIMEOUT.
   */
  static connect(
    socketPath: string,
    options: UnixWebSocketOptions,
    timeoutMs: number,
  ): Promise<UnixWebSocket> {
    const where = `unix socket ${socketPath}`;
    const key = randomBytes(16).toString('base64');
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      let head: Buffer = Buffer.alloc(0);
      const timer = setTimeout(
        () => fail(new ProtocolError('TIMEOUT', `no connection to ${where} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const fail = (error: ProtocolError): void => {
        clearTimeout(timer);
        socket.removeAllListeners();
        socket.on('error', () => {});
        socket.destroy();
        reject(error);
      };
      socket.once('connect', () => {
        socket.write(
          'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
            `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`,
        );
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        const code = error.code ?? '';
        const hint = code === 'ENOENT' || code === 'ECONNREFUSED' ? ' (is the daemon running?)' : '';
        fail(
          new ProtocolError(
            'DAEMON_UNAVAILABLE',
            `cannot connect to ${where}: ${code === '' ? '' : `${code}: `}${error.message}${hint}`,
            { cause: error },
          ),
        );
      });
      socket.on('close', () =>
        fail(
          new ProtocolError('DAEMON_UNAVAILABLE', `cannot connect to ${where}: closed during the upgrade`),
        ),
      );
      const onData = (chunk: Buffer): void => {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > 16 * 1024) fail(refused(where, 'an oversized upgrade response'));
          return;
        }
        const lines = head.subarray(0, end).toString('latin1').split('\r\n');
        const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1];
        if (status !== '101') {
          fail(refused(where, `HTTP status ${status ?? '(none)'}`));
          return;
        }
        const accept = lines
          .map((l) => /^sec-websocket-accept:\s*(\S+)/i.exec(l)?.[1])
          .find((v) => v !== undefined);
        const want = createHash('sha1')
          .update(key + GUID)
          .digest('base64');
        if (accept !== want) {
          fail(refused(where, 'a wrong Sec-WebSocket-Accept'));
          return;
        }
        clearTimeout(timer);
        socket.removeAllListeners();
        resolve(new UnixWebSocket(socket, head.subarray(end + 4), options));
      };
      socket.on('data', onData);
    });
  }

  get readyState(): number {
    return this.#state;
  }

  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  get isPaused(): boolean {
    return this.#socket.isPaused();
  }

  send(data: string, cb?: (error?: Error) => void): void {
    if (this.#state !== this.OPEN) {
      cb?.(new Error('the WebSocket is not open'));
      return;
    }
    this.#write(Op.Text, Buffer.from(data), cb);
  }

  close(code = 1000, reason = ''): void {
    if (this.#state !== this.OPEN) return;
    this.#state = 2;
    this.#sendClose(code, Buffer.from(reason));
    // The server answers with its close frame and ends the connection; do not wait forever.
    setTimeout(() => this.#socket.destroy(), 1000).unref();
  }

  terminate(): void {
    this.#socket.destroy();
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  #sendClose(code: number, reason: Buffer): void {
    if (this.#closeSent) return;
    this.#closeSent = true;
    const payload = Buffer.alloc(2 + reason.length);
    payload.writeUInt16BE(code, 0);
    reason.copy(payload, 2);
    this.#write(Op.Close, payload);
  }

  /** Writes one frame, masked as a client must. */
  #write(op: Op, payload: Buffer, cb?: (error?: Error) => void): void {
    const n = payload.length;
    const lenBytes = n < 126 ? 0 : n < 0x10000 ? 2 : 8;
    const at = 2 + lenBytes + 4;
    const frame = Buffer.allocUnsafe(at + n);
    frame[0] = 0x80 | op;
    frame[1] = 0x80 | (lenBytes === 0 ? n : lenBytes === 2 ? 126 : 127);
    if (lenBytes === 2) frame.writeUInt16BE(n, 2);
    else if (lenBytes === 8) frame.writeBigUInt64BE(BigInt(n), 2);
    const mask = randomBytes(4);
    mask.copy(frame, at - 4);
    for (let i = 0; i < n; i++) frame[at + i] = (payload[i] as number) ^ (mask[i & 3] as number);
    this.#socket.write(frame, cb && ((error) => cb(error ?? undefined)));
  }

  /**
   * Takes the bytes of the socket. Chunks are only kept until a whole frame is there (`#need`),
   * then joined once: a large message arriving in many chunks is copied once, not once per chunk.
   */
  #receive(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    if (this.#bytes < this.#need) return;
    let b = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks, this.#bytes);
    this.#chunks = [];
    this.#bytes = 0;
    this.#need = 0;
    for (;;) {
      const need = this.#frameLength(b);
      if (need === undefined) return; // failed
      if (b.length < need) {
        if (b.length > 0) {
          this.#chunks.push(b);
          this.#bytes = b.length;
        }
        this.#need = need;
        return;
      }
      const fin = ((b[0] as number) & 0x80) !== 0;
      const op = (b[0] as number) & 0x0f;
      const at = need - this.#payloadLength(b);
      this.#frame(op, fin, b.subarray(at, need));
      b = b.subarray(need);
      if (this.#state === this.CLOSED) return;
    }
  }

  /**
   * The bytes the frame at the start of `b` takes, header included — or as many as are needed
   * to know it (its header's length); undefined when the frame is refused (the connection fails).
   */
  #frameLength(b: Buffer): number | undefined {
    if (b.length < 2) return 2;
    if (((b[1] as number) & 0x80) !== 0) {
      this.#fail(1002, 'a masked frame from the server');
      return undefined;
    }
    const short = (b[1] as number) & 0x7f;
    const at = short === 126 ? 4 : short === 127 ? 10 : 2;
    if (b.length < at) return at;
    if (short === 127 && b.readBigUInt64BE(2) > BigInt(this.#maxPayload)) {
      this.#fail(1009, 'message too big');
      return undefined;
    }
    const len = this.#payloadLength(b);
    if (this.#partsBytes + len > this.#maxPayload) {
      this.#fail(1009, 'message too big');
      return undefined;
    }
    return at + len;
  }

  /** The payload length of the frame at the start of `b` (its whole header is there). */
  #payloadLength(b: Buffer): number {
    const short = (b[1] as number) & 0x7f;
    return short === 126 ? b.readUInt16BE(2) : short === 127 ? Number(b.readBigUInt64BE(2)) : short;
  }

  #frame(op: number, fin: boolean, payload: Buffer): void {
    switch (op) {
      case Op.Text:
      case Op.Binary:
      case Op.Continuation: {
        if ((op === Op.Continuation) !== this.#parts.length > 0) {
          this.#fail(1002, op === Op.Continuation ? 'a stray continuation' : 'an unfinished message');
          return;
        }
        if (op !== Op.Continuation) this.#binary = op === Op.Binary;
        if (fin && this.#parts.length === 0) {
          this.emit('message', payload, this.#binary);
          return;
        }
        this.#parts.push(Buffer.from(payload));
        this.#partsBytes += payload.length;
        if (!fin) return;
        const whole = Buffer.concat(this.#parts);
        this.#parts = [];
        this.#partsBytes = 0;
        this.emit('message', whole, this.#binary);
        return;
      }
      case Op.Ping:
        this.#write(Op.Pong, payload);
        this.emit('ping');
        return;
      case Op.Pong:
        return;
      case Op.Close: {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.#closeInfo = { code, reason: Buffer.from(payload.subarray(2)) };
        this.#state = 2;
        this.#sendClose(code === 1005 ? 1000 : code, Buffer.alloc(0));
        this.#socket.end();
        return;
      }
      default:
        this.#fail(1002, `an unknown opcode ${op}`);
    }
  }

  #fail(code: number, reason: string): void {
    this.#closeInfo = { code, reason: Buffer.from(reason) };
    if (this.#state === this.OPEN) this.#sendClose(code, Buffer.from(reason));
    this.#state = this.CLOSED;
    this.#socket.destroy();
  }
}

function refused(where: string, what: string): ProtocolError {
  return new ProtocolError(
    'DAEMON_UNAVAILABLE',
    `cannot connect to ${where}: it answered the upgrade with ${what}`,
  );
}
