// Field helpers the generated packet views call: range checks for setters,
// and reading/writing bounded strings, bytes and arrays. Offsets are byte
// offsets within the view; `field` is the full field name for error messages.
import { PacketRangeError } from "./errors.js";
import { PacketViewBase, type PacketViewClass } from "./view.js";

/** Element types of C-layout arrays (bool is a uint8_t 0/1). */
export type PacketScalar = "bool" | "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32" | "float" | "double";
export type PacketScalar64 = "int64" | "uint64";

const SIZE: Record<PacketScalar | PacketScalar64, number> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float: 4,
  double: 8,
  int64: 8,
  uint64: 8,
};

const RANGE: Partial<Record<PacketScalar, readonly [number, number]>> = {
  int8: [-0x80, 0x7f],
  uint8: [0, 0xff],
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

/** v if it is an integer in min..max, else PacketRangeError. */
export function checkInt(v: number, min: number, max: number, field: string): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new PacketRangeError(field, `${v} is not an integer in ${min}..${max}`);
  }
  return v;
}

/** v if it fits a signed or unsigned 64-bit integer, else PacketRangeError. */
export function checkBigInt(v: bigint, signed: boolean, field: string): bigint {
  if (typeof v !== "bigint" || (signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v)) !== v) {
    throw new PacketRangeError(field, `${String(v)} does not fit ${signed ? "int64" : "uint64"}`);
  }
  return v;
}

function readScalar(view: DataView, o: number, kind: PacketScalar): number | boolean {
  switch (kind) {
    case "bool":
      return view.getUint8(o) !== 0;
    case "int8":
      return view.getInt8(o);
    case "uint8":
      return view.getUint8(o);
    case "int16":
      return view.getInt16(o, true);
    case "uint16":
      return view.getUint16(o, true);
    case "int32":
      return view.getInt32(o, true);
    case "uint32":
      return view.getUint32(o, true);
    case "float":
      return view.getFloat32(o, true);
    case "double":
      return view.getFloat64(o, true);
  }
}

function writeScalar(view: DataView, o: number, kind: PacketScalar, v: number | boolean, field: string): void {
  if (kind === "bool") {
    view.setUint8(o, v ? 1 : 0);
    return;
  }
  if (typeof v !== "number") throw new PacketRangeError(field, `expected a number, got ${typeof v}`);
  const range = RANGE[kind];
  if (range) checkInt(v, range[0], range[1], field);
  switch (kind) {
    case "int8":
      view.setInt8(o, v);
      break;
    case "uint8":
      view.setUint8(o, v);
      break;
    case "int16":
      view.setInt16(o, v, true);
      break;
    case "uint16":
      view.setUint16(o, v, true);
      break;
    case "int32":
      view.setInt32(o, v, true);
      break;
    case "uint32":
      view.setUint32(o, v, true);
      break;
    case "float":
      view.setFloat32(o, v, true);
      break;
    case "double":
      view.setFloat64(o, v, true);
      break;
  }
}

/** The stored length/count at lenOff (or cap when lenOff < 0, for fixed arrays), checked against cap. */
function used(p: PacketViewBase, lenOff: number, cap: number, field: string): number {
  if (lenOff < 0) return cap;
  const n = p.view.getUint32(lenOff, true);
  if (n > cap) throw new PacketRangeError(field, `stored length ${n} exceeds the capacity ${cap}`);
  return n;
}

/** Checks a new length and stores it (unless fixed); zeroes the whole array area first. */
function resize(p: PacketViewBase, lenOff: number, dataOff: number, cap: number, byteCap: number, n: number, field: string): void {
  if (lenOff < 0 ? n !== cap : n > cap) {
    throw new PacketRangeError(field, `${n} elements/bytes given, ${lenOff < 0 ? "exactly" : "at most"} ${cap} allowed`);
  }
  p.bytes.fill(0, dataOff, dataOff + byteCap);
  if (lenOff >= 0) p.view.setUint32(lenOff, n, true);
}

