// Zero-copy views over C-layout packets. The generated <file>_packet.ts
// classes extend PacketViewBase: each field is a getter/setter at a fixed offset
// of `bytes`, exactly where the generated C header puts it (docs/c-guide.md).
import { PacketBatch } from "./batch.js";
import { PacketSizeError } from "./errors.js";

/** A handle field holding no handle (PROTOCHAN_HANDLE_NONE in C). */
export const HANDLE_NONE = 0xffffffff;

/** One C struct member: name as in the header ("shape.circle" for a union arm), offset and size in bytes. */
export interface PacketMemberLayout {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}

/**
 * Where a handle field keeps its uint32 handle indices, so the runtime can
 * find (and renumber) the handles a packet carries. -1 means "not applicable".
 */
export interface PacketHandleSlot {
  /** Full proto field name, e.g. "example.v1.Sample.acks". */
  readonly field: string;
  readonly direction: "sender" | "receiver";
  /** Full name of the message type the channel carries. */
  readonly payload: string;
  /** Offset of the first uint32 index. */
  readonly offset: number;
  /** Number of uint32 slots: 1 for a single field, the bound for a repeated one. */
  readonly capacity: number;
  /** uint32 count member of a max_count field; -1: all `capacity` slots are used. */
  readonly countOffset: number;
  /** uint32 case member of the enclosing oneof; -1: not in a oneof. */
  readonly caseOffset: number;
  /** The case value (field number) that selects this field. */
  readonly caseValue: number;
  /** has_ byte of an optional field; -1: none. */
  readonly presenceOffset: number;
}

/** Where everything is in a packet: the same numbers the C header asserts. */
export interface PacketLayout {
  /** Full protobuf type name, e.g. "protochan.v1.FrameHeader". */
  readonly typeName: string;
  /** The C struct name, e.g. "protochan_v1_FrameHeader". */
  readonly cName: string;
  /** FNV-1a 64 of typeName: the wire type id. */
  readonly typeId: bigint;
  /** sizeof the C struct. */
  readonly size: number;
  /** alignof the C struct. */
  readonly align: number;
  readonly layoutVersion: number;
  /** Every C member in order, padding included. */
  readonly members: readonly PacketMemberLayout[];
  /** Handle fields of this struct (not of nested structs: see `nested`). */
  readonly handles: readonly PacketHandleSlot[];
  /** Nested struct fields whose type has handle fields, directly or deeper. */
  readonly nested: readonly PacketNestedSlot[];
}

/** A nested struct field (single, array or oneof member) that contains handles. */
export interface PacketNestedSlot extends Omit<PacketHandleSlot, "direction" | "payload"> {
  /** Layout of the nested struct; `capacity` of them start at `offset`. */
  readonly layout: PacketLayout;
}

/**
 * Offsets of the handle indices a packet currently holds: slots of absent
 * optionals, unset oneof members and unused array elements are left out;
 * slots holding HANDLE_NONE are included. Nested structs are searched too.
 */
export function handleOffsets(packet: PacketViewBase, layout: PacketLayout, base = 0, out: number[] = []): number[] {
  const v = packet.view;
  for (const h of layout.handles) {
    if (h.presenceOffset >= 0 && v.getUint8(base + h.presenceOffset) === 0) continue;
    if (h.caseOffset >= 0 && v.getUint32(base + h.caseOffset, true) !== h.caseValue) continue;
    const n = h.countOffset >= 0 ? Math.min(v.getUint32(base + h.countOffset, true), h.capacity) : h.capacity;
    for (let i = 0; i < n; i++) out.push(base + h.offset + 4 * i);
  }
  for (const nested of layout.nested) {
    if (nested.caseOffset >= 0 && v.getUint32(base + nested.caseOffset, true) !== nested.caseValue) continue;
    if (nested.presenceOffset >= 0 && v.getUint8(base + nested.presenceOffset) === 0) continue;
    const n = nested.countOffset >= 0 ? Math.min(v.getUint32(base + nested.countOffset, true), nested.capacity) : nested.capacity;
    for (let i = 0; i < n; i++) handleOffsets(packet, nested.layout, base + nested.offset + i * nested.layout.size, out);
  }
  return out;
}

/** A generated view class: `new` wraps without checks; use wrap() / create(). */
export interface PacketViewClass<V extends PacketViewBase> {
  new (bytes: Uint8Array): V;
  readonly layout: PacketLayout;
}

export abstract class PacketViewBase {
  /** The packet's bytes: exactly layout.size bytes, shared with whatever was wrapped. */
  readonly bytes: Uint8Array;
  /** DataView over `bytes`; all accessors are little-endian. */
  readonly view: DataView;

  /** Prefer wrap() or create(): the constructor does not check the size. */
  constructor(bytes: Uint8Array) {
    // A plain Uint8Array over the same memory: a Node Buffer's slice() would not copy.
    this.bytes = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * A view over the first layout.size bytes of `bytes`, without copying:
   * writes through the view change `bytes`. Longer input is accepted (a peer
   * with a later layout_version may have appended fields); shorter throws.
   */
  static wrap<V extends PacketViewBase>(this: PacketViewClass<V>, bytes: Uint8Array): V {
    return wrapPacket(this, bytes);
  }

  /** A new zeroed packet. */
  static create<V extends PacketViewBase>(this: PacketViewClass<V>): V {
    return new this(new Uint8Array(this.layout.size));
  }

  /** A view over `bytes` as consecutive packets (length must be a multiple of the size). */
  static batch<V extends PacketViewBase>(this: PacketViewClass<V>, bytes: Uint8Array): PacketBatch<V> {
    return new PacketBatch(this, bytes);
  }

  /** A new batch of `count` zeroed packets. */
  static createBatch<V extends PacketViewBase>(this: PacketViewClass<V>, count: number): PacketBatch<V> {
    return new PacketBatch(this, new Uint8Array(this.layout.size * count));
  }

  /** A view over a copy of this packet's bytes. */
  copy(): this {
    const type = this.constructor as new (bytes: Uint8Array) => this;
    return new type(this.bytes.slice());
  }

  /** Every field as a plain object, for logging and tests. */
  abstract toObject(): object;
}

/** PacketViewBase.wrap() for a given view class. */
export function wrapPacket<V extends PacketViewBase>(type: PacketViewClass<V>, bytes: Uint8Array): V {
  const { size, typeName } = type.layout;
  if (bytes.length < size) {
    throw new PacketSizeError(`${typeName}: needs ${size} bytes, got ${bytes.length}`);
  }
  return new type(bytes.length === size ? bytes : bytes.subarray(0, size));
}
