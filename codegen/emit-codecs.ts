// Emits fast protobuf binary codecs (<file>_codec.ts), byte-identical to
// @bufbuild/protobuf's toBinary and giving the same values as fromBinary.
//
// Per message Foo the file holds:
//   write_Foo(m, w)       appends the body of m (fields in number order, then $unknown)
//   read_Foo(r, end, m?)  reads a body up to `end`, merging into m if given
//   new_Foo()             a message with default values, as create(FooSchema) gives
//   FooCodec              the Codec the channel uses
// Straight-line code per field, so a user debugging a message can read it.
import { ScalarType, type DescField, type DescFile, type DescMessage } from "@bufbuild/protobuf";
import type { GeneratedFile, ImportSymbol, Printable } from "@bufbuild/protoplugin";
import type { EmitContext } from "./plugin.js";
import { isProtochanInternal, messagesOf, outputName, shapeName } from "./names.js";

// google.protobuf.Edition.EDITION_PROTO3
const EDITION_PROTO3 = 999;

const WRAPPERS = new Set(
  ["Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"].map((n) => `google.protobuf.${n}Value`),
);

/** Why a message cannot get a generated codec, or undefined if it can. */
export function reflectiveReason(message: DescMessage): string | undefined {
  if (message.file.edition !== EDITION_PROTO3) {
    return "only proto3 files get generated codecs (proto2 / editions presence and defaults)";
  }
  for (const field of message.fields) {
    const kind = valueKindOf(field);
    if (kind.kind === "message" && kind.message.typeName === "google.protobuf.Struct") {
      return `field ${field.name} is a google.protobuf.Struct (a JSON object in TypeScript)`;
    }
    if ("delimitedEncoding" in field && field.delimitedEncoding) {
      return `field ${field.name} uses the delimited (group) encoding`;
    }
  }
  return undefined;
}

export function emitCodecs(ctx: EmitContext, file: DescFile): void {
  if (isProtochanInternal(file)) return;
  const messages = messagesOf(file).filter((m) => !ctx.options.forMessage(m).cLayout);
  if (messages.length === 0) return;
  const f = ctx.schema.generateFile(outputName(file, "_codec.ts"));
  f.preamble(file);
  const native = new Set(messages.filter((m) => reflectiveReason(m) === undefined));
  // Messages of other files generated in this run have codecs of their own.
  const hasCodec = (m: DescMessage) =>
    m.file !== file && ctx.schema.files.includes(m.file) && !isProtochanInternal(m.file) && !ctx.options.forMessage(m).cLayout;
  const e = new Emitter(f, ctx.schema.options.runtime, native, hasCodec);
  for (const message of messages) {
    const reason = reflectiveReason(message);
    if (reason === undefined) e.nativeCodec(message);
    else e.reflectiveCodec(message, reason);
  }
}

interface ScalarInfo {
  /** Wire type. */
  readonly wt: number;
  /** ProtoReader method. */
  readonly read: string;
  /** Runtime writer function. */
  readonly write: string;
  readonly ts: string;
  readonly zero: string;
  /** Implicit presence: the value is written when this holds. */
  readonly isSet: (v: string) => string;
}

const notZero = (v: string) => `${v} !== 0`;
const notZeroN = (v: string) => `${v} !== 0n`;

