// The body of every message on a packet stream's data channel: a 16-byte
// batch header, then the packets as records (docs/packet-streaming.md).
//
//   header:  u32 magic "PKTB" | u16 kind | u16 layout | u32 count | u32 struct_size
//   fixed:   count × struct_size bytes, the C structs back to back
//   trimmed: count × { u32 length | u32 reserved (0) | length bytes | zero pad to 8 }
//            each record is the struct's first `length` bytes; what is cut
//            off is the unused tail of the last bounded bytes/string member
//            (e.g. protochan.v1.Packet's payload beyond payload_len), which
//            is zero by definition.
//
// Decoding validates every count and length before making a view, so a
// corrupt batch is a PacketDecodeError, never a view that reads past its record.
import type { ByteWriter } from "../wire/byte-writer.js";
import { PacketBatch } from "../packet/batch.js";
import { PacketRangeError, PacketSizeError } from "../packet/errors.js";
import type { PacketViewBase, PacketViewClass } from "../packet/view.js";
import { PacketDecodeError } from "./errors.js";

export const BATCH_MAGIC = 0x42544b50; // "PKTB" little-endian
export const BATCH_HEADER_SIZE = 16;
export const RECORD_HEADER_SIZE = 8;

/** The `kind` field of a batch header. */
export const StreamKind = { Open: 1, Batch: 2, End: 3 } as const;
export type StreamKind = (typeof StreamKind)[keyof typeof StreamKind];

/** The `layout` field: how packets are laid out after the header. */
export const RecordLayout = { Fixed: 0, Trimmed: 1 } as const;
export type RecordLayout = (typeof RecordLayout)[keyof typeof RecordLayout];

/** How a sender lays out its packets: "auto" trims types that end in a large bounded bytes/string member. */
export type RecordLayoutChoice = "fixed" | "trimmed" | "auto";

/** Bounded bytes/string member at the end of a struct: where a trimmed record may stop. */
export interface TrimPoint {
  /** Offset of the uint32 `<field>_len` member. */
  readonly lenOffset: number;
  /** Offset of the array. */
  readonly dataOffset: number;
  /** Capacity of the array in bytes. */
  readonly capacity: number;
}

/** Smallest tail capacity for which "auto" trims. */
const AUTO_TRIM_MIN = 64;

/** The last non-padding member, if it is a `_len`-counted byte array: the point where records may be cut. */
export function trimPointOf(type: PacketViewClass<PacketViewBase>): TrimPoint | undefined {
  const members = type.layout.members.filter((m) => !m.name.startsWith("_pad") && !m.name.includes("."));
  const last = members[members.length - 1];
  const len = members[members.length - 2];
  if (last === undefined || len === undefined) return undefined;
  if (len.name !== `${last.name}_len` || len.size !== 4 || len.offset + 4 !== last.offset) return undefined;
  return { lenOffset: len.offset, dataOffset: last.offset, capacity: last.size };
}

/** Everything a stream needs to know about its packet type: layout choice, trimming, views. */
export class PacketFormat<V extends PacketViewBase> {
  readonly size: number;
  readonly typeName: string;
  readonly trim: TrimPoint | undefined;
  /** The layout this side sends with. */
  readonly layout: RecordLayout;

  constructor(
    readonly type: PacketViewClass<V>,
    choice: RecordLayoutChoice = "auto",
  ) {
    this.size = type.layout.size;
    this.typeName = type.layout.typeName;
    this.trim = trimPointOf(type as PacketViewClass<PacketViewBase>);
    if (choice === "trimmed" && this.trim === undefined) {
      throw new PacketSizeError(`${this.typeName} cannot be sent trimmed: its last member is not a bounded bytes or string field`);
    }
    const trimmed = choice === "trimmed" || (choice === "auto" && this.trim !== undefined && this.trim.capacity >= AUTO_TRIM_MIN);
    this.layout = trimmed ? RecordLayout.Trimmed : RecordLayout.Fixed;
  }

  /** Bytes of `p` that a trimmed record carries: up to the end of the last member's used part. */
  usedLength(p: V): number {
    const t = this.trim;
    if (t === undefined) return this.size;
    const n = p.view.getUint32(t.lenOffset, true);
    if (n > t.capacity) throw new PacketRangeError(`${this.typeName}`, `stored length ${n} exceeds the capacity ${t.capacity}`);
    return t.dataOffset + n;
  }

  /** Bytes of one packet in this side's layout (record header and padding included). */
  recordSize(p: V): number {
    if (this.layout === RecordLayout.Fixed) return this.size;
    return RECORD_HEADER_SIZE + pad8(this.usedLength(p));
  }

  writeHeader(out: ByteWriter, kind: StreamKind, count: number): void {
    out.ensure(BATCH_HEADER_SIZE);
    const v = out.view;
    const at = out.pos;
    v.setUint32(at, BATCH_MAGIC, true);
    v.setUint16(at + 4, kind, true);
    v.setUint16(at + 6, this.layout, true);
    v.setUint32(at + 8, count, true);
    v.setUint32(at + 12, this.size, true);
    out.pos += BATCH_HEADER_SIZE;
  }