export const PacketIO = {
  /** A string field: UTF-8 of `len` bytes, or up to the first NUL when fixed (a negative lenOff). */
  getString(p: PacketViewBase, lenOff: number, dataOff: number, cap: number, field: string): string {
    let n = used(p, lenOff, cap, field);
    if (lenOff < 0) {
      const nul = p.bytes.subarray(dataOff, dataOff + cap).indexOf(0);
      if (nul >= 0) n = nul;
    }
    try {
      return utf8Decoder.decode(p.bytes.subarray(dataOff, dataOff + n));
    } catch {
      throw new PacketRangeError(field, "is not valid UTF-8");
    }
  },

  /** Stores UTF-8 of v (at most cap bytes), zero-filling the rest of the array. */
  setString(p: PacketViewBase, lenOff: number, dataOff: number, cap: number, v: string, field: string): void {
    const encoded = utf8Encoder.encode(v);
    if (encoded.length > cap) {
      throw new PacketRangeError(field, `${encoded.length} UTF-8 bytes given, at most ${cap} allowed`);
    }
    p.bytes.fill(0, dataOff, dataOff + cap);
    p.bytes.set(encoded, dataOff);
    if (lenOff >= 0) p.view.setUint32(lenOff, encoded.length, true);
  },

  /** A bytes field, zero-copy: a subarray of the packet. */
  getBytes(p: PacketViewBase, lenOff: number, dataOff: number, cap: number, field: string): Uint8Array {
    return p.bytes.subarray(dataOff, dataOff + used(p, lenOff, cap, field));
  },

  /** Copies v in (at most cap bytes, exactly cap when fixed), zero-filling the rest. */
  setBytes(p: PacketViewBase, lenOff: number, dataOff: number, cap: number, v: Uint8Array, field: string): void {
    const source = v.buffer === p.bytes.buffer ? v.slice() : v; // v may be a view of this packet
    resize(p, lenOff, dataOff, cap, cap, source.length, field);
    p.bytes.set(source, dataOff);
  },

  /** A copy of the used elements of a numeric or bool array. */
  getScalars<T extends number | boolean>(
    p: PacketViewBase,
    lenOff: number,
    dataOff: number,
    cap: number,
    kind: PacketScalar,
    field: string,
  ): T[] {
    const n = used(p, lenOff, cap, field);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(readScalar(p.view, dataOff + i * SIZE[kind], kind) as T);
    return out;
  },

  setScalars(
    p: PacketViewBase,
    lenOff: number,
    dataOff: number,
    cap: number,
    kind: PacketScalar,
    v: readonly (number | boolean)[],
    field: string,
  ): void {
    // Written to a scratch area first, so a bad element leaves the array as it was.
    const scratch = new DataView(new ArrayBuffer(Math.max(1, v.length * SIZE[kind])));
    for (const [i, x] of v.entries()) writeScalar(scratch, i * SIZE[kind], kind, x, `${field}[${i}]`);
    resize(p, lenOff, dataOff, cap, cap * SIZE[kind], v.length, field);
    p.bytes.set(new Uint8Array(scratch.buffer, 0, v.length * SIZE[kind]), dataOff);
  },

  getBigInts(p: PacketViewBase, lenOff: number, dataOff: number, cap: number, kind: PacketScalar64, field: string): bigint[] {
    const n = used(p, lenOff, cap, field);
    const out: bigint[] = [];
    for (let i = 0; i < n; i++) {
      out.push(kind === "int64" ? p.view.getBigInt64(dataOff + i * 8, true) : p.view.getBigUint64(dataOff + i * 8, true));
    }
    return out;
  },

  setBigInts(
    p: PacketViewBase,
    lenOff: number,
    dataOff: number,
    cap: number,
    kind: PacketScalar64,
    v: readonly bigint[],
    field: string,
  ): void {
    for (const [i, x] of v.entries()) checkBigInt(x, kind === "int64", `${field}[${i}]`);
    resize(p, lenOff, dataOff, cap, cap * 8, v.length, field);
    v.forEach((x, i) => {
      if (kind === "int64") p.view.setBigInt64(dataOff + i * 8, x, true);
      else p.view.setBigUint64(dataOff + i * 8, x, true);
    });
  },

  /** Zero-copy views of the used elements of a struct array. */
  getStructs<V extends PacketViewBase>(
    p: PacketViewBase,
    lenOff: number,
    dataOff: number,
    cap: number,
    type: PacketViewClass<V>,
    field: string,
  ): V[] {
    const n = used(p, lenOff, cap, field);
    const size = type.layout.size;
    const out: V[] = [];
    for (let i = 0; i < n; i++) out.push(new type(p.bytes.subarray(dataOff + i * size, dataOff + (i + 1) * size)));
    return out;
  },

  /** Replaces a struct array: sets the count, zeroes every element, then assigns each one. */
  setStructs<V extends PacketViewBase & { assign(v: I): unknown }, I>(
    p: PacketViewBase,
    lenOff: number,
    dataOff: number,
    cap: number,
    type: PacketViewClass<V>,
    v: readonly I[],
    field: string,
  ): void {
    const size = type.layout.size;
    // Built in scratch memory first: v may hold views of this very array, and a
    // bad element must leave the array as it was.
    const scratch = new Uint8Array(v.length * size);
    for (const [i, x] of v.entries()) new type(scratch.subarray(i * size, (i + 1) * size)).assign(x);
    resize(p, lenOff, dataOff, cap, cap * size, v.length, field);
    p.bytes.set(scratch, dataOff);
  },

  /** A packet view is copied (it may point into the bytes about to be overwritten); other values pass through. */
  snapshot<T>(this: void, v: T): T {
    return v instanceof PacketViewBase ? (v.copy() as T) : v;
  },

  /** Runs write(); if it throws, bytes start..end are restored before the error propagates. */
  atomic(p: PacketViewBase, start: number, end: number, write: () => void): void {
    const saved = p.bytes.slice(start, end);
    try {
      write();
    } catch (err) {
      p.bytes.set(saved, start);
      throw err;
    }
  },

  /** Zeroes `size` bytes at `offset` (a oneof's union before a new member is written). */
  zero(p: PacketViewBase, offset: number, size: number): void {
    p.bytes.fill(0, offset, offset + size);
  },
} as const;