const SCALARS: Record<ScalarType, ScalarInfo> = {
  [ScalarType.DOUBLE]: {
    wt: 1,
    read: "double",
    write: "writeDouble",
    ts: "number",
    zero: "0",
    isSet: (v) => `(${v} !== 0 || 1 / ${v} < 0)`,
  },
  [ScalarType.FLOAT]: { wt: 5, read: "float", write: "writeFloat", ts: "number", zero: "0", isSet: (v) => `(${v} !== 0 || 1 / ${v} < 0)` },
  [ScalarType.INT64]: { wt: 0, read: "int64", write: "writeInt64", ts: "bigint", zero: "0n", isSet: notZeroN },
  [ScalarType.UINT64]: { wt: 0, read: "uint64", write: "writeUint64", ts: "bigint", zero: "0n", isSet: notZeroN },
  [ScalarType.INT32]: { wt: 0, read: "int32", write: "writeInt32", ts: "number", zero: "0", isSet: notZero },
  [ScalarType.FIXED64]: { wt: 1, read: "fixed64", write: "writeFixed64", ts: "bigint", zero: "0n", isSet: notZeroN },
  [ScalarType.FIXED32]: { wt: 5, read: "fixed32", write: "writeFixed32", ts: "number", zero: "0", isSet: notZero },
  [ScalarType.BOOL]: { wt: 0, read: "bool", write: "writeBool", ts: "boolean", zero: "false", isSet: (v) => `${v} !== false` },
  [ScalarType.STRING]: { wt: 2, read: "string", write: "writeString", ts: "string", zero: `""`, isSet: (v) => `${v} !== ""` },
  [ScalarType.BYTES]: {
    wt: 2,
    read: "bytes",
    write: "writeBytes",
    ts: "Uint8Array",
    zero: "new Uint8Array(0)",
    isSet: (v) => `${v}.length !== 0`,
  },
  [ScalarType.UINT32]: { wt: 0, read: "uint32", write: "writeUint32", ts: "number", zero: "0", isSet: notZero },
  [ScalarType.SFIXED32]: { wt: 5, read: "sfixed32", write: "writeSfixed32", ts: "number", zero: "0", isSet: notZero },
  [ScalarType.SFIXED64]: { wt: 1, read: "sfixed64", write: "writeSfixed64", ts: "bigint", zero: "0n", isSet: notZeroN },
  [ScalarType.SINT32]: { wt: 0, read: "sint32", write: "writeSint32", ts: "number", zero: "0", isSet: notZero },
  [ScalarType.SINT64]: { wt: 0, read: "sint64", write: "writeSint64", ts: "bigint", zero: "0n", isSet: notZeroN },
};

const SCALAR_NAMES: Record<ScalarType, string> = {
  [ScalarType.DOUBLE]: "double",
  [ScalarType.FLOAT]: "float",
  [ScalarType.INT64]: "int64",
  [ScalarType.UINT64]: "uint64",
  [ScalarType.INT32]: "int32",
  [ScalarType.FIXED64]: "fixed64",
  [ScalarType.FIXED32]: "fixed32",
  [ScalarType.BOOL]: "bool",
  [ScalarType.STRING]: "string",
  [ScalarType.BYTES]: "bytes",
  [ScalarType.UINT32]: "uint32",
  [ScalarType.SFIXED32]: "sfixed32",
  [ScalarType.SFIXED64]: "sfixed64",
  [ScalarType.SINT32]: "sint32",
  [ScalarType.SINT64]: "sint64",
};

/** One value's type: a scalar, an enum (as int32), or a message. */
type ValueKind =
  | { kind: "scalar"; scalar: ScalarType /** 64-bit as a decimal string (jstype = JS_STRING) */; asString: boolean }
  | { kind: "enum"; field: DescField }
  | { kind: "message"; message: DescMessage; wrapper: boolean };

type Line = Printable;

class Emitter {
  constructor(
    private readonly f: GeneratedFile,
    private readonly runtime: string,
    private readonly native: ReadonlySet<DescMessage>,
    private readonly hasCodec: (m: DescMessage) => boolean,
  ) {}

  /** The codec of a message of another file (see emit-codecs for that file). */
  private otherCodec(message: DescMessage): ImportSymbol {
    return this.f.import(`${shapeName(message)}Codec`, `./${outputName(message.file, "_codec.js")}`);
  }

  private rt(name: string, typeOnly = false): ImportSymbol {
    return this.f.import(name, this.runtime, typeOnly);
  }

  private print(indent: number, ...parts: Line[]): void {
    this.f.print("  ".repeat(indent), ...parts);
  }

  // ---- Whole messages ----

  reflectiveCodec(message: DescMessage, reason: string): void {
    const f = this.f;
    const name = shapeName(message);
    f.print(
      f.jsDoc(`Binary codec of ${message.typeName}, through @bufbuild/protobuf's reflective\n` + `toBinary / fromBinary: ${reason}.`),
    );
    f.print(
      f.export("const", `${name}Codec`),
      ": ",
      this.rt("MessageCodec", true),
      "<",
      f.importShape(message),
      "> = ",
      this.rt("reflectiveMessageCodec"),
      "(",
      f.importSchema(message),
      ");",
    );
    f.print();
  }

  nativeCodec(message: DescMessage): void {
    const f = this.f;
    const name = shapeName(message);
    const shape = f.importShape(message);
    f.print(
      f.jsDoc(
        `Binary codec of ${message.typeName}: the same bytes as toBinary(${name}Schema, value),\n` +
          `the same values as fromBinary(${name}Schema, bytes).`,
      ),
    );
    f.print(f.export("const", `${name}Codec`), ": ", this.rt("MessageCodec", true), "<", shape, "> = {");
    f.print("  encode: write_", name, ",");
    f.print("  decode: (bytes) => read_", name, "(new ", this.rt("ProtoReader"), "(bytes), bytes.length),");
    f.print("  read: read_", name, ",");
    f.print("};");
    f.print();
    this.emitNew(message);
    this.emitWrite(message);
    this.emitRead(message);
  }

