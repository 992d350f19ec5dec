// The raw baseline: Node's `net` over a Unix domain socket, each message a
// 4-byte little-endian length prefix and its body. Written the way a careful
// user would write it by hand, so the comparison is with good raw code, not
// naive code:
// - the writer copies small frames into one buffer and writes it once per
//   turn (or when FLUSH_AT bytes pile up); large bodies go out by reference
//   beside their prefix; write() reports backpressure, drained() waits for it;
// - the reader hands out frames as views into the received chunk and copies
//   only a frame split across chunks (once, into a buffer of its exact size).
import { mkdtempSync, rmSync } from "node:fs";
import net, { type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PREFIX = 4;
/** Bodies at least this large are written by reference instead of copied. */
const ZERO_COPY_MIN = 64 * 1024;
/** Write the coalesced buffer once this much is in it. */
const FLUSH_AT = 256 * 1024;
const MAX_FRAME = 64 * 1024 * 1024;

/** A listening Unix socket in a fresh private directory; accepts one client. */
export interface RawServer {
  readonly path: string;
  accept(): Promise<Socket>;
  close(): void;
}

export async function listenRaw(): Promise<RawServer> {
  const dir = mkdtempSync(join(tmpdir(), "protochan-bench-"));
  const path = join(dir, "raw.sock");
  let accepted: ((s: Socket) => void) | undefined;
  let early: Socket | undefined;
  const server = net.createServer((socket) => {
    if (accepted !== undefined) accepted(socket);
    else early = socket;
    server.close();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  return {
    path,
    accept: () => (early !== undefined ? Promise.resolve(early) : new Promise((resolve) => (accepted = resolve))),
    close: () => {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function dialRaw(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path, () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** Splits the byte stream of `socket` into frame bodies, delivered synchronously to onFrame. */
export class FrameReader {
  private partialHeader: Uint8Array | undefined;
  private partial: Uint8Array | undefined;
  private filled = 0;

  constructor(
    socket: Socket,
    private readonly onFrame: (body: Uint8Array) => void,
  ) {
    socket.on("data", (chunk: Buffer) => this.push(chunk));
  }

  push(chunk: Uint8Array): void {
    let pos = 0;
    if (this.partialHeader !== undefined) {
      const joined = new Uint8Array(this.partialHeader.length + chunk.length);
      joined.set(this.partialHeader);
      joined.set(chunk, this.partialHeader.length);
      chunk = joined;
      this.partialHeader = undefined;
    } else if (this.partial !== undefined) {
      const frame = this.partial;
      const take = Math.min(frame.length - this.filled, chunk.length);
      frame.set(chunk.subarray(0, take), this.filled);
      this.filled += take;
      pos = take;
      if (this.filled < frame.length) return;
      this.partial = undefined;
      this.onFrame(frame);
    }
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (pos < chunk.length) {
      const available = chunk.length - pos;
      if (available < PREFIX) {
        this.partialHeader = chunk.slice(pos);
        return;
      }
      const length = view.getUint32(pos, true);
      if (length > MAX_FRAME) throw new Error(`raw frame of ${length} bytes is too large`);
      if (available - PREFIX < length) {
        this.partial = new Uint8Array(length);
        this.partial.set(chunk.subarray(pos + PREFIX));
        this.filled = available - PREFIX;
        return;
      }
      this.onFrame(chunk.subarray(pos + PREFIX, pos + PREFIX + length));
      pos += PREFIX + length;
    }
  }
}

/** Frames as a queue of promises (for request/response loops). */
export class FrameQueue {
  private readonly queued: Uint8Array[] = [];
  private waiter: ((body: Uint8Array) => void) | undefined;

  constructor(socket: Socket) {
    new FrameReader(socket, (body) => {
      const w = this.waiter;
      if (w !== undefined) {
        this.waiter = undefined;
        w(body);
      } else {
        this.queued.push(body);
      }
    });
  }

  next(): Promise<Uint8Array> {
    const body = this.queued.shift();
    if (body !== undefined) return Promise.resolve(body);
    return new Promise((resolve) => (this.waiter = resolve));
  }
}

/** Writes length-prefixed frames to `socket`, coalescing small ones. */
export class FrameWriter {
  private buf = new Uint8Array(FLUSH_AT + ZERO_COPY_MIN);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private flushScheduled = false;
  private full = false;
  private readonly flushNow = () => this.flush();

  constructor(private readonly socket: Socket) {}

  /** Queues one frame; false when the socket wants the caller to wait for drained(). */
  write(body: Uint8Array): boolean {
    if (body.length >= ZERO_COPY_MIN) {
      this.flush();
      const prefix = new Uint8Array(PREFIX);
      new DataView(prefix.buffer).setUint32(0, body.length, true);
      this.socket.cork();
      this.socket.write(prefix);
      this.full = !this.socket.write(body);
      this.socket.uncork();
      return !this.full;
    }
    if (this.pos + PREFIX + body.length > this.buf.length) this.flush();
    this.view.setUint32(this.pos, body.length, true);
    this.buf.set(body, this.pos + PREFIX);
    this.pos += PREFIX + body.length;
    if (this.pos >= FLUSH_AT) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushNow);
    }
    return !this.full;
  }

  /** Hands what is buffered to the socket. */
  flush(): void {
    this.flushScheduled = false;
    if (this.pos === 0) return;
    const out = this.buf.subarray(0, this.pos);
    // The written region belongs to the socket now: continue in the tail or a new buffer.
    if (this.buf.length - this.pos >= ZERO_COPY_MIN + PREFIX) {
      this.buf = this.buf.subarray(this.pos);
      this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    } else {
      this.buf = new Uint8Array(FLUSH_AT + ZERO_COPY_MIN);
      this.view = new DataView(this.buf.buffer);
    }
    this.pos = 0;
    this.full = !this.socket.write(out);
  }

  /** Resolves when the socket has room again (at once if it has). */
  drained(): Promise<void> {
    this.flush();
    if (!this.full || !this.socket.writableNeedDrain) {
      this.full = false;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.socket.once("drain", () => {
        this.full = false;
        resolve();
      }),
    );
  }

  /** Flushes, half-closes and resolves once everything was handed to the OS. */
  end(): Promise<void> {
    this.flush();
    return new Promise((resolve) => this.socket.end(resolve));
  }
}

/** One frame in its own buffer (for request/response, where nothing coalesces). */
export function frame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(PREFIX + body.length);
  new DataView(out.buffer).setUint32(0, body.length, true);
  out.set(body, PREFIX);
  return out;
}
