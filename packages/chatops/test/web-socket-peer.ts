import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** RFC 6455's fixed GUID, hashed with the client's key into `Sec-WebSocket-Accept`. */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/**
 * The server side of one WebSocket (RFC 6455), just enough for a fake Slack: text messages, the
 * client's pings answered with pongs, the close handshake. No extensions, no subprotocols.
 * The `ws` package is not installed here (@slack/socket-mode 3 connects with undici's WebSocket),
 * so the fake speaks the protocol itself.
 */
export class WebSocketPeer {
  #buffer = Buffer.alloc(0);
  #fragments: Buffer[] = [];
  #closed = false;

  private constructor(
    readonly socket: Duplex,
    readonly url: string,
    private readonly onText: (text: string) => void,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#readFrames();
    });
    socket.on('close', () => (this.#closed = true));
    socket.on('error', () => (this.#closed = true));
  }

  /** Completes the opening handshake of an HTTP `upgrade` request; undefined (after answering 400) if it is not one. */
  static accept(request: IncomingMessage, socket: Duplex, onText: (text: string) => void): WebSocketPeer | undefined {
    const key = request.headers['sec-websocket-key'];
    if (typeof key !== 'string' || String(request.headers.upgrade).toLowerCase() !== 'websocket') {
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      return undefined;
    }
    const accept = createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    return new WebSocketPeer(socket, request.url ?? '/', onText);
  }

  /** Whether the connection is still up. */
  get open(): boolean {
    return !this.#closed;
  }

  /** Sends one text message. */
  send(text: string): void {
    this.#write(OPCODE.text, Buffer.from(text, 'utf8'));
  }

  /** Starts the closing handshake; the socket ends when the client answers (or after 1 s). */
  close(code = 1000): void {
    if (this.#closed) return;
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code);
    this.#write(OPCODE.close, body);
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }

  #write(opcode: number, payload: Buffer): void {
    if (this.#closed) return;
    // Server frames are never masked.
    let header: Buffer;
    if (payload.length < 126) {
      header = Buffer.from([0x80 | opcode, payload.length]);
    } else if (payload.length < 65_536) {
      header = Buffer.alloc(4);
      header[0] = 0x80 | opcode;
      header[1] = 126;
      header.writeUInt16BE(payload.length, 2);
    } else {
      header = Buffer.alloc(10);
      header[0] = 0x80 | opcode;
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(payload.length), 2);
    }
    this.socket.write(Buffer.concat([header, payload]));
  }

  /** Reads every complete frame in the buffer; client frames are always masked. */
  #readFrames(): void {
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      const first = b.readUInt8(0);
      const second = b.readUInt8(1);
      const fin = (first & 0x80) !== 0;
      const opcode = first & 0x0f;
      let length = second & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      const masked = (second & 0x80) !== 0;
      const maskOffset = offset;
      if (masked) offset += 4;
      if (b.length < offset + length) return;
      const payload = Buffer.from(b.subarray(offset, offset + length));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (b[maskOffset + (i % 4)] ?? 0);
      this.#buffer = b.subarray(offset + length);
      this.#frame(fin, opcode, payload);
    }
  }

  #frame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case OPCODE.text:
      case OPCODE.binary:
      case OPCODE.continuation:
        this.#fragments.push(payload);
        if (fin) {
          const text = Buffer.concat(this.#fragments).toString('utf8');
          this.#fragments = [];
          this.onText(text);
        }
        return;
      case OPCODE.ping:
        this.#write(OPCODE.pong, payload);
        return;
      case OPCODE.close:
        // Echo the close (unless we started it) and hang up.
        this.#write(OPCODE.close, payload.subarray(0, 2));
        this.#closed = true;
        this.socket.end();
        return;
      default:
        return;
    }
  }
}