  private emitNew(message: DescMessage): void {
    const f = this.f;
    const name = shapeName(message);
    f.print("/** New ", message.typeName, " with default values, like create(", name, "Schema). */");
    f.print("function new_", name, "(): ", f.importShape(message), " {");
    f.print("  return {");
    f.print("    $typeName: ", f.string(message.typeName), ",");
    for (const member of message.members) {
      if (member.kind === "oneof") {
        f.print("    ", member.localName, ": { case: undefined },");
        continue;
      }
      switch (member.fieldKind) {
        case "list":
          f.print("    ", member.localName, ": [],");
          break;
        case "map":
          f.print("    ", member.localName, ": {},");
          break;
        case "message":
          break; // absent until set
        case "scalar":
        case "enum":
          if (member.presence === 2 /* IMPLICIT */) {
            f.print("    ", member.localName, ": ", this.zero(valueKindOf(member)), ",");
          }
          break;
      }
    }
    f.print("  };");
    f.print("}");
    f.print();
  }

  // ---- Encoding ----

  private emitWrite(message: DescMessage): void {
    const f = this.f;
    const name = shapeName(message);
    f.print("/** Appends the body of ", message.typeName, " (no tag, no length). */");
    f.print("function write_", name, "(m: ", f.importShape(message), ", w: ", this.rt("ByteWriter", true), "): void {");
    const sorted = message.fields.concat().sort((a, b) => a.number - b.number);
    for (const field of sorted) {
      this.print(1, "// ", describe(field));
      this.writeField(field);
    }
    f.print("  if (m.$unknown !== undefined) ", this.rt("writeUnknown"), "(w, m.$unknown);");
    f.print("}");
    f.print();
  }

  private writeField(field: DescField): void {
    const acc = `m.${field.localName}`;
    switch (field.fieldKind) {
      case "scalar":
      case "enum": {
        const kind = valueKindOf(field);
        if (field.oneof) {
          const oneof = `m.${field.oneof.localName}`;
          this.print(1, "if (", oneof, ".case === ", this.f.string(field.localName), ") {");
          this.writeValue(2, field.number, kind, `${oneof}.value`);
          this.print(1, "}");
        } else if (field.presence === 2 /* IMPLICIT */) {
          this.print(1, "if (", this.isSet(kind, acc), ") {");
          this.writeValue(2, field.number, kind, acc);
          this.print(1, "}");
        } else {
          this.print(1, "if (", acc, " !== undefined) {");
          this.writeValue(2, field.number, kind, acc);
          this.print(1, "}");
        }
        return;
      }
      case "message": {
        const kind = valueKindOf(field);
        if (field.oneof) {
          const oneof = `m.${field.oneof.localName}`;
          this.print(1, "if (", oneof, ".case === ", this.f.string(field.localName), ") {");
          this.writeValue(2, field.number, kind, `${oneof}.value`);
        } else {
          this.print(1, "if (", acc, " !== undefined) {");
          this.writeValue(2, field.number, kind, acc);
        }
        this.print(1, "}");
        return;
      }
      case "list": {
        const kind = valueKindOf(field);
        if (field.packed) {
          const scalar = kind.kind === "scalar" ? SCALARS[kind.scalar] : SCALARS[ScalarType.INT32];
          this.print(1, "if (", acc, ".length !== 0) {");
          this.print(2, "const list = ", acc, ";");
          this.print(2, tagWrite(field.number, 2), ";");
          if (scalar.wt === 1 || scalar.wt === 5) {
            // Fixed width: the length is known up front.
            this.print(2, "w.varint32(list.length * ", scalar.wt === 1 ? "8" : "4", ");");
            this.print(2, "for (let i = 0; i < list.length; i++) ", this.rt(scalar.write), "(w, ", asBigInt(kind, "list[i]!"), ");");
          } else {
            this.print(2, "const at = w.fork();");
            this.print(2, "for (let i = 0; i < list.length; i++) ", this.rt(scalar.write), "(w, ", asBigInt(kind, "list[i]!"), ");");
            this.print(2, "w.join(at);");
          }
          this.print(1, "}");
        } else {
          this.print(1, "for (let i = 0, list = ", acc, "; i < list.length; i++) {");
          this.writeValue(2, field.number, kind, "list[i]!");
          this.print(1, "}");
        }
        return;
      }
      case "map": {
        const key = SCALARS[field.mapKey];
        const kind = valueKindOf(field);
        this.print(1, "for (const k of Object.keys(", acc, ")) {");
        this.print(2, tagWrite(field.number, 2), ";");
        this.print(2, "const at = w.fork();");
        this.print(2, tagWrite(1, key.wt), ";");
        this.print(2, this.rt(key.write), "(w, ", keyFromString(field.mapKey), ");");
        // Object keys are strings; numeric keys index the record as numbers.
        const index = isNumberKey(field.mapKey) ? "k as unknown as number" : "k";
        this.writeValue(2, 2, kind, `${acc}[${index}]!`, "valueAt");
        this.print(2, "w.join(at);");
        this.print(1, "}");
        return;
      }
    }
  }

