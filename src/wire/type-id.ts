// Stable 64-bit message type ids: FNV-1a 64 over the UTF-8 bytes of the full
// protobuf type name. Simple enough to recompute in C (see docs/wire-format.md).

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;

export function typeIdOf(fullTypeName: string): bigint {
  let hash = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(fullTypeName)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME) & MASK_64;
  }
  return hash;
}
