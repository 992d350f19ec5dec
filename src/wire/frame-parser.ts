// Splits a byte stream into frames. Frames are handed out synchronously as
// zero-copy views into the received chunk; only a frame split across chunks is
// reassembled, with exactly one copy into a buffer of its exact size. Sizes
// and counts are checked against the limits before anything is allocated.
import { FrameTooLargeError, ProtocolError } from "../errors.js";
import { HANDLE_ENTRY_SIZE, HEADER_SIZE, MAGIC, MAX_KIND, Off, RESERVED_KIND, PROTOCOL_VERSION, type FrameHeader } from "./header.js";

export interface FrameLimits {
  /** Largest frame accepted: header + handle table + body. */
  readonly maxFrameSize: number;
  /** Most handle-table entries in one frame. */
  readonly maxHandles: number;
}

/**
 * Called once per frame. `handles` and `body` are views that stay valid after
 * the call (received chunks are never reused); `header` is reused per frame.
 */
export type FrameHandler = (header: FrameHeader, handles: Uint8Array, body: Uint8Array) => void;

const NO_HANDLES = new Uint8Array(0);

export class FrameParser {
  private readonly header: FrameHeader = {
    kind: 0,
    flags: 0,
    bodyLength: 0,
    routeId: 0,
    handleCount: 0,
    seq: 0,
    typeLo: 0,
    typeHi: 0,
  };
  /** Bytes of an incomplete header carried over from the last chunk. */
  private partialHeader: Uint8Array | undefined;
  /** A frame being reassembled across chunks, and how much of it is filled. */
  private partialFrame: Uint8Array | undefined;
  private partialFilled = 0;

  constructor(
    private readonly limits: FrameLimits,
    private readonly onFrame: FrameHandler,
  ) {}

  /** Feeds a chunk; throws a ProtocolError on the first bad frame. */
  push(chunk: Uint8Array): void {
    // Views of a plain Uint8Array are much cheaper to make than Buffer subarrays.
    if (chunk instanceof Buffer) chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    if (this.partialHeader !== undefined) {
      chunk = concat(this.partialHeader, chunk);
      this.partialHeader = undefined;
    } else if (this.partialFrame !== undefined) {
      pos = this.fillPartial(chunk);
      if (this.partialFrame !== undefined) return;
    }
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (pos < chunk.length) {
      const available = chunk.length - pos;
      if (available < HEADER_SIZE) {
        this.partialHeader = chunk.slice(pos);
        return;
      }
      const frameSize = this.readHeader(view, pos);
      if (available < frameSize) {
        // One copy: into a buffer of the frame's exact, already checked size.
        this.partialFrame = new Uint8Array(frameSize);
        this.partialFrame.set(chunk.subarray(pos));
        this.partialFilled = available;
        return;
      }
      this.deliver(chunk, pos);
      pos += frameSize;
    }
  }

  /** True while a frame or header is half received (the stream must not end here). */
  get midFrame(): boolean {
    return this.partialHeader !== undefined || this.partialFrame !== undefined;
  }

  private fillPartial(chunk: Uint8Array): number {
    const frame = this.partialFrame!;
    const take = Math.min(frame.length - this.partialFilled, chunk.length);
    frame.set(chunk.subarray(0, take), this.partialFilled);
    this.partialFilled += take;
    if (this.partialFilled === frame.length) {
      this.partialFrame = undefined;
      this.deliver(frame, 0);
    }
    return take;
  }

  private deliver(bytes: Uint8Array, at: number): void {
    const h = this.header;
    const handlesStart = at + HEADER_SIZE;
    if (h.handleCount === 0) {
      this.onFrame(h, NO_HANDLES, bytes.subarray(handlesStart, handlesStart + h.bodyLength));
      return;
    }
    const bodyStart = handlesStart + h.handleCount * HANDLE_ENTRY_SIZE;
    this.onFrame(h, bytes.subarray(handlesStart, bodyStart), bytes.subarray(bodyStart, bodyStart + h.bodyLength));
  }

  /** Validates the header at `at` into this.header; returns the frame size. */
  private readHeader(view: DataView, at: number): number {
    if (view.getUint32(at + Off.magic, true) !== MAGIC) {
      throw new ProtocolError("bad frame: wrong magic (not a protochan peer, or the stream is out of sync)");
    }
    const version = view.getUint16(at + Off.version, true);
    if (version !== PROTOCOL_VERSION) {
      throw new ProtocolError(`bad frame: protocol version ${version}, expected ${PROTOCOL_VERSION}`);
    }
    const headerSize = view.getUint16(at + Off.headerSize, true);
    if (headerSize !== HEADER_SIZE) {
      throw new ProtocolError(`bad frame: header size ${headerSize}, expected ${HEADER_SIZE}`);
    }
    const h = this.header;
    h.kind = view.getUint16(at + Off.kind, true);
    if (h.kind === 0 || h.kind > MAX_KIND || h.kind === RESERVED_KIND) throw new ProtocolError(`bad frame: unknown kind ${h.kind}`);
    h.flags = view.getUint16(at + Off.flags, true);
    h.bodyLength = view.getUint32(at + Off.bodyLength, true);
    h.routeId = view.getUint32(at + Off.routeId, true);
    h.handleCount = view.getUint32(at + Off.handleCount, true);
    if (h.handleCount > this.limits.maxHandles) {
      throw new ProtocolError(`bad frame: ${h.handleCount} handles, at most ${this.limits.maxHandles} allowed`);
    }
    const frameSize = HEADER_SIZE + h.handleCount * HANDLE_ENTRY_SIZE + h.bodyLength;
    if (frameSize > this.limits.maxFrameSize) {
      throw new FrameTooLargeError(`frame of ${frameSize} bytes exceeds the maximum frame size of ${this.limits.maxFrameSize} bytes`);
    }
    const seqHi = view.getUint32(at + Off.seq + 4, true);
    if (seqHi > 0x1fffff) throw new ProtocolError("bad frame: sequence number out of range");
    h.seq = seqHi * 0x1_0000_0000 + view.getUint32(at + Off.seq, true);
    h.typeLo = view.getUint32(at + Off.typeId, true);
    h.typeHi = view.getUint32(at + Off.typeId + 4, true);
    return frameSize;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