  /** Tag and value; `at` names the length back-patch position of a message value. */
  private writeValue(indent: number, no: number, kind: ValueKind, v: string, at = "at"): void {
    switch (kind.kind) {
      case "scalar": {
        const s = SCALARS[kind.scalar];
        this.print(indent, tagWrite(no, s.wt), ";");
        this.print(indent, this.rt(s.write), "(w, ", asBigInt(kind, v), ");");
        return;
      }
      case "enum":
        this.print(indent, tagWrite(no, 0), ";");
        this.print(indent, this.rt("writeInt32"), "(w, ", v, ");");
        return;
      case "message": {
        this.print(indent, tagWrite(no, 2), ";");
        this.print(indent, "const ", at, " = w.fork();");
        if (kind.wrapper) {
          this.print(indent, this.rt("writeWrapped"), "(", this.f.importSchema(kind.message), ", ", v, ", w);");
        } else if (this.native.has(kind.message)) {
          this.print(indent, "write_", shapeName(kind.message), "(", v, ", w);");
        } else if (this.hasCodec(kind.message)) {
          this.print(indent, this.otherCodec(kind.message), ".encode(", v, ", w);");
        } else {
          this.print(indent, this.rt("writeReflective"), "(", this.f.importSchema(kind.message), ", ", v, ", w);");
        }
        this.print(indent, "w.join(", at, ");");
        return;
      }
    }
  }

  private isSet(kind: ValueKind, v: string): string {
    if (kind.kind === "scalar") return kind.asString ? `${v} !== "0"` : SCALARS[kind.scalar].isSet(v);
    if (kind.kind === "enum") return `${v} !== ${kind.field.enum!.values[0]!.number}`;
    return `${v} !== undefined`;
  }

  private zero(kind: ValueKind): Line {
    if (kind.kind === "scalar") return kind.asString ? `"0"` : SCALARS[kind.scalar].zero;
    if (kind.kind === "enum") {
      const e = kind.field.enum!;
      return `${e.values[0]!.number} /* ${e.values[0]!.name} */`;
    }
    return "undefined";
  }

  // ---- Decoding ----

  private emitRead(message: DescMessage): void {
    const f = this.f;
    const name = shapeName(message);
    const typeName = f.string(message.typeName);
    f.print("/** Reads the body of ", message.typeName, " up to `end`; merges into `m` if given. */");
    f.print(
      "function read_",
      name,
      "(r: ",
      this.rt("ProtoReader"),
      ", end: number, m: ",
      f.importShape(message),
      " = new_",
      name,
      "()): ",
      f.importShape(message),
      " {",
    );
    f.print("  r.enter(", typeName, ");");
    f.print("  while (r.pos < end) {");
    f.print("    const tag = r.tag();");
    f.print("    switch (tag) {");
    for (const field of message.fields) this.readField(field);
    f.print("      default:");
    if (message.fields.length > 0) {
      f.print("        if (", knownNumbers(message.fields.map((x) => x.number)), ") throw r.wrongWireType(tag, ", typeName, ");");
    }
    f.print("        m.$unknown = r.unknown(m.$unknown, tag);");
    f.print("    }");
    f.print("  }");
    f.print("  r.leave(end, ", typeName, ");");
    f.print("  return m;");
    f.print("}");
    f.print();
  }

