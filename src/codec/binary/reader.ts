// A position-based reader of the protobuf binary format for generated codecs.
// Every read is bounds-checked against the input before it touches a byte, and
// no length read from the input is used to allocate: strings and bytes are
// views or decodes of bytes that are already there.
import type { UnknownField } from "@bufbuild/protobuf";
import { DecodeError } from "./errors.js";

/** Nesting limit, the same as @bufbuild/protobuf's default recursionLimit. */
export const RECURSION_LIMIT = 100;

const TWO_32 = 4294967296;
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Loose = new TextDecoder("utf-8", { ignoreBOM: true });

// Node's Buffer#latin1Slice turns ASCII bytes into a string several times
// faster than TextDecoder; it works on any Uint8Array. Absent elsewhere.
const latin1Slice = (globalThis as { Buffer?: { prototype: { latin1Slice?: (start: number, end: number) => string } } }).Buffer?.prototype
  .latin1Slice;

// Floats are read by copying their bytes into scratch typed arrays: much
// cheaper than a DataView per input. Typed arrays use the platform's byte
// order, so this path is only taken on little-endian platforms.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const f64 = new Float64Array(1);
const f32 = new Float32Array(f64.buffer, 0, 1);
const scratch = new Uint8Array(f64.buffer);

export class ProtoReader {
  readonly buf: Uint8Array;
  /** End of the input. */
  readonly len: number;
  pos = 0;
  /** Current message nesting depth (the top-level message is depth 1). */
  depth = 0;
  private view: DataView | undefined;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.len = buf.length;
  }

  // ---- Errors ----

  truncated(): DecodeError {
    return new DecodeError("truncated", "unexpected end of input", this.len);
  }

  /** A known field arrived with a wire type its type cannot have. */
  wrongWireType(tag: number, typeName: string): DecodeError {
    return new DecodeError("wrong-wire-type", `field ${tag >>> 3} of ${typeName} has wire type ${tag & 7}`, this.pos);
  }

  // ---- Messages ----

  /** Reads a length prefix; returns where the delimited value ends. */
  limit(): number {
    const n = this.uint32();
    const end = this.pos + n;
    if (end > this.len) throw this.truncated();
    return end;
  }

  /** Enters a nested message; throws past the recursion limit. */
  enter(typeName: string): void {
    if (++this.depth > RECURSION_LIMIT) {
      throw new DecodeError("recursion-limit", `${typeName} nested deeper than ${RECURSION_LIMIT}`, this.pos);
    }
  }

  /** Leaves a nested message, which must end exactly at `end`. */
  leave(end: number, typeName: string): void {
    this.check(end, typeName);
    this.depth--;
  }

  /** Checks that a length-delimited value ended where its length said. */
  check(end: number, what: string): void {
    if (this.pos !== end) {
      throw new DecodeError("length-mismatch", `${what} overruns its length`, this.pos);
    }
  }

  // ---- Tags and unknown fields ----

  /** Reads a tag (the field number shifted left by 3, OR-ed with the wire type); rejects field 0 and wire types 6, 7. */
  tag(): number {
    const pos = this.pos;
    if (pos < this.len) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        if (b < 8 || (b & 7) > 5) throw this.invalidTag(b, pos);
        return b;
      }
    }
    const tag = this.uint32();
    if (this.pos - pos > 5 || (this.pos - pos === 5 && this.buf[this.pos - 1]! > 0x0f)) {
      throw new DecodeError("varint-too-long", "tag does not fit 32 bits", pos);
    }
    if (tag >>> 3 === 0 || (tag & 7) > 5) throw this.invalidTag(tag, pos);
    return tag;
  }

  private invalidTag(tag: number, at: number): DecodeError {
    return new DecodeError("invalid-tag", `field number ${tag >>> 3}, wire type ${tag & 7}`, at);
  }

  /** Skips the value after `tag`; returns its bytes (a view), as kept in $unknown. */
  skip(tag: number): Uint8Array {
    const start = this.pos;
    this.skipValue(tag, RECURSION_LIMIT - this.depth);
    return this.buf.subarray(start, this.pos);
  }

  private skipValue(tag: number, groupBudget: number): void {
    switch (tag & 7) {
      case 0:
        this.varint64();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.pos = this.limit();
        return;
      case 5:
        this.advance(4);
        return;
      case 3: {
        if (groupBudget <= 0) {
          throw new DecodeError("recursion-limit", "groups nested too deep", this.pos);
        }
        for (;;) {
          if (this.pos >= this.len) throw this.truncated();
          const inner = this.tag();
          if ((inner & 7) === 4) {
            if (inner >>> 3 !== tag >>> 3) {
              throw new DecodeError("invalid-group", `group ${tag >>> 3} ended by field ${inner >>> 3}`, this.pos);
            }
            return;
          }
          this.skipValue(inner, groupBudget - 1);
        }
      }
      default:
        throw new DecodeError("invalid-group", `end of group ${tag >>> 3} without a start`, this.pos);
    }
  }

  /**
   * Reads an unknown field into `list` (created if undefined) and returns the
   * list, like `$unknown` in `@bufbuild/protobuf`.
   */
  unknown(list: UnknownField[] | undefined, tag: number): UnknownField[] {
    const data = this.skip(tag);
    const field: UnknownField = { no: tag >>> 3, wireType: tag & 7, data };
    if (list === undefined) return [field];
    list.push(field);
    return list;
  }

  // ---- Varints ----

  private advance(n: number): number {
    const pos = this.pos;
    if (pos + n > this.len) throw this.truncated();
    this.pos = pos + n;
    return pos;
  }

  /** Unsigned 32-bit varint; like protobuf-es, accepts up to 10 bytes and keeps the low 32 bits. */
  uint32(): number {
    const pos = this.pos;
    if (pos < this.len) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    return this.uint32Slow();
  }

  private uint32Slow(): number {
    const buf = this.buf;
    const len = this.len;
    let pos = this.pos;
    let result = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= len) throw this.truncated();
      const b = buf[pos++]!;
      if (i < 4) result |= (b & 0x7f) << (7 * i);
      else if (i === 4) result |= (b & 0x0f) << 28;
      if (b < 0x80) {
        this.pos = pos;
        return result >>> 0;
      }
    }
    throw new DecodeError("varint-too-long", "varint longer than 10 bytes", this.pos);
  }

  int32(): number {
    return this.uint32() | 0;
  }

  sint32(): number {
    const n = this.uint32();
    return (n >>> 1) ^ -(n & 1);
  }

  bool(): boolean {
    const pos = this.pos;
    if (pos < this.len) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b !== 0;
      }
    }
    this.varint64();
    return this.lo !== 0 || this.hi !== 0;
  }

  /** Halves of the last 64-bit varint, as unsigned 32-bit numbers. */
  lo = 0;
  hi = 0;

  /** Reads a 64-bit varint into lo/hi. */
  varint64(): void {
    const buf = this.buf;
    const len = this.len;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= len) throw this.truncated();
      const b = buf[pos++]!;
      if (i < 4) {
        lo |= (b & 0x7f) << (7 * i);
      } else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi = (b & 0x70) >> 4;
      } else {
        hi |= (b & 0x7f) << (7 * i - 32);
      }
      if (b < 0x80) {
        this.pos = pos;
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw new DecodeError("varint-too-long", "varint longer than 10 bytes", this.pos);
  }

  uint64(): bigint {
    const pos = this.pos;
    if (pos < this.len) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return BigInt(b);
      }
    }
    this.varint64();
    return unsigned64(this.lo, this.hi);
  }

  int64(): bigint {
    this.varint64();
    return signed64(this.lo, this.hi);
  }

  sint64(): bigint {
    this.varint64();
    const lo = this.lo;
    const hi = this.hi;
    const sign = -(lo & 1);
    return signed64(((lo >>> 1) | (hi << 31)) ^ sign, (hi >>> 1) ^ sign);
  }

  // ---- Fixed width ----

  private dv(): DataView {
    return (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  fixed32(): number {
    const p = this.advance(4);
    const buf = this.buf;
    return (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
  }

  sfixed32(): number {
    return this.fixed32() | 0;
  }

  fixed64(): bigint {
    const lo = this.fixed32();
    return unsigned64(lo, this.fixed32());
  }

  sfixed64(): bigint {
    const lo = this.fixed32();
    return signed64(lo, this.fixed32());
  }

  float(): number {
    const p = this.advance(4);
    if (!LITTLE_ENDIAN) return this.dv().getFloat32(p, true);
    const buf = this.buf;
    scratch[0] = buf[p]!;
    scratch[1] = buf[p + 1]!;
    scratch[2] = buf[p + 2]!;
    scratch[3] = buf[p + 3]!;
    return f32[0]!;
  }

  double(): number {
    const p = this.advance(8);
    if (!LITTLE_ENDIAN) return this.dv().getFloat64(p, true);
    const buf = this.buf;
    scratch[0] = buf[p]!;
    scratch[1] = buf[p + 1]!;
    scratch[2] = buf[p + 2]!;
    scratch[3] = buf[p + 3]!;
    scratch[4] = buf[p + 4]!;
    scratch[5] = buf[p + 5]!;
    scratch[6] = buf[p + 6]!;
    scratch[7] = buf[p + 7]!;
    return f64[0]!;
  }

  // ---- Length-delimited ----

  /** A bytes field: a view into the input, like fromBinary returns. */
  bytes(): Uint8Array {
    const end = this.limit();
    const start = this.pos;
    this.pos = end;
    return this.buf.subarray(start, end);
  }

  /**
   * A string map key. Keys repeat from message to message, so short ASCII
   * keys come from a small cache: the same (already internalized) string
   * each time makes the store into the map's object much cheaper.
   */
  key(strict: boolean): string {
    const end = this.limit();
    const start = this.pos;
    this.pos = end;
    return cachedKey(this.buf, start, end) ?? this.text(start, end, strict);
  }

  /**
   * A string field. `strict` (proto3, editions: utf8_validation = VERIFY)
   * rejects invalid UTF-8; otherwise bad sequences become U+FFFD.
   */
  string(strict: boolean): string {
    const end = this.limit();
    const start = this.pos;
    this.pos = end;
    return this.text(start, end, strict);
  }

  /** The UTF-8 text of buf[start, end). */
  private text(start: number, end: number, strict: boolean): string {
    const buf = this.buf;
    const ascii = asciiString(buf, start, end);
    if (ascii !== undefined) return ascii;
    const bytes = buf.subarray(start, end);
    if (!strict) return utf8Loose.decode(bytes);
    try {
      return utf8Strict.decode(bytes);
    } catch {
      throw new DecodeError("invalid-utf8", "string field is not valid UTF-8", start);
    }
  }
}

// Map key cache: direct-mapped, KEY_SLOTS entries of keys up to KEY_WIDTH bytes.
const KEY_SLOTS = 256;
const KEY_WIDTH = 16;
const keyStrings: (string | undefined)[] = new Array<string | undefined>(KEY_SLOTS).fill(undefined);
const keyBytes = new Uint8Array(KEY_SLOTS * KEY_WIDTH);
const keyLengths = new Uint8Array(KEY_SLOTS);

/** The cached string of the ASCII key buf[start, end), or undefined (non-ASCII, too long). */
function cachedKey(buf: Uint8Array, start: number, end: number): string | undefined {
  const n = end - start;
  if (n > KEY_WIDTH) return undefined;
  let h = n;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + buf[i]!) | 0;
  const slot = h & (KEY_SLOTS - 1);
  const hit = keyStrings[slot];
  if (hit !== undefined && keyLengths[slot] === n) {
    let i = start;
    for (let o = slot * KEY_WIDTH; i < end; i++, o++) if (keyBytes[o] !== buf[i]) break;
    if (i === end) return hit;
  }
  const s = asciiString(buf, start, end);
  if (s === undefined) return undefined;
  keyStrings[slot] = s;
  keyLengths[slot] = n;
  keyBytes.set(buf.subarray(start, end), slot * KEY_WIDTH);
  return s;
}

const fromCharCode = String.fromCharCode;
/** Reused argument arrays for fromCharCode.apply, one per length 9-32. */
const charCodes: number[][] = Array.from({ length: 33 }, (_, n) => new Array<number>(n).fill(0));

/**
 * The string of buf[start, end) if those bytes are all ASCII (which is valid
 * UTF-8 and reads the same in every decoder), else undefined. Short strings
 * are built by one fromCharCode call: much faster than a TextDecoder call.
 */
function asciiString(buf: Uint8Array, start: number, end: number): string | undefined {
  const n = end - start;
  if (n <= 8) {
    let or = 0;
    for (let i = start; i < end; i++) or |= buf[i]!;
    if (or > 0x7f) return undefined;
    const p = start;
    switch (n) {
      case 0:
        return "";
      case 1:
        return fromCharCode(buf[p]!);
      case 2:
        return fromCharCode(buf[p]!, buf[p + 1]!);
      case 3:
        return fromCharCode(buf[p]!, buf[p + 1]!, buf[p + 2]!);
      case 4:
        return fromCharCode(buf[p]!, buf[p + 1]!, buf[p + 2]!, buf[p + 3]!);
      case 5:
        return fromCharCode(buf[p]!, buf[p + 1]!, buf[p + 2]!, buf[p + 3]!, buf[p + 4]!);
      case 6:
        return fromCharCode(buf[p]!, buf[p + 1]!, buf[p + 2]!, buf[p + 3]!, buf[p + 4]!, buf[p + 5]!);
      case 7:
        return fromCharCode(buf[p]!, buf[p + 1]!, buf[p + 2]!, buf[p + 3]!, buf[p + 4]!, buf[p + 5]!, buf[p + 6]!);
      default:
        return fromCharCode(buf[p]!, buf[p + 1]!, buf[p + 2]!, buf[p + 3]!, buf[p + 4]!, buf[p + 5]!, buf[p + 6]!, buf[p + 7]!);
    }
  }
  if (n <= 32) {
    const codes = charCodes[n]!;
    for (let i = 0; i < n; i++) {
      const c = buf[start + i]!;
      if (c > 0x7f) return undefined;
      codes[i] = c;
    }
    return fromCharCode.apply(null, codes);
  }
  if (latin1Slice === undefined) return undefined;
  let i = start;
  while (i < end && buf[i]! < 0x80) i++;
  return i === end ? latin1Slice.call(buf, start, end) : undefined;
}

// Large 64-bit values are assembled in a typed-array scratch: one bigint
// allocation instead of four ((BigInt(hi) << 32n) | BigInt(lo)).
const u64 = new BigUint64Array(1);
const i64 = new BigInt64Array(u64.buffer);
const halves = new Uint32Array(u64.buffer);
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = 1 - LO;

/** Unsigned 64-bit value of two unsigned 32-bit halves. */
function unsigned64(lo: number, hi: number): bigint {
  if (hi < 0x200000) return BigInt(hi * TWO_32 + lo);
  halves[LO] = lo;
  halves[HI] = hi;
  return u64[0]!;
}

/** Signed (two's complement) 64-bit value of two 32-bit halves. */
function signed64(lo: number, hi: number): bigint {
  const h = hi | 0;
  if (h >= -0x200000 && h < 0x200000) return BigInt(h * TWO_32 + (lo >>> 0));
  halves[LO] = lo;
  halves[HI] = hi;
  return i64[0]!;
}