  /** Appends one packet in this side's layout. Received (possibly trimmed) views are accepted. */
  writeRecord(out: ByteWriter, p: V): void {
    const bytes = p.bytes;
    if (this.layout === RecordLayout.Fixed) {
      out.ensure(this.size);
      if (bytes.length >= this.size) {
        out.buf.set(bytes.length === this.size ? bytes : bytes.subarray(0, this.size), out.pos);
      } else {
        out.buf.set(bytes, out.pos);
        out.buf.fill(0, out.pos + bytes.length, out.pos + this.size);
      }
      out.pos += this.size;
      return;
    }
    const used = this.usedLength(p);
    if (used > bytes.length) {
      throw new PacketSizeError(`${this.typeName}: the view holds ${bytes.length} bytes, its used part is ${used}`);
    }
    const total = RECORD_HEADER_SIZE + pad8(used);
    out.ensure(total);
    const at = out.pos;
    out.view.setUint32(at, used, true);
    out.view.setUint32(at + 4, 0, true);
    out.buf.set(bytes.length === used ? bytes : bytes.subarray(0, used), at + RECORD_HEADER_SIZE);
    if (total > RECORD_HEADER_SIZE + used) out.buf.fill(0, at + RECORD_HEADER_SIZE + used, at + total);
    out.pos += total;
  }

  /**
   * Bytes of the batch message for `packets` (header included), when that is
   * cheap to know (arrays and batches); undefined for other iterables.
   */
  encodedSize(packets: Iterable<V>): number | undefined {
    if (packets instanceof PacketBatch && this.layout === RecordLayout.Fixed) return BATCH_HEADER_SIZE + packets.length * this.size;
    let total = BATCH_HEADER_SIZE;
    if (Array.isArray(packets)) {
      for (const p of packets as readonly V[]) total += this.recordSize(p);
    } else if (packets instanceof PacketBatch || packets instanceof ReceivedBatch) {
      for (const p of packets as Iterable<V>) total += this.recordSize(p);
    } else {
      return undefined;
    }
    return total;
  }

  /** A whole batch message: header, then every packet; returns the count. */
  writeBatch(out: ByteWriter, packets: Iterable<V>): number {
    const start = out.pos;
    this.writeHeader(out, StreamKind.Batch, 0);
    let count = 0;
    if (packets instanceof PacketBatch && this.layout === RecordLayout.Fixed && packets.type.layout.size === this.size) {
      out.bytes(packets.bytes); // already the C array: one copy
      count = packets.length;
    } else {
      // One allocation for the whole batch instead of growing record by record.
      if (Array.isArray(packets)) out.ensure((this.encodedSize(packets) ?? 0) - BATCH_HEADER_SIZE);
      for (const p of packets) {
        this.writeRecord(out, p);
        count++;
      }
    }
    out.view.setUint32(start + 8, count, true);
    return count;
  }

  /** Decodes a data-channel message body; throws PacketDecodeError on anything malformed. */
  decode(received: Uint8Array): DecodedMessage<V> {
    // A plain Uint8Array over the frame (the socket hands out Buffers): its
    // subarrays are plain too, so a view costs no extra wrapper per packet.
    const body = received.constructor === Uint8Array ? received : new Uint8Array(received.buffer, received.byteOffset, received.byteLength);
    if (body.length < BATCH_HEADER_SIZE) throw this.bad(`message of ${body.length} bytes is shorter than the batch header`);
    const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const magic = v.getUint32(0, true);
    if (magic !== BATCH_MAGIC) throw this.bad(`bad batch magic 0x${magic.toString(16)}`);
    const kind = v.getUint16(4, true);
    const layout = v.getUint16(6, true);
    const count = v.getUint32(8, true);
    const structSize = v.getUint32(12, true);
    if (layout !== RecordLayout.Fixed && layout !== RecordLayout.Trimmed) throw this.bad(`unknown record layout ${layout}`);
    if (structSize < this.size) {
      throw this.bad(`the peer's packets are ${structSize} bytes, ${this.typeName} needs at least ${this.size}`);
    }
    if (kind === StreamKind.Open || kind === StreamKind.End) {
      if (count !== 0 || body.length !== BATCH_HEADER_SIZE) throw this.bad(`${kind === StreamKind.Open ? "OPEN" : "END"} with a body`);
      return kind === StreamKind.Open ? { kind: "open", structSize, layout } : { kind: "end" };
    }
    if (kind !== StreamKind.Batch) throw this.bad(`unknown message kind ${kind}`);
    return { kind: "batch", batch: this.decodeRecords(body, v, layout, count, structSize) };
  }

