// The C layout algorithm: the one place that decides where every byte of a
// C-layout message goes. The code generator's emit-c-header.ts prints it as a
// C struct and emit-packet-views.ts as TypeScript DataView accessors, so the
// two cannot disagree; `protochan breaking` compares two versions of it. It
// lives here, not in codegen/ (a separate package), because the CLI ships in
// the runtime package; and not in src/, whose errors are runtime
// ProtochanErrors: these are schema errors in the code generator's style. Rules (docs/c-guide.md): fields in field-number order, natural
// alignment, explicit zeroed padding members, size rounded up to the struct's
// alignment, little-endian. Anything that cannot be laid out is a CLayoutError
// naming file:line:column and the field, and saying what to do.
import { ScalarType, type DescEnum, type DescField, type DescFile, type DescMessage, type DescOneof } from "@bufbuild/protobuf";
import { FeatureSet_FieldPresence } from "@bufbuild/protobuf/wkt";
import type { FieldLayoutOptions, MessageLayoutOptions, ProtochanOptions } from "../src/schema/options.js";
import { typeIdOf } from "../src/wire/type-id.js";
import { collectErrors, throwCollected } from "./collect-errors.js";

/** A fixed-width C scalar. bool is stored as uint8_t (0 or 1). */
export type CPrim = "bool" | "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32" | "int64" | "uint64" | "float" | "double";

export const PRIM_SIZE: Readonly<Record<CPrim, number>> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float: 4,
  double: 8,
};

export const PRIM_C_TYPE: Readonly<Record<CPrim, string>> = {
  bool: "uint8_t",
  int8: "int8_t",
  uint8: "uint8_t",
  int16: "int16_t",
  uint16: "uint16_t",
  int32: "int32_t",
  uint32: "uint32_t",
  int64: "int64_t",
  uint64: "uint64_t",
  float: "float",
  double: "double",
};

/** Handle index meaning "no handle". */
export const HANDLE_NONE = 0xffffffff;
export const SENDER_HANDLE = "protochan.v1.SenderHandle";
export const RECEIVER_HANDLE = "protochan.v1.ReceiverHandle";

/** What one element of a field is. */
export type Elem =
  | { readonly kind: "prim"; readonly prim: CPrim; readonly enum?: DescEnum }
  | { readonly kind: "handle"; readonly direction: "sender" | "receiver"; readonly payload: string }
  | { readonly kind: "struct"; readonly layout: StructLayout };

/** One member of a C struct or union, as printed in the header. */
export interface CMember {
  readonly name: string;
  /** C type of one element: "uint32_t", "char", a struct or union name. */
  readonly cType: string;
  /** Array length, or undefined for a single element. */
  readonly array: number | undefined;
  readonly offset: number;
  readonly size: number;
  readonly align: number;
  /** What the member is for; "padding" members are always zero. */
  readonly role: "value" | "length" | "count" | "presence" | "case" | "union" | "padding";
  readonly struct?: StructLayout;
  readonly union?: UnionLayout;
}

/** How a proto field or oneof maps onto members. Offsets are relative to the enclosing struct or union. */
export type FieldPlan =
  | { readonly kind: "value"; readonly field: DescField; readonly elem: Elem; readonly member: CMember; readonly presence?: CMember }
  | {
      readonly kind: "string" | "bytes";
      readonly field: DescField;
      readonly member: CMember;
      /** The uint32_t length member; undefined with fixed_length. */
      readonly length?: CMember;
      readonly capacity: number;
      readonly presence?: CMember;
    }
  | {
      readonly kind: "list";
      readonly field: DescField;
      readonly elem: Elem;
      readonly member: CMember;
      /** The uint32_t count member; undefined with fixed_count. */
      readonly count?: CMember;
      readonly capacity: number;
    }
  | {
      readonly kind: "oneof";
      readonly oneof: DescOneof;
      /** uint32_t: number of the set field, 0 = none. */
      readonly caseMember: CMember;
      readonly member: CMember;
      readonly union: UnionLayout;
      /** One plan per member field; their offsets are within the union (all 0). */
      readonly arms: readonly FieldPlan[];
    };

export interface UnionLayout {
  readonly oneof: DescOneof;
  readonly cName: string;
  readonly size: number;
  readonly align: number;
  readonly arms: readonly CMember[];
}

