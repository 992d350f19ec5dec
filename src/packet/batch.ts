// A contiguous array of packets, as a C program would hold `T items[n]`.
import { PacketRangeError, PacketSizeError } from "./errors.js";
import type { PacketViewBase, PacketViewClass } from "./view.js";

export class PacketBatch<V extends PacketViewBase> implements Iterable<V> {
  /** Number of packets. */
  readonly length: number;
  /** All packets' bytes, back to back (a plain Uint8Array); views share them. */
  readonly bytes: Uint8Array;

  constructor(
    readonly type: PacketViewClass<V>,
    /** All packets' bytes, back to back; views share them. */
    bytes: Uint8Array,
  ) {
    const { size, typeName } = type.layout;
    if (bytes.length % size !== 0) {
      throw new PacketSizeError(`${typeName}[]: ${bytes.length} bytes is not a multiple of the packet size ${size}`);
    }
    this.length = bytes.length / size;
    this.bytes = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** A zero-copy view of packet i; throws PacketRangeError outside 0..length-1. */
  get(i: number): V {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new PacketRangeError(`${this.type.layout.typeName}[]`, `index ${i} out of range 0..${this.length - 1}`);
    }
    const size = this.type.layout.size;
    return new this.type(this.bytes.subarray(i * size, (i + 1) * size));
  }

  *[Symbol.iterator](): Iterator<V> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }
}
