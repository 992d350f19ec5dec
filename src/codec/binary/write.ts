// Scalar writers for generated codecs, on top of ByteWriter. They check values
// the way @bufbuild/protobuf's BinaryWriter does (an int32 must be an integer
// in range, ...) and throw EncodeError where it would throw.
import type { ByteWriter } from "../../wire/byte-writer.js";
import { EncodeError } from "./errors.js";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const UINT32_MAX = 0xffffffffn;

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

export function writeUint64(w: ByteWriter, v: bigint): void {
  if (v >= 0n && v <= UINT32_MAX) {
    w.varint32(Number(v));
    return;
  }
  if (v < 0n || v > UINT64_MAX) throw new EncodeError(`invalid uint64: ${v}`);
  w.varint64(Number(v & UINT32_MAX), Number(v >> 32n));
}

export function writeInt64(w: ByteWriter, v: bigint): void {
  if (v >= 0n && v <= UINT32_MAX) {
    w.varint32(Number(v));
    return;
  }
  if (v < INT64_MIN || v > INT64_MAX) throw new EncodeError(`invalid int64: ${v}`);
  const u = BigInt.asUintN(64, v);
  w.varint64(Number(u & UINT32_MAX), Number(u >> 32n));
}

export function writeSint64(w: ByteWriter, v: bigint): void {
  if (v < INT64_MIN || v > INT64_MAX) throw new EncodeError(`invalid int64: ${v}`);
  // zigzag: (v << 1) ^ (v >> 63), as an unsigned 64-bit value
  const z = v >= 0n ? v << 1n : (-v << 1n) - 1n;
  if (z <= UINT32_MAX) {
    w.varint32(Number(z));
    return;
  }
  w.varint64(Number(z & UINT32_MAX), Number(z >> 32n));
}

export function writeFixed64(w: ByteWriter, v: bigint): void {
  if (v < 0n || v > UINT64_MAX) throw new EncodeError(`invalid uint64: ${v}`);
  w.fixed64(v);
}

export function writeSfixed64(w: ByteWriter, v: bigint): void {
  if (v < INT64_MIN || v > INT64_MAX) throw new EncodeError(`invalid int64: ${v}`);
  w.fixed64(v);
}