  private readField(field: DescField): void {
    const acc = `m.${field.localName}`;
    const I = 4;
    const caseLine = (wt: number, note = "") => this.print(I - 1, "case ", String(tag(field.number, wt)), ": // ", describe(field), note);
    switch (field.fieldKind) {
      case "scalar":
      case "enum":
      case "message": {
        const kind = valueKindOf(field);
        caseLine(wireTypeOf(kind));
        if (field.oneof) {
          const oneof = `m.${field.oneof.localName}`;
          const into =
            kind.kind === "message" ? `${oneof}.case === ${JSON.stringify(field.localName)} ? ${oneof}.value : undefined` : undefined;
          this.print(I, oneof, " = { case: ", this.f.string(field.localName), ", value: ", this.readValue(kind, field, into), " };");
        } else {
          this.print(I, acc, " = ", this.readValue(kind, field, kind.kind === "message" ? acc : undefined), ";");
        }
        this.print(I, "continue;");
        return;
      }
      case "list": {
        const kind = valueKindOf(field);
        const wt = wireTypeOf(kind);
        if (wt !== 2) {
          caseLine(2, " (packed)");
          this.print(I, "{");
          this.print(I + 1, "const e = r.limit();");
          this.print(I + 1, "while (r.pos < e) ", acc, ".push(", this.readValue(kind, field), ");");
          this.print(I + 1, "r.check(e, ", this.f.string(`packed field ${field.parent.typeName}.${field.name}`), ");");
          this.print(I, "}");
          this.print(I, "continue;");
        }
        caseLine(wt, wt !== 2 ? " (unpacked)" : "");
        this.print(I, acc, ".push(", this.readValue(kind, field), ");");
        this.print(I, "continue;");
        return;
      }
      case "map": {
        const key = SCALARS[field.mapKey];
        const kind = valueKindOf(field);
        const keyTag = tag(1, key.wt);
        const valTag = tag(2, wireTypeOf(kind));
        const keyRead = field.mapKey === ScalarType.STRING ? `r.key(${field.utf8Validation})` : `String(r.${key.read}())`;
        const keyZero = field.mapKey === ScalarType.STRING ? `""` : field.mapKey === ScalarType.BOOL ? `"false"` : `"0"`;
        caseLine(2);
        this.print(I, "{");
        this.print(I + 1, "const e = r.limit();");
        this.print(I + 1, "let k = ", keyZero, ";");
        if (kind.kind === "message") {
          this.print(I + 1, "let v: ", this.f.importShape(kind.message), " | undefined;");
        } else {
          this.print(I + 1, "let v: ", this.tsType(kind), " = ", this.zero(kind), ";");
        }
        this.print(I + 1, "while (r.pos < e) {");
        this.print(I + 2, "const t = r.tag();");
        this.print(I + 2, "if (t === ", String(keyTag), ") k = ", keyRead, ";");
        this.print(
          I + 2,
          "else if (t === ",
          String(valTag),
          ") v = ",
          this.readValue(kind, field, kind.kind === "message" ? "v" : undefined),
          ";",
        );
        this.print(
          I + 2,
          "else if (t >>> 3 === 1 || t >>> 3 === 2) throw r.wrongWireType(t, ",
          this.f.string(`${field.parent.typeName}.${field.name} entry`),
          ");",
        );
        this.print(I + 2, "else r.skip(t);");
        this.print(I + 1, "}");
        this.print(I + 1, "r.check(e, ", this.f.string(`map entry ${field.parent.typeName}.${field.name}`), ");");
        const value: Line = kind.kind === "message" ? ["v ?? ", this.newMessage(kind.message)] : "v";
        const index = isNumberKey(field.mapKey) ? "k as unknown as number" : "k";
        if (field.mapKey === ScalarType.STRING) {
          // A plain store (monomorphic per map field); "__proto__" must become an own property.
          this.print(I + 1, 'if (k === "__proto__") ', this.rt("setEntry"), "(", acc, ", k, ", value, ");");
          this.print(I + 1, "else ", acc, "[k] = ", value, ";");
        } else {
          this.print(I + 1, acc, "[", index, "] = ", value, ";");
        }
        this.print(I, "}");
        this.print(I, "continue;");
        return;
      }
    }
  }