  private decodeRecords(body: Uint8Array, v: DataView, layout: RecordLayout, count: number, structSize: number): ReceivedBatch<V> {
    const space = body.length - BATCH_HEADER_SIZE;
    if (layout === RecordLayout.Fixed) {
      if (space !== count * structSize) {
        throw this.bad(`fixed batch of ${count} × ${structSize} bytes has ${space} bytes of records`);
      }
      return new ReceivedBatch(this.type, body, count, undefined, structSize);
    }
    if (count > space / RECORD_HEADER_SIZE) throw this.bad(`batch claims ${count} records in ${space} bytes`);
    // starts[i] and ends[i]: where packet i's bytes are within body.
    const bounds = new Uint32Array(count * 2);
    const t = this.trim;
    let at = BATCH_HEADER_SIZE;
    for (let i = 0; i < count; i++) {
      if (body.length - at < RECORD_HEADER_SIZE) throw this.bad(`record ${i} is cut off`);
      const length = v.getUint32(at, true);
      if (v.getUint32(at + 4, true) !== 0) throw this.bad(`record ${i}: reserved field is not zero`);
      if (length > structSize) throw this.bad(`record ${i}: ${length} bytes, more than the ${structSize}-byte struct`);
      const start = at + RECORD_HEADER_SIZE;
      const next = start + pad8(length);
      if (next > body.length) throw this.bad(`record ${i}: ${length} bytes run past the end of the batch`);
      if (length < this.size) {
        // A trimmed record: it must reach into the last member and hold all of its used part.
        if (t === undefined || length < t.dataOffset) {
          throw this.bad(`record ${i}: ${length} bytes is too short for ${this.typeName}`);
        }
        const used = v.getUint32(start + t.lenOffset, true);
        if (used > t.capacity || t.dataOffset + used > length) {
          throw this.bad(`record ${i}: stored length ${used} does not fit the record (${length} bytes)`);
        }
      }
      bounds[2 * i] = start;
      bounds[2 * i + 1] = start + Math.min(length, this.size);
      at = next;
    }
    if (at !== body.length) throw this.bad(`${body.length - at} bytes after the last record`);
    return new ReceivedBatch(this.type, body, count, bounds, 0);
  }

  private bad(what: string): PacketDecodeError {
    return new PacketDecodeError(`corrupt packet batch of ${this.typeName}: ${what}`);
  }
}

export type DecodedMessage<V extends PacketViewBase> =
  | { readonly kind: "open"; readonly structSize: number; readonly layout: RecordLayout }
  | { readonly kind: "batch"; readonly batch: ReceivedBatch<V> }
  | { readonly kind: "end" };

export function pad8(n: number): number {
  return (n + 7) & ~7;
}

/**
 * One received batch: zero-copy views into the received frame. A view stays
 * valid for as long as you hold it (received frames are never reused), but it
 * keeps the whole frame's memory alive; copyPacket() or copy() releases it.
 * A packet of a trimmed batch views only its record (the struct up to the end
 * of the used part of its last member): every getter works, and copyPacket()
 * gives a full-size struct.
 */
export class ReceivedBatch<V extends PacketViewBase> implements Iterable<V> {
  /** @internal */
  constructor(
    readonly type: PacketViewClass<V>,
    /** The whole message body (batch header included), a view into the received frame. */
    readonly body: Uint8Array,
    /** Number of packets. */
    readonly length: number,
    private readonly bounds: Uint32Array | undefined,
    private readonly stride: number,
    /** Index of this batch's first packet among the frame's records (rest()). */
    private readonly first = 0,
  ) {}

  /** @internal The packets from index `from` on, as a batch of their own (same frame, no copy). */
  rest(from: number): ReceivedBatch<V> {
    return new ReceivedBatch(this.type, this.body, this.length - from, this.bounds, this.stride, this.first + from);
  }

  /** A zero-copy view of packet i. */
  get(i: number): V {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new PacketRangeError(`${this.type.layout.typeName}[]`, `index ${i} out of range 0..${this.length - 1}`);
    }
    return this.at(i);
  }

  /** @internal packet i without the range check. */
  at(index: number): V {
    const i = index + this.first;
    const b = this.bounds;
    if (b === undefined) {
      const start = BATCH_HEADER_SIZE + i * this.stride;
      return new this.type(this.body.subarray(start, start + this.type.layout.size));
    }
    return new this.type(this.body.subarray(b[2 * i]!, b[2 * i + 1]!));
  }

  /** Views of packets start..end-1. */
  slice(start: number, end: number): V[] {
    const out = new Array<V>(end - start);
    for (let i = start; i < end; i++) out[i - start] = this.at(i);
    return out;
  }

  /** Full-size copies of every packet, independent of the received frame. */
  copy(): V[] {
    const out = new Array<V>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = copyPacket(this.at(i));
    return out;
  }

  *[Symbol.iterator](): Iterator<V> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }
}

/**
 * A full-size copy of a packet (layout.size bytes, zero beyond what `p`
 * holds): independent of the frame it was received in, safe to keep and to
 * write into. Use it to keep a received packet without pinning its batch.
 */
export function copyPacket<V extends PacketViewBase>(p: V): V {
  const type = p.constructor as PacketViewClass<V>;
  const bytes = new Uint8Array(type.layout.size);
  bytes.set(p.bytes.length > bytes.length ? p.bytes.subarray(0, bytes.length) : p.bytes);
  return new type(bytes);
}