export interface StructLayout {
  readonly message: DescMessage;
  /** C identifier: the full type name with dots replaced, e.g. protochan_v1_FrameHeader. */
  readonly cName: string;
  readonly size: number;
  readonly align: number;
  readonly layoutVersion: number;
  readonly typeId: bigint;
  /** Every member in order, padding included. */
  readonly members: readonly CMember[];
  /** One plan per field or oneof, in field-number order. */
  readonly fields: readonly FieldPlan[];
}

/** A schema that cannot be laid out in C. The message names file:line:column and the field. */
export class CLayoutError extends Error {
  readonly code = "PROTOCHAN_C_LAYOUT";
  override readonly name = "CLayoutError";
  constructor(
    /** "example/v1/packets.proto:12:3" */
    readonly location: string,
    /** Full name of the field, oneof or message. */
    readonly subject: string,
    problem: string,
  ) {
    super(`${location}: ${subject}: ${problem}`);
  }
}

/** Where a descriptor is declared: its file's name and a 1-based line and column (undefined without source code info). */
export interface SourceLocation {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
}

export function sourceLocationOf(desc: DescMessage | DescField | DescOneof | DescEnum): SourceLocation {
  const file: DescFile = desc.kind === "field" || desc.kind === "oneof" ? desc.parent.file : desc.file;
  const path = sourcePathOf(desc);
  const loc = file.proto.sourceCodeInfo?.location.find((l) => l.path.length === path.length && l.path.every((p, i) => p === path[i]));
  const name = file.proto.name;
  if (loc === undefined || loc.span.length < 2) return { file: name, line: undefined, column: undefined };
  return { file: name, line: (loc.span[0] ?? 0) + 1, column: (loc.span[1] ?? 0) + 1 };
}

/** "file.proto:line:column" of a descriptor, 1-based, from the file's source code info. */
export function locationOf(desc: DescMessage | DescField | DescOneof | DescEnum): string {
  const { file, line, column } = sourceLocationOf(desc);
  return `${file}:${line ?? "?"}:${column ?? "?"}`;
}

/** The descriptor's path in its file's source code info (as @bufbuild/protoplugin's getComments computes it). */
function sourcePathOf(desc: DescMessage | DescField | DescOneof | DescEnum): number[] {
  // Field numbers of FileDescriptorProto / DescriptorProto.
  const FILE_MESSAGE = 4,
    FILE_ENUM = 5,
    NESTED_MESSAGE = 3,
    NESTED_ENUM = 4,
    FIELD = 2,
    ONEOF = 8;
  switch (desc.kind) {
    case "field":
      return [...sourcePathOf(desc.parent), FIELD, desc.parent.proto.field.indexOf(desc.proto)];
    case "oneof":
      return [...sourcePathOf(desc.parent), ONEOF, desc.parent.proto.oneofDecl.indexOf(desc.proto)];
    case "message":
      return desc.parent === undefined
        ? [FILE_MESSAGE, desc.file.proto.messageType.indexOf(desc.proto)]
        : [...sourcePathOf(desc.parent), NESTED_MESSAGE, desc.parent.proto.nestedType.indexOf(desc.proto)];
    case "enum":
      return desc.parent === undefined
        ? [FILE_ENUM, desc.file.proto.enumType.indexOf(desc.proto)]
        : [...sourcePathOf(desc.parent), NESTED_ENUM, desc.parent.proto.enumType.indexOf(desc.proto)];
  }
}

/** The C identifier of a message or enum: its full name with "." -> "_". */
export function cNameOf(desc: DescMessage | DescEnum): string {
  return desc.typeName.replaceAll(".", "_");
}

const C_KEYWORDS = new Set(
  (
    "auto break case char const continue default do double else enum extern float for goto if inline int long " +
    "register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while " +
    "alignas alignof and asm bool catch class compl concept consteval constexpr constinit const_cast decltype " +
    "delete dynamic_cast explicit export false friend mutable namespace new noexcept not nullptr operator or " +
    "private protected public reinterpret_cast requires static_assert static_cast template this thread_local " +
    "throw true try typeid typename using virtual wchar_t xor char8_t char16_t char32_t co_await co_return co_yield"
  ).split(" "),
);

