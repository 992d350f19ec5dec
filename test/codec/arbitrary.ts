// fast-check arbitraries for protobuf messages, built from the descriptor:
// every field kind, edge values (NaN, -0, 64-bit extremes, long strings and
// bytes, lone surrogates, "__proto__" map keys, unknown enum values) and
// random unknown fields.
import fc from "fast-check";
import { create, ScalarType, type DescField, type DescMessage, type Message, type UnknownField } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

const WRAPPERS = /^google\.protobuf\.(Double|Float|U?Int64|U?Int32|Bool|String|Bytes)Value$/;

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const smallOrBig = <T>(small: fc.Arbitrary<T>, big: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: small }, big);

export function scalarArb(type: ScalarType): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.DOUBLE:
      return fc.oneof(fc.double(), fc.constantFrom(0, -0, NaN, Infinity, 1.5));
    case ScalarType.FLOAT:
      return fc.oneof(fc.float(), fc.constantFrom(0, -0, NaN, -Infinity));
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return smallOrBig(fc.integer({ min: -200, max: 200 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return smallOrBig(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return smallOrBig(fc.bigInt({ min: -300n, max: 300n }), fc.oneof(int64, fc.constantFrom(-(2n ** 63n), 2n ** 63n - 1n)));
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return smallOrBig(fc.bigInt({ min: 0n, max: 300n }), fc.oneof(uint64, fc.constantFrom(2n ** 64n - 1n, 2n ** 32n)));
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.STRING:
      return fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.string({ unit: "grapheme", maxLength: 40 }),
        fc.string({ unit: "binary", maxLength: 40 }), // includes lone surrogates
        fc.string({ minLength: 120, maxLength: 300 }), // length prefix of 2 bytes
      );
    case ScalarType.BYTES:
      return fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ minLength: 120, maxLength: 300 }));
  }
}

function enumArb(field: DescField): fc.Arbitrary<number> {
  const values = field.enum!.values.map((v) => v.number);
  // Open enums keep unknown numbers.
  return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...values) }, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
}

/** Unknown fields with numbers the message does not use. */
function unknownArb(message: DescMessage): fc.Arbitrary<UnknownField[]> {
  const used = new Set(message.fields.map((f) => f.number));
  const no = fc.integer({ min: 1, max: 5000 }).filter((n) => !used.has(n) && (n < 19000 || n > 19999));
  const field = fc.oneof(
    fc.tuple(no, uint64).map(([n, v]) => ({ no: n, wireType: WireType.Varint, data: new BinaryWriter().uint64(v).finish() })),
    fc.tuple(no, fc.uint8Array({ minLength: 8, maxLength: 8 })).map(([n, data]) => ({ no: n, wireType: WireType.Bit64, data })),
    fc.tuple(no, fc.uint8Array({ minLength: 4, maxLength: 4 })).map(([n, data]) => ({ no: n, wireType: WireType.Bit32, data })),
    fc
      .tuple(no, fc.uint8Array({ maxLength: 30 }))
      .map(([n, v]) => ({ no: n, wireType: WireType.LengthDelimited, data: new BinaryWriter().bytes(v).finish() })),
  );
  return fc.array(field, { maxLength: 3 });
}

/** A random message of `desc`; nested messages of the same file go `depth` levels deep. */
export function messageArb(desc: DescMessage, depth = 2): fc.Arbitrary<Message> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const member of desc.members) {
    if (member.kind === "oneof") {
      parts[member.localName] = fc.oneof(
        fc.constant({ case: undefined }),
        ...member.fields.map((f) => valueArb(f, depth).map((value) => ({ case: f.localName, value }))),
      );
      continue;
    }
    const field = member;
    switch (field.fieldKind) {
      case "list":
        parts[field.localName] = fc.array(valueArb(field, depth), { maxLength: depth > 0 ? 30 : 3 });
        break;
      case "map":
        parts[field.localName] = fc.array(fc.tuple(mapKeyArb(field.mapKey), valueArb(field, depth)), { maxLength: 4 }).map((entries) => {
          const record: Record<string, unknown> = {};
          for (const [k, v] of entries) {
            Object.defineProperty(record, k, { value: v, enumerable: true, writable: true, configurable: true });
          }
          return record;
        });
        break;
      case "message":
        parts[field.localName] = depth > 0 ? fc.option(valueArb(field, depth), { nil: undefined }) : fc.constant(undefined);
        break;
      default:
        parts[field.localName] = field.presence === 2 ? valueArb(field, depth) : fc.option(valueArb(field, depth), { nil: undefined });
    }
  }
  return fc.tuple(fc.record(parts), fc.option(unknownArb(desc), { nil: undefined, freq: 3 })).map(([init, unknown]) => {
    const message = create(desc, init as never) as Message;
    if (unknown !== undefined && unknown.length > 0) message.$unknown = unknown;
    return message;
  });
}

function mapKeyArb(type: ScalarType): fc.Arbitrary<string> {
  if (type === ScalarType.STRING) {
    return fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.string({ unit: "grapheme", maxLength: 20 }),
      fc.constantFrom("__proto__", "constructor", ""),
    );
  }
  return scalarArb(type).map((k) => String(k));
}

/** One value (list item, map value, oneof case, singular value) of a field. */
function valueArb(field: DescField, depth: number): fc.Arbitrary<unknown> {
  const kind = field.fieldKind === "list" ? field.listKind : field.fieldKind === "map" ? field.mapKind : field.fieldKind;
  if (kind === "enum") return enumArb(field);
  if (kind === "scalar") {
    const longAsString = (field.fieldKind === "scalar" || field.fieldKind === "list") && "longAsString" in field && field.longAsString;
    return longAsString ? scalarArb(field.scalar!).map(String) : scalarArb(field.scalar!);
  }
  const child = field.message!;
  if (field.fieldKind === "message" && !field.oneof && WRAPPERS.test(child.typeName)) {
    return scalarArb(child.fields[0]!.scalar!);
  }
  if (depth <= 0) return fc.constant(create(child));
  return fc.constant(null).chain(() => messageArb(child, depth - 1));
}
