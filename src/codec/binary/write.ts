// Scalar writers for generated codecs, on top of ByteWriter. They check values
// the way @bufbuild/protobuf's BinaryWriter does (an int32 must be an integer
// in range, ...) and throw EncodeError where it would throw.
import type { ByteWriter } from "../../wire/byte-writer.js";
import { EncodeError } from "./errors.js";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

export function writeInt32(w: ByteWriter, v: number): void {
  if ((v | 0) !== v) throw new EncodeError(`invalid int32: ${v}`);
  w.int32(v);
}

export function writeUint32(w: ByteWriter, v: number): void {
  if (v >>> 0 !== v) throw new EncodeError(`invalid uint32: ${v}`);
  w.varint32(v);
}

export function writeSint32(w: ByteWriter, v: number): void {
  if ((v | 0) !== v) throw new EncodeError(`invalid int32: ${v}`);
  w.sint32(v);
}

export function writeFixed32(w: ByteWriter, v: number): void {
  if (v >>> 0 !== v) throw new EncodeError(`invalid uint32: ${v}`);
  w.fixed32(v);
}

export function writeSfixed32(w: ByteWriter, v: number): void {
  if ((v | 0) !== v) throw new EncodeError(`invalid int32: ${v}`);
  w.fixed32(v);
}

export function writeFloat(w: ByteWriter, v: number): void {
  // Too large for a float32 (it would round to infinity): rejected like protobuf-es.
  if (!Number.isFinite(Math.fround(v)) && Number.isFinite(v)) throw new EncodeError(`invalid float32: ${v}`);
  w.float(v);
}

export function writeDouble(w: ByteWriter, v: number): void {
  w.double(v);
}

export function writeBool(w: ByteWriter, v: boolean): void {
  w.uint8(v ? 1 : 0);
}

export function writeString(w: ByteWriter, v: string): void {
  w.lenString(v);
}

export function writeBytes(w: ByteWriter, v: Uint8Array): void {
  w.lenBytes(v);
}

// 64-bit values are split into 32-bit halves through a typed-array scratch:
// no intermediate bigints (v & mask, v >> 32n) per write.
const u64 = new BigUint64Array(1);
const i64 = new BigInt64Array(u64.buffer);
const halves = new Uint32Array(u64.buffer);
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

export function writeUint64(w: ByteWriter, v: bigint): void {
  if (v < 0n || v > UINT64_MAX) throw new EncodeError(`invalid uint64: ${v}`);
  u64[0] = v;
  const hi = halves[HI]!;
  if (hi === 0) w.varint32(halves[LO]!);
  else w.varint64(halves[LO]!, hi);
}

export function writeInt64(w: ByteWriter, v: bigint): void {
  if (v < INT64_MIN || v > INT64_MAX) throw new EncodeError(`invalid int64: ${v}`);
  i64[0] = v;
  const hi = halves[HI]!;
  if (hi === 0) w.varint32(halves[LO]!);
  else w.varint64(halves[LO]!, hi);
}

export function writeSint64(w: ByteWriter, v: bigint): void {
  if (v < INT64_MIN || v > INT64_MAX) throw new EncodeError(`invalid int64: ${v}`);
  i64[0] = v;
  // zigzag on the halves: (v << 1) ^ (v >> 63)
  const lo = halves[LO]!;
  const hi = halves[HI]!;
  const sign = -(hi >>> 31);
  const zlo = ((lo << 1) ^ sign) >>> 0;
  const zhi = (((hi << 1) | (lo >>> 31)) ^ sign) >>> 0;
  if (zhi === 0) w.varint32(zlo);
  else w.varint64(zlo, zhi);
}

export function writeFixed64(w: ByteWriter, v: bigint): void {
  if (v < 0n || v > UINT64_MAX) throw new EncodeError(`invalid uint64: ${v}`);
  w.fixed64(v);
}

export function writeSfixed64(w: ByteWriter, v: bigint): void {
  if (v < INT64_MIN || v > INT64_MAX) throw new EncodeError(`invalid int64: ${v}`);
  w.fixed64(v);
}