const INTEGER_SCALARS: ReadonlyMap<ScalarType, CPrim> = new Map([
  [ScalarType.INT32, "int32"],
  [ScalarType.SINT32, "int32"],
  [ScalarType.SFIXED32, "int32"],
  [ScalarType.UINT32, "uint32"],
  [ScalarType.FIXED32, "uint32"],
  [ScalarType.INT64, "int64"],
  [ScalarType.SINT64, "int64"],
  [ScalarType.SFIXED64, "int64"],
  [ScalarType.UINT64, "uint64"],
  [ScalarType.FIXED64, "uint64"],
]);

const NARROWED: readonly (CPrim | undefined)[] = [undefined, "uint8", "uint16", "int8", "int16"];
const PRIM_RANGE: Partial<Record<CPrim, readonly [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-(2 ** 31), 2 ** 31 - 1],
};

/** Lays out the C-layout messages of one request; results are cached per message. */
export class CLayouts {
  private readonly cache = new Map<string, StructLayout>();
  private readonly failed = new Map<string, unknown>();
  private readonly inProgress = new Set<string>();
  private readonly knownMessages: ReadonlySet<string>;

  constructor(
    private readonly options: ProtochanOptions,
    allFiles: readonly DescFile[],
  ) {
    const names = new Set<string>();
    const walk = (ms: readonly DescMessage[]) => {
      for (const m of ms) {
        names.add(m.typeName);
        walk(m.nestedMessages);
      }
    };
    for (const f of allFiles) walk(f.messages);
    this.knownMessages = names;
  }

  isCLayout(message: DescMessage): boolean {
    return this.options.forMessage(message).cLayout;
  }

  /** Layouts of the C-layout messages declared in a file (nested ones included), in declaration order. */
  layoutsOf(file: DescFile): StructLayout[] {
    const out: StructLayout[] = [];
    const walk = (ms: readonly DescMessage[]) => {
      for (const m of ms) {
        if (this.isCLayout(m)) out.push(this.layoutOf(m));
        walk(m.nestedMessages);
      }
    };
    walk(file.messages);
    return out;
  }

  layoutOf(message: DescMessage): StructLayout {
    const cached = this.cache.get(message.typeName);
    if (cached !== undefined) return cached;
    // A message that failed fails the same way when met again (a cycle is one problem, not one per member).
    const failed = this.failed.get(message.typeName);
    if (failed !== undefined) throw failed;
    const mopts = this.options.forMessage(message);
    if (!mopts.cLayout) {
      throw new CLayoutError(
        locationOf(message),
        message.typeName,
        "not a C-layout message; set option (protochan.v1.message).c_layout = true",
      );
    }
    this.inProgress.add(message.typeName);
    try {
      const layout = this.build(message, mopts);
      this.cache.set(message.typeName, layout);
      return layout;
    } catch (err) {
      this.failed.set(message.typeName, err);
      throw err;
    } finally {
      this.inProgress.delete(message.typeName);
    }
  }

  private build(message: DescMessage, mopts: MessageLayoutOptions): StructLayout {
    const cName = cNameOf(message);
    if (message.fields.length === 0) {
      throw new CLayoutError(
        locationOf(message),
        message.typeName,
        "a C-layout message needs at least one field (C has no empty structs); add a field or remove c_layout",
      );
    }
    const b = new MemberBuilder();
    const fields: FieldPlan[] = [];
    const doneOneofs = new Set<DescOneof>();
    const byNumber = [...message.fields].sort((x, y) => x.number - y.number);
    const problems: Error[] = [];
    for (const field of byNumber) {
      const oneof = field.oneof;
      if (oneof !== undefined) {
        // A oneof sits where its lowest-numbered field would.
        if (doneOneofs.has(oneof)) continue;
        doneOneofs.add(oneof);
        collectErrors(problems, () => fields.push(this.planOneof(message, oneof, b)));
      } else {
        collectErrors(problems, () => fields.push(this.planField(field, b, false)));
      }
    }
    throwCollected(problems);
    const { members, size, align } = b.finish();
    checkNames(message, members);
    return {
      message,
      cName,
      size,
      align,
      members,
      fields,
      layoutVersion: mopts.layoutVersion,
      typeId: typeIdOf(message.typeName),
    };
  }

