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