  /** An expression reading one value; `into` is merged into for messages. */
  private readValue(kind: ValueKind, field: DescField, into?: string): Line {
    switch (kind.kind) {
      case "scalar":
        if (kind.asString) return `String(r.${SCALARS[kind.scalar].read}())`;
        return kind.scalar === ScalarType.STRING ? `r.string(${field.utf8Validation})` : `r.${SCALARS[kind.scalar].read}()`;
      case "enum":
        return "r.int32()";
      case "message": {
        const extra = into === undefined ? ")" : `, ${into})`;
        if (kind.wrapper) {
          return [this.rt("readWrapped"), "(", this.f.importSchema(kind.message), ", r, r.limit(), ", into ?? "undefined", ")"];
        }
        if (this.native.has(kind.message)) return ["read_", shapeName(kind.message), "(r, r.limit()", extra];
        if (this.hasCodec(kind.message)) return [this.otherCodec(kind.message), ".read(r, r.limit()", extra];
        return [this.rt("readReflective"), "(", this.f.importSchema(kind.message), ", r, r.limit()", extra];
      }
    }
  }

  private newMessage(message: DescMessage): Line {
    if (this.native.has(message)) return ["new_", shapeName(message), "()"];
    return [this.f.import("create", "@bufbuild/protobuf"), "(", this.f.importSchema(message), ")"];
  }

  private tsType(kind: ValueKind): Line {
    if (kind.kind === "scalar") return kind.asString ? "string" : SCALARS[kind.scalar].ts;
    if (kind.kind === "enum") return this.f.importShape(kind.field.enum!);
    return this.f.importShape(kind.message);
  }
}

function valueKindOf(field: DescField): ValueKind {
  switch (field.fieldKind) {
    case "scalar":
      return { kind: "scalar", scalar: field.scalar, asString: field.longAsString };
    case "enum":
      return { kind: "enum", field };
    case "message":
      return { kind: "message", message: field.message, wrapper: !field.oneof && WRAPPERS.has(field.message.typeName) };
    case "list":
    case "map": {
      const k = field.fieldKind === "list" ? field.listKind : field.mapKind;
      if (k === "message") return { kind: "message", message: field.message!, wrapper: false };
      if (k === "enum") return { kind: "enum", field };
      return {
        kind: "scalar",
        scalar: field.scalar!,
        asString: field.fieldKind === "list" && field.listKind === "scalar" && field.longAsString,
      };
    }
  }
}

function wireTypeOf(kind: ValueKind): number {
  if (kind.kind === "scalar") return SCALARS[kind.scalar].wt;
  return kind.kind === "enum" ? 0 : 2;
}

function tag(no: number, wt: number): number {
  return ((no << 3) | wt) >>> 0;
}

/** A 64-bit value held as a string (jstype = JS_STRING) goes to the writer as a bigint. */
function asBigInt(kind: ValueKind, v: string): string {
  return kind.kind === "scalar" && kind.asString ? `BigInt(${v})` : v;
}

/** The statement writing a tag: one byte for fields 1-15. */
function tagWrite(no: number, wt: number): string {
  const t = tag(no, wt);
  return t < 0x80 ? `w.uint8(${t})` : `w.varint32(${t})`;
}

/** A map key (always a string property) converted to the key's scalar type. */
function keyFromString(key: ScalarType): string {
  switch (key) {
    case ScalarType.STRING:
      return "k";
    case ScalarType.BOOL:
      return `k === "true"`;
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return "BigInt(k)";
    default:
      return "Number.parseInt(k)";
  }
}

/** Map key types protoc-gen-es types as number. */
function isNumberKey(key: ScalarType): boolean {
  return SCALARS[key].ts === "number";
}

/** A condition on `tag >>> 3` that holds for the given field numbers. */
function knownNumbers(numbers: number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    const lo = sorted[i]!;
    const hi = sorted[j]!;
    parts.push(lo === hi ? `tag >>> 3 === ${lo}` : `(tag >>> 3 >= ${lo} && tag >>> 3 <= ${hi})`);
    i = j + 1;
  }
  return parts.join(" || ");
}

/** "1: uint64 id", "7: map<string, Point> points", "9: optional bool flagged (oneof kind)". */
function describe(field: DescField): string {
  let type: string;
  const kind = valueKindOf(field);
  const valueName =
    kind.kind === "scalar" ? SCALAR_NAMES[kind.scalar] : kind.kind === "enum" ? field.enum!.typeName : kind.message.typeName;
  if (field.fieldKind === "map") type = `map<${SCALAR_NAMES[field.mapKey]}, ${valueName}>`;
  else if (field.fieldKind === "list") type = `repeated ${valueName}`;
  else if (field.presence !== 2 && !field.oneof && field.fieldKind !== "message") type = `optional ${valueName}`;
  else type = valueName;
  return `${field.number}: ${type} ${field.name}${field.oneof ? ` (oneof ${field.oneof.name})` : ""}`;
}