  private planOneof(message: DescMessage, oneof: DescOneof, b: MemberBuilder): FieldPlan {
    const caseMember = b.prim(`${oneof.name}_case`, "uint32", "case");
    const armBuilder = new MemberBuilder();
    const arms: FieldPlan[] = [];
    const fields = [...oneof.fields].sort((x, y) => x.number - y.number);
    for (const field of fields) {
      armBuilder.reset();
      arms.push(this.planField(field, armBuilder, true));
    }
    const armMembers = arms.map((a) => a.member);
    const align = Math.max(1, ...armMembers.map((m) => m.align));
    const size = roundUp(Math.max(...armMembers.map((m) => m.size)), align);
    const union: UnionLayout = { oneof, cName: `${cNameOf(message)}_${oneof.name}_union`, size, align, arms: armMembers };
    const member = b.add({ name: oneof.name, cType: union.cName, array: undefined, size, align, role: "union", union });
    return { kind: "oneof", oneof, caseMember, member, union, arms };
  }

  private planField(field: DescField, b: MemberBuilder, inOneof: boolean): FieldPlan {
    const opts = this.options.forField(field);
    const fail = (problem: string): never => {
      throw new CLayoutError(locationOf(field), `${field.parent.typeName}.${field.name}`, problem);
    };
    this.checkOptionTargets(field, opts, fail);
    const explicitPresence =
      !inOneof &&
      (field.fieldKind === "message"
        ? field.proto.proto3Optional === true
        : (field.fieldKind === "scalar" || field.fieldKind === "enum") && field.presence === FeatureSet_FieldPresence.EXPLICIT);
    const presence = explicitPresence ? b.prim(`has_${field.name}`, "uint8", "presence") : undefined;

    switch (field.fieldKind) {
      case "map":
        return fail(
          "map fields cannot be laid out in C; use a repeated field of a C-layout entry message " +
            "with (protochan.v1.field).max_count, or remove c_layout from the message",
        );
      case "list": {
        if (opts.maxCount > 0 && opts.fixedCount > 0) {
          fail("set either (protochan.v1.field).max_count or fixed_count, not both");
        }
        const capacity = opts.maxCount || opts.fixedCount;
        if (capacity === 0) {
          fail(
            "repeated fields need a bound: set (protochan.v1.field).max_count = N (uint32 count + array) " +
              "or fixed_count = N (array only)",
          );
        }
        if (inOneof) fail("unreachable: repeated field in a oneof");
        if (field.listKind === "scalar" && (field.scalar === ScalarType.STRING || field.scalar === ScalarType.BYTES)) {
          fail("repeated string/bytes cannot be laid out in C; use a repeated C-layout message with one bounded " + "string/bytes field");
        }
        const elem =
          field.listKind === "message"
            ? this.messageElem(field, field.message, opts, fail)
            : this.primElem(
                field,
                field.listKind === "enum" ? undefined : field.scalar,
                field.listKind === "enum" ? field.enum : undefined,
                opts,
                fail,
              );
        const count = opts.maxCount > 0 ? b.prim(`${field.name}_count`, "uint32", "count") : undefined;
        const member = b.elemArray(field.name, elem, capacity);
        return count === undefined
          ? { kind: "list", field, elem, member, capacity }
          : { kind: "list", field, elem, member, capacity, count };
      }
      case "scalar":
        if (field.scalar === ScalarType.STRING || field.scalar === ScalarType.BYTES) {
          const kind = field.scalar === ScalarType.STRING ? "string" : "bytes";
          if (opts.maxLength > 0 && opts.fixedLength > 0) {
            fail("set either (protochan.v1.field).max_length or fixed_length, not both");
          }
          const capacity = opts.maxLength || opts.fixedLength;
          if (capacity === 0) {
            fail(
              `${kind} fields need a bound: set (protochan.v1.field).max_length = N (uint32 length + array) ` +
                "or fixed_length = N (array only)",
            );
          }
          if (inOneof && opts.maxLength > 0) {
            fail(
              "a oneof member cannot have a length member; use fixed_length, or move the field into a " +
                "C-layout message and make that message the oneof member",
            );
          }
          const length = opts.maxLength > 0 ? b.prim(`${field.name}_len`, "uint32", "length") : undefined;
          const member = b.add({
            name: field.name,
            cType: kind === "string" ? "char" : "uint8_t",
            array: capacity,
            size: capacity,
            align: 1,
            role: "value",
          });
          const plan = { kind, field, member, capacity } as const;
          return { ...plan, ...(length ? { length } : {}), ...(presence ? { presence } : {}) };
        }
        return this.single(field, this.primElem(field, field.scalar, undefined, opts, fail), b, presence);
      case "enum":
        return this.single(field, this.primElem(field, undefined, field.enum, opts, fail), b, presence);
      case "message":
        return this.single(field, this.messageElem(field, field.message, opts, fail), b, presence);
    }
  }

