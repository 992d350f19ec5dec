// A growable little-endian output buffer. Frames are encoded straight into it
// (header, handle table, body), so a small message costs no allocation of its
// own; the filled part is handed to the socket with take().

export class ByteWriter {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(private readonly chunkSize = 64 * 1024) {
    this.buf = new Uint8Array(chunkSize);
    this.view = new DataView(this.buf.buffer);
  }

  /** Makes room for n more bytes after pos. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.chunkSize, (this.pos + n) * 2));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /**
   * Returns the bytes written so far and starts a fresh buffer; the returned
   * view stays valid because the old buffer is never written again.
   */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    const remaining = this.buf.length - this.pos;
    if (remaining >= 4096) {
      // Keep writing into the unused tail: no new allocation per flush.
      this.buf = this.buf.subarray(this.pos);
      this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    } else {
      this.buf = new Uint8Array(this.chunkSize);
      this.view = new DataView(this.buf.buffer);
    }
    this.pos = 0;
    return out;
  }

  uint8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  uint32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  bytes(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** Unsigned varint of a number < 2^32. */
  varint32(v: number): void {
    this.ensure(5);
    const buf = this.buf;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }
}
