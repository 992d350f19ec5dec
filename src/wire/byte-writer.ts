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

  /** Unsigned varint of a number below 2^32. */
  varint32(v: number): void {
    this.ensure(5);
    const buf = this.buf;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  // ---- Protobuf binary helpers (used by generated <file>_codec.ts) ----

  /** A varint of a signed 32-bit number: negative values take 10 bytes (sign-extended to 64 bits). */
  int32(v: number): void {
    if (v >= 0) {
      this.varint32(v);
      return;
    }
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < 9; i++) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>= 7;
    }
    buf[pos++] = 1;
    this.pos = pos;
  }

  /** Zigzag-encoded signed 32-bit varint (sint32). */
  sint32(v: number): void {
    this.varint32(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** A 64-bit varint given as two 32-bit halves. */
  varint64(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    lo >>>= 0;
    hi >>>= 0;
    while (hi !== 0 || lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  /** Little-endian 32-bit integer, signed or unsigned (fixed32, sfixed32). */
  fixed32(v: number): void {
    this.ensure(4);
    const buf = this.buf;
    const pos = this.pos;
    buf[pos] = v;
    buf[pos + 1] = v >>> 8;
    buf[pos + 2] = v >>> 16;
    buf[pos + 3] = v >>> 24;
    this.pos = pos + 4;
  }

  /** Little-endian 64-bit integer (fixed64, sfixed64) from a bigint already range-checked. */
  fixed64(v: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.pos, BigInt.asUintN(64, v), true);
    this.pos += 8;
  }

  float(v: number): void {
    this.ensure(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  double(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** A length-prefixed byte string (protobuf bytes). */
  lenBytes(v: Uint8Array): void {
    const n = v.length;
    this.ensure(n + 5);
    this.varint32(n);
    this.buf.set(v, this.pos);
    this.pos += n;
  }

  /**
   * A length-prefixed UTF-8 string (protobuf string). Short ASCII strings are
   * copied byte by byte; others go through TextEncoder.encodeInto. Lone
   * surrogates become U+FFFD, as with TextEncoder.
   */
  lenString(v: string): void {
    const n = v.length;
    if (n < 0x80) {
      this.ensure(n + 1);
      const buf = this.buf;
      let pos = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = v.charCodeAt(i);
        if (c > 0x7f) break;
        buf[pos++] = c;
      }
      if (i === n) {
        buf[this.pos] = n;
        this.pos = pos;
        return;
      }
    }
    // At most 3 UTF-8 bytes per UTF-16 code unit, plus up to 5 for the prefix.
    this.ensure(n * 3 + 5);
    const guess = varint32Size(n);
    const start = this.pos;
    const { written } = utf8Encoder.encodeInto(v, this.buf.subarray(start + guess));
    const size = varint32Size(written);
    if (size !== guess) {
      this.buf.copyWithin(start + size, start + guess, start + guess + written);
    }
    this.varint32(written);
    this.pos += written;
  }

  /**
   * Starts a length-delimited section (nested message, packed field): reserves
   * one byte for the length and returns the position to pass to join().
   */
  fork(): number {
    this.ensure(1);
    const at = this.pos;
    this.buf[this.pos++] = 0;
    return at;
  }

  /** Writes the length of the section started at `at`, widening the prefix if needed. */
  join(at: number): void {
    const len = this.pos - at - 1;
    if (len < 0x80) {
      this.buf[at] = len;
      return;
    }
    const size = varint32Size(len);
    this.ensure(size - 1);
    this.buf.copyWithin(at + size, at + 1, this.pos);
    this.pos = at;
    this.varint32(len);
    this.pos += len;
  }
}

const utf8Encoder = new TextEncoder();

/** Bytes taken by an unsigned 32-bit varint. */
export function varint32Size(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}