  private single(field: DescField, elem: Elem, b: MemberBuilder, presence: CMember | undefined): FieldPlan {
    const member = b.elemArray(field.name, elem, undefined);
    return presence ? { kind: "value", field, elem, member, presence } : { kind: "value", field, elem, member };
  }

  /** Options that only make sense on some field kinds. */
  private checkOptionTargets(field: DescField, opts: FieldLayoutOptions, fail: (p: string) => never): void {
    const isStringOrBytes = field.fieldKind === "scalar" && (field.scalar === ScalarType.STRING || field.scalar === ScalarType.BYTES);
    if ((opts.maxLength > 0 || opts.fixedLength > 0) && !isStringOrBytes) {
      fail(
        "max_length/fixed_length apply to singular string and bytes fields only; use max_count/fixed_count " +
          "on repeated fields, or remove the option",
      );
    }
    if ((opts.maxCount > 0 || opts.fixedCount > 0) && field.fieldKind !== "list") {
      fail("max_count/fixed_count apply to repeated fields only; remove the option");
    }
    const isHandle =
      (field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message")) &&
      handleDirection(field.message) !== undefined;
    if (opts.payload !== "" && !isHandle) {
      fail("(protochan.v1.field).payload applies to protochan.v1.SenderHandle/ReceiverHandle fields only; remove it");
    }
  }

  private primElem(
    _field: DescField,
    scalar: ScalarType | undefined,
    enumDesc: DescEnum | undefined,
    opts: FieldLayoutOptions,
    fail: (p: string) => never,
  ): Elem {
    const natural: CPrim | undefined =
      enumDesc !== undefined
        ? "int32"
        : scalar === undefined
          ? undefined
          : scalar === ScalarType.BOOL
            ? "bool"
            : scalar === ScalarType.FLOAT
              ? "float"
              : scalar === ScalarType.DOUBLE
                ? "double"
                : INTEGER_SCALARS.get(scalar);
    if (natural === undefined) return fail("this field type cannot be laid out in C");
    let prim: CPrim = natural;
    if (opts.cType !== 0) {
      const narrowed = NARROWED[opts.cType];
      if (narrowed === undefined) fail(`unknown (protochan.v1.field).c_type ${opts.cType}`);
      if (enumDesc === undefined && (scalar === undefined || !INTEGER_SCALARS.has(scalar))) {
        fail("(protochan.v1.field).c_type narrows integer and enum fields only; remove it from this field");
      }
      prim = narrowed as CPrim;
    }
    if (enumDesc !== undefined) {
      const range = PRIM_RANGE[prim];
      const bad = range && enumDesc.values.find((v) => v.number < range[0] || v.number > range[1]);
      if (bad) {
        fail(`enum value ${bad.name} = ${bad.number} does not fit c_type ${prim}; choose a wider c_type`);
      }
      return { kind: "prim", prim, enum: enumDesc };
    }
    return { kind: "prim", prim };
  }

  private messageElem(_field: DescField, message: DescMessage, opts: FieldLayoutOptions, fail: (p: string) => never): Elem {
    if (opts.cType !== 0) fail("(protochan.v1.field).c_type narrows integer and enum fields only; remove it from this field");
    const direction = handleDirection(message);
    if (direction !== undefined) {
      if (opts.payload === "") {
        fail(`a ${message.typeName} field needs (protochan.v1.field).payload = "<full message name>" naming what the channel carries`);
      }
      const payload = opts.payload.replace(/^\./, "");
      if (!this.knownMessages.has(payload)) {
        fail(
          `(protochan.v1.field).payload "${opts.payload}" is not a message known to this schema; ` +
            'use a full name like "example.v1.Event" and import its file',
        );
      }
      return { kind: "handle", direction, payload };
    }
    if (message.typeName === "google.protobuf.Any") {
      fail(
        "google.protobuf.Any cannot be laid out in C (its size is unbounded); use a oneof of C-layout messages, " +
          "or bounded bytes with max_length",
      );
    }
    if (this.inProgress.has(message.typeName)) {
      fail(`recursive reference to ${message.typeName}: a C struct cannot contain itself; use a handle or an index instead`);
    }
    if (!this.isCLayout(message)) {
      fail(
        `${message.typeName} is not a C-layout message; set option (protochan.v1.message).c_layout = true ` +
          "on it, or remove c_layout from this message",
      );
    }
    return { kind: "struct", layout: this.layoutOf(message) };
  }
}

function handleDirection(message: DescMessage): "sender" | "receiver" | undefined {
  return message.typeName === SENDER_HANDLE ? "sender" : message.typeName === RECEIVER_HANDLE ? "receiver" : undefined;
}

/** Member names must be unique C identifiers, and not C or C++ keywords. */
function checkNames(message: DescMessage, members: readonly CMember[]): void {
  const seen = new Set<string>();
  for (const m of members) {
    if (m.role === "padding") continue;
    const names = [m.name, ...(m.union?.arms.map((a) => a.name) ?? [])];
    for (const name of names) {
      const field =
        message.fields.find((f) => f.name === name) ??
        message.fields.find(
          (f) =>
            [f.name, `${f.name}_len`, `${f.name}_count`, `has_${f.name}`].includes(name) ||
            (f.oneof !== undefined && [f.oneof.name, `${f.oneof.name}_case`].includes(name)),
        );
      const where = field ? locationOf(field) : locationOf(message);
      const subject = `${message.typeName}.${field?.name ?? name}`;
      if (C_KEYWORDS.has(name)) {
        throw new CLayoutError(where, subject, `"${name}" is a C or C++ keyword; rename the field`);
      }
      if (name.startsWith("_pad")) {
        throw new CLayoutError(where, subject, `"${name}" is reserved for padding members; rename the field`);
      }
      if (m.union === undefined || name === m.name) {
        if (seen.has(name)) {
          throw new CLayoutError(
            where,
            subject,
            `the C member "${name}" would be declared twice (generated _len/_count/_case/has_ members use such names); rename the field`,
          );
        }
        seen.add(name);
      }
    }
  }
}

function roundUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/** Appends members at natural alignment, inserting explicit padding. */
class MemberBuilder {
  private members: CMember[] = [];
  private offset = 0;
  private align = 1;
  private pads = 0;

