// The schema digest recorded with every interaction: SHA-256 of the
// descriptors of the types involved and of every message and enum reachable
// from them, so a changed field anywhere in the closure changes it.
import { createHash } from "node:crypto";
import { toBinary, type DescEnum, type DescMessage } from "@bufbuild/protobuf";
import { DescriptorProtoSchema, EnumDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

const cache = new WeakMap<DescMessage, string>();

/** Hex SHA-256 over the closure of the given message types. */
export function schemaDigest(...types: readonly DescMessage[]): string {
  const single = types.length === 1 ? cache.get(types[0]!) : undefined;
  if (single !== undefined) return single;
  const seen = new Map<string, DescMessage | DescEnum>();
  const walk = (d: DescMessage | DescEnum) => {
    if (seen.has(d.typeName)) return;
    seen.set(d.typeName, d);
    if (d.kind === "enum") return;
    for (const f of d.fields) {
      if (f.message !== undefined) walk(f.message);
      if (f.enum !== undefined) walk(f.enum);
    }
  };
  types.forEach(walk);
  const hash = createHash("sha256");
  for (const name of [...seen.keys()].sort()) {
    const d = seen.get(name)!;
    hash.update(`${name}\n`);
    hash.update(d.kind === "enum" ? toBinary(EnumDescriptorProtoSchema, d.proto) : toBinary(DescriptorProtoSchema, d.proto));
  }
  const digest = hash.digest("hex");
  if (types.length === 1) cache.set(types[0]!, digest);
  return digest;
}