  reset(): void {
    this.members = [];
    this.offset = 0;
    this.align = 1;
  }

  add(m: Omit<CMember, "offset">): CMember {
    this.padTo(m.align);
    const member: CMember = { ...m, offset: this.offset };
    this.members.push(member);
    this.offset += m.size;
    this.align = Math.max(this.align, m.align);
    return member;
  }

  prim(name: string, prim: CPrim, role: CMember["role"]): CMember {
    const size = PRIM_SIZE[prim];
    return this.add({ name, cType: PRIM_C_TYPE[prim], array: undefined, size, align: size, role });
  }

  /** One element (array undefined) or an array of elements. */
  elemArray(name: string, elem: Elem, array: number | undefined): CMember {
    const n = array ?? 1;
    switch (elem.kind) {
      case "prim": {
        const s = PRIM_SIZE[elem.prim];
        return this.add({ name, cType: PRIM_C_TYPE[elem.prim], array, size: s * n, align: s, role: "value" });
      }
      case "handle":
        return this.add({ name, cType: "uint32_t", array, size: 4 * n, align: 4, role: "value" });
      case "struct":
        return this.add({
          name,
          cType: elem.layout.cName,
          array,
          size: elem.layout.size * n,
          align: elem.layout.align,
          role: "value",
          struct: elem.layout,
        });
    }
  }

  private padTo(align: number): void {
    const gap = roundUp(this.offset, align) - this.offset;
    if (gap === 0) return;
    this.members.push({
      name: `_pad${this.pads++}`,
      cType: "uint8_t",
      array: gap,
      offset: this.offset,
      size: gap,
      align: 1,
      role: "padding",
    });
    this.offset += gap;
  }

  finish(): { members: CMember[]; size: number; align: number } {
    this.padTo(this.align);
    return { members: this.members, size: this.offset, align: this.align };
  }
}

/** One layout computation per code generator request, shared by both emitters. */
const perRequest = new WeakMap<object, CLayouts>();

export function cLayoutsFor(key: object, options: ProtochanOptions, allFiles: readonly DescFile[]): CLayouts {
  let layouts = perRequest.get(key);
  if (layouts === undefined) {
    layouts = new CLayouts(options, allFiles);
    perRequest.set(key, layouts);
  }
  return layouts;
}
