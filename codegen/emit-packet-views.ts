// Emits zero-copy TypeScript views (<file>_packet.ts) for C-layout messages:
// per message a view class (DataView getters/setters at the offsets
// c-layout.ts computed, the same ones the C header asserts), a plain-object
// interface for toObject()/assign(), and a packet channel type.
import type { DescFile } from "@bufbuild/protobuf";
import { getComments, getDeclarationString, type GeneratedFile, type Printable } from "@bufbuild/protoplugin";
import type { EmitContext } from "./plugin.js";
import { PRIM_SIZE, type CMember, type CPrim, type Elem, type FieldPlan, type StructLayout } from "../layout/c-layout.js";
import { cLayoutsOf, dependencyOrder, headerName } from "./emit-c-header.js";
import { shapeName } from "./names.js";

/** Instance members of PacketViewBase: a field with such a name gets a "$" suffix. */
const RESERVED = new Set(["bytes", "view", "copy", "toObject", "assign", "constructor"]);

const DATAVIEW: Readonly<Record<CPrim, string>> = {
  bool: "Uint8",
  int8: "Int8",
  uint8: "Uint8",
  int16: "Int16",
  uint16: "Uint16",
  int32: "Int32",
  uint32: "Uint32",
  int64: "BigInt64",
  uint64: "BigUint64",
  float: "Float32",
  double: "Float64",
};

const INT_RANGE: Partial<Record<CPrim, string>> = {
  int8: "-0x80, 0x7f",
  uint8: "0, 0xff",
  int16: "-0x8000, 0x7fff",
  uint16: "0, 0xffff",
  int32: "-0x80000000, 0x7fffffff",
  uint32: "0, 0xffffffff",
};

export function viewName(layout: StructLayout): string {
  return `${shapeName(layout.message)}View`;
}

function objectName(layout: StructLayout): string {
  return `${shapeName(layout.message)}Object`;
}

function propName(localName: string): string {
  return RESERVED.has(localName) ? `${localName}$` : localName;
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function emitPacketViews(ctx: EmitContext, file: DescFile): void {
  const layouts = cLayoutsOf(ctx).layoutsOf(file);
  if (layouts.length === 0) return;
  const f = ctx.schema.generateFile(`${file.name}_packet.ts`);
  f.preamble(file);
  new ViewWriter(ctx, f, file).writeAll(layouts);
}

class ViewWriter {
  private readonly rt: string;

  constructor(
    ctx: EmitContext,
    private readonly f: GeneratedFile,
    private readonly file: DescFile,
  ) {
    this.rt = ctx.schema.options.runtime;
  }

  private rtImport(name: string, typeOnly = false): Printable {
    return this.f.import(name, this.rt, typeOnly);
  }

  /** The view class or object interface of a nested struct, imported when it lives in another file. */
  private structRef(layout: StructLayout, kind: "view" | "object"): Printable {
    const name = kind === "view" ? viewName(layout) : objectName(layout);
    if (layout.message.file.name === this.file.name) return name;
    return this.f.import(name, `./${layout.message.file.name}_packet.js`, kind === "object");
  }

  writeAll(layouts: readonly StructLayout[]): void {
    // Nested structs first: a layout table refers to the tables of the structs it nests.
    for (const layout of dependencyOrder(layouts)) this.writeMessage(layout);
  }

  private writeMessage(s: StructLayout): void {
    const f = this.f;
    const name = viewName(s);
    const fullName = (plan: FieldPlan) => `${s.message.typeName}.${plan.kind === "oneof" ? plan.oneof.name : plan.field.name}`;

    // Oneof case types.
    for (const plan of s.fields) {
      if (plan.kind !== "oneof") continue;
      for (const flavour of ["View", "Object"] as const) {
        f.print(
          f.jsDoc(
            `Oneof ${fullName(plan)}${flavour === "View" ? " as the view returns it (struct members are views)" : " as a plain value"}.`,
          ),
        );
        f.print(f.export("type", `${shapeName(s.message)}${pascal(plan.oneof.localName)}${flavour}`), " =");
        for (const arm of plan.arms) {
          if (arm.kind === "oneof") continue;
          const t = this.types(arm);
          f.print(`  | { case: "${arm.field.localName}"; value: `, flavour === "View" ? t.view : t.object, " }");
        }
        f.print("  | { case: undefined; value?: undefined };");
        f.print();
      }
    }

    // Plain-object interface.
    f.print(f.jsDoc(`${s.message.typeName} as a plain object: what ${name}.toObject() returns and assign() takes.`));
    f.print(f.export("interface", objectName(s)), " {");
    for (const plan of s.fields) {
      const t = this.types(plan);
      const optional = plan.kind !== "oneof" && plan.kind !== "list" && plan.presence !== undefined;
      f.print("  ", this.prop(plan), optional ? "?: " : ": ", t.object, ";");
    }
    f.print("}");
    f.print();

    // View class.
    const comments = getComments(s.message).leading?.trim();
    f.print(
      f.jsDoc(
        (comments ? `${comments}\n\n` : "") +
          `Zero-copy view of ${s.message.typeName}: C struct \`${s.cName}\` in ${headerName(s.message.file)}, ` +
          `${s.size} bytes, aligned to ${s.align}.\n` +
          `${name}.wrap(bytes) views bytes in place, ${name}.create() allocates a zeroed packet.`,
      ),
    );
    f.print(f.export("class", name), " extends ", this.rtImport("PacketViewBase"), " {");
    f.print("  static readonly layout: ", this.rtImport("PacketLayout", true), " = {");
    f.print(`    typeName: "${s.message.typeName}",`);
    f.print(`    cName: "${s.cName}",`);
    f.print(`    typeId: 0x${s.typeId.toString(16).padStart(16, "0")}n,`);
    f.print(`    size: ${s.size},`);
    f.print(`    align: ${s.align},`);
    f.print(`    layoutVersion: ${s.layoutVersion},`);
    f.print("    members: [");
    for (const m of s.members) {
      f.print(`      { name: "${m.name}", offset: ${m.offset}, size: ${m.size} },`);
      for (const arm of m.union?.arms ?? []) {
        f.print(`      { name: "${m.name}.${arm.name}", offset: ${m.offset + arm.offset}, size: ${arm.size} },`);
      }
    }
    f.print("    ],");
    this.writeHandleTables(s);
    f.print("  };");

    for (const plan of s.fields) {
      f.print();
      const t = this.types(plan);
      const prop = this.prop(plan);
      f.print(f.jsDoc(fieldDoc(plan), "  "));
      if (plan.kind === "oneof") {
        this.writeOneof(s, plan, prop, fullName(plan));
        continue;
      }
      const presence = plan.kind !== "list" ? plan.presence : undefined;
      const getType = presence ? [t.view, " | undefined"] : t.view;
      const setType = presence ? [t.set, " | undefined"] : t.set;
      f.print("  get ", prop, "(): ", getType, " {");
      const read = this.read(plan, 0, fullName(plan));
      f.print("    return ", presence ? [`this.view.getUint8(${presence.offset}) === 0 ? undefined : `, read] : read, ";");
      f.print("  }");
      f.print("  set ", prop, "(v: ", setType, ") {");
      if (presence) {
        // Absent: everything after the presence byte (length included) is zero.
        const from = presence.offset + 1;
        f.print(
          `    if (v === undefined) `,
          this.rtImport("PacketIO"),
          `.zero(this, ${from}, ${plan.member.offset + plan.member.size - from});`,
        );
        f.print(`    else `, this.write(plan, 0, "v", fullName(plan)));
        f.print(`    this.view.setUint8(${presence.offset}, v === undefined ? 0 : 1);`);
      } else {
        f.print("    ", this.write(plan, 0, "v", fullName(plan)));
      }
      f.print("  }");
    }

    // toObject / assign.
    f.print();
    f.print("  toObject(): ", objectName(s), " {");
    f.print("    return {");
    for (const plan of s.fields) {
      const prop = this.prop(plan);
      f.print("      ", prop, ": ", this.toObject(plan, `this.${prop}`), ",");
    }
    f.print("    };");
    f.print("  }");
    f.print();
    f.print("  /** Sets the fields present in v; returns this. */");
    f.print("  assign(v: Partial<", objectName(s), ">): this {");
    for (const plan of s.fields) {
      const prop = this.prop(plan);
      const optional = plan.kind !== "oneof" && plan.kind !== "list" && plan.presence !== undefined;
      f.print(
        optional ? `    if ("${prop}" in v) this.${prop} = v.${prop};` : `    if (v.${prop} !== undefined) this.${prop} = v.${prop};`,
      );
    }
    f.print("    return this;");
    f.print("  }");
    f.print("}");
    f.print();

    // Channel.
    f.print(
      f.jsDoc(
        `A channel of ${s.message.typeName} packets: each message is the raw ${s.size}-byte struct, ` +
          `wire type id 0x${s.typeId.toString(16).padStart(16, "0")} (${s.cName}_TYPE_ID).`,
      ),
    );
    f.print(
      f.export("const", `${shapeName(s.message)}PacketChannel`),
      ": ",
      this.rtImport("ChannelType", true),
      "<",
      name,
      "> = ",
      this.rtImport("definePacketChannel"),
      "(",
      name,
      ");",
    );
    f.print();
  }

  /** The `handles` and `nested` entries of a layout table (see PacketHandleSlot). */
  private writeHandleTables(s: StructLayout): void {
    const handles: Printable[] = [];
    const nested: Printable[] = [];
    const visit = (plan: FieldPlan, oneof?: { caseOffset: number; base: number }) => {
      if (plan.kind === "oneof") {
        for (const arm of plan.arms) visit(arm, { caseOffset: plan.caseMember.offset, base: plan.member.offset });
        return;
      }
      if (plan.kind !== "value" && plan.kind !== "list") return;
      const slot = [
        `offset: ${(oneof?.base ?? 0) + plan.member.offset}, `,
        `capacity: ${plan.kind === "list" ? plan.capacity : 1}, `,
        `countOffset: ${plan.kind === "list" && plan.count ? plan.count.offset : -1}, `,
        `caseOffset: ${oneof?.caseOffset ?? -1}, caseValue: ${oneof ? plan.field.number : 0}, `,
        `presenceOffset: ${plan.kind === "value" && plan.presence ? plan.presence.offset : -1}`,
      ].join("");
      const field = `${s.message.typeName}.${plan.field.name}`;
      if (plan.elem.kind === "handle") {
        handles.push(`      { field: "${field}", direction: "${plan.elem.direction}", payload: "${plan.elem.payload}", ${slot} },`);
      } else if (plan.elem.kind === "struct" && hasHandles(plan.elem.layout)) {
        nested.push(['      { field: "', field, '", layout: ', this.structRef(plan.elem.layout, "view"), `.layout, ${slot} },`]);
      }
    };
    for (const p of s.fields) visit(p);
    for (const [name, rows] of [
      ["handles", handles],
      ["nested", nested],
    ] as const) {
      if (rows.length === 0) {
        this.f.print(`    ${name}: [],`);
        continue;
      }
      this.f.print(`    ${name}: [`);
      for (const r of rows) this.f.print(r);
      this.f.print("    ],");
    }
  }

  private prop(plan: FieldPlan): string {
    return propName(plan.kind === "oneof" ? plan.oneof.localName : plan.field.localName);
  }

  private writeOneof(s: StructLayout, plan: Extract<FieldPlan, { kind: "oneof" }>, prop: string, field: string): void {
    const f = this.f;
    const base = plan.member.offset;
    const caseOff = plan.caseMember.offset;
    const typeBase = `${shapeName(s.message)}${pascal(plan.oneof.localName)}`;
    f.print("  get ", prop, "(): ", typeBase, "View {");
    f.print(`    switch (this.view.getUint32(${caseOff}, true)) {`);
    f.print("      case 0: return { case: undefined };");
    for (const arm of plan.arms) {
      if (arm.kind === "oneof") continue;
      f.print(
        `      case ${arm.field.number}: return { case: "${arm.field.localName}", value: `,
        this.read(arm, base, `${s.message.typeName}.${arm.field.name}`),
        " };",
      );
    }
    f.print(
      "      default: throw new ",
      this.rtImport("PacketRangeError"),
      `("${field}", \`unknown case \${this.view.getUint32(${caseOff}, true)}\`);`,
    );
    f.print("    }");
    f.print("  }");
    f.print("  set ", prop, "(v: ", typeBase, "Object) {");
    f.print("    // Struct members are copied first: v may be a view of this very union.");
    f.print("    const value = ", this.rtImport("PacketIO"), ".snapshot(v.value);");
    f.print("    // All or nothing: a value out of range leaves case and union as they were.");
    f.print("    ", this.rtImport("PacketIO"), `.atomic(this, ${caseOff}, ${base + plan.member.size}, () => {`);
    f.print("      ", this.rtImport("PacketIO"), `.zero(this, ${base}, ${plan.member.size});`);
    f.print("      switch (v.case) {");
    f.print(`        case undefined: this.view.setUint32(${caseOff}, 0, true); break;`);
    for (const arm of plan.arms) {
      if (arm.kind === "oneof") continue;
      f.print(`        case "${arm.field.localName}":`);
      f.print(`          this.view.setUint32(${caseOff}, ${arm.field.number}, true);`);
      f.print("          ", this.write(arm, base, `value as typeof v.value`, `${s.message.typeName}.${arm.field.name}`));
      f.print("          break;");
    }
    f.print("      }");
    f.print("    });");
    f.print("  }");
  }

  /** TypeScript types of a field: as the getter returns it, in the object interface, as the setter takes it. */
  private types(plan: FieldPlan): { view: Printable; object: Printable; set: Printable } {
    switch (plan.kind) {
      case "string":
        return { view: "string", object: "string", set: "string" };
      case "bytes":
        return { view: "Uint8Array", object: "Uint8Array", set: "Uint8Array" };
      case "value": {
        const e = this.elemTypes(plan.elem);
        return { view: e.view, object: e.object, set: e.set };
      }
      case "list": {
        const e = this.elemTypes(plan.elem);
        return { view: [e.view, "[]"], object: [e.object, "[]"], set: ["readonly ", e.set, "[]"] };
      }
      case "oneof": {
        const base = `${shapeName(plan.oneof.parent)}${pascal(plan.oneof.localName)}`;
        return { view: `${base}View`, object: `${base}Object`, set: `${base}Object` };
      }
    }
  }

  private elemTypes(e: Elem): { view: Printable; object: Printable; set: Printable } {
    switch (e.kind) {
      case "handle":
        return { view: "number", object: "number", set: "number" };
      case "struct":
        return {
          view: this.structRef(e.layout, "view"),
          object: this.structRef(e.layout, "object"),
          set: ["Partial<", this.structRef(e.layout, "object"), ">"],
        };
      case "prim": {
        const t: Printable = e.enum
          ? this.f.importShape(e.enum)
          : e.prim === "bool"
            ? "boolean"
            : e.prim === "int64" || e.prim === "uint64"
              ? "bigint"
              : "number";
        return { view: t, object: t, set: t };
      }
    }
  }

  /** Expression reading a field whose members are at `base` + their offsets. */
  private read(plan: FieldPlan, base: number, field: string): Printable {
    switch (plan.kind) {
      case "value":
        return this.readElem(plan.elem, base + plan.member.offset);
      case "oneof":
        throw new Error("unreachable: nested oneof");
      default:
        return this.ioCall(plan, base, field);
    }
  }

  /** A PacketIO call that reads (value undefined) or writes a string, bytes or repeated field. */
  private ioCall(plan: Extract<FieldPlan, { kind: "string" | "bytes" | "list" }>, base: number, field: string, value?: string): Printable {
    const io = this.rtImport("PacketIO");
    const verb = value === undefined ? "get" : "set";
    const tail = value === undefined ? `"${field}")` : `${value}, "${field}");`;
    const o = base + plan.member.offset;
    if (plan.kind !== "list") {
      return [
        io,
        `.${verb}${plan.kind === "string" ? "String" : "Bytes"}(this, ${lenOffset(plan.length, base)}, ${o}, ${plan.capacity}, `,
        tail,
      ];
    }
    const args = `(this, ${lenOffset(plan.count, base)}, ${o}, ${plan.capacity}, `;
    const e = plan.elem;
    if (e.kind === "struct") return [io, `.${verb}Structs${args}`, this.structRef(e.layout, "view"), ", ", tail];
    if (e.kind === "prim" && (e.prim === "int64" || e.prim === "uint64")) return [io, `.${verb}BigInts${args}"${e.prim}", `, tail];
    const typeArg: Printable = value === undefined ? ["<", this.elemTypes(e).view, ">"] : "";
    return [io, `.${verb}Scalars`, typeArg, `${args}"${e.kind === "handle" ? "uint32" : e.prim}", `, tail];
  }

  private readElem(e: Elem, o: number): Printable {
    switch (e.kind) {
      case "handle":
        return `this.view.getUint32(${o}, true)`;
      case "struct":
        return ["new ", this.structRef(e.layout, "view"), `(this.bytes.subarray(${o}, ${o + e.layout.size}))`];
      case "prim": {
        const le = PRIM_SIZE[e.prim] > 1 ? ", true" : "";
        const get = `this.view.get${DATAVIEW[e.prim]}(${o}${le})`;
        if (e.prim === "bool") return `${get} !== 0`;
        return e.enum ? [get, " as ", this.f.importShape(e.enum)] : get;
      }
    }
  }

  /** Statement writing `value` to a field whose members are at `base` + their offsets. */
  private write(plan: FieldPlan, base: number, value: string, field: string): Printable {
    switch (plan.kind) {
      case "value":
        return this.writeElem(plan.elem, base + plan.member.offset, value, field);
      case "oneof":
        throw new Error("unreachable: nested oneof");
      default:
        return this.ioCall(plan, base, field, value);
    }
  }

  private writeElem(e: Elem, o: number, value: string, field: string): Printable {
    switch (e.kind) {
      case "handle":
        return [`this.view.setUint32(${o}, `, this.rtImport("checkInt"), `(${value}, 0, 0xffffffff, "${field}"), true);`];
      case "struct":
        return ["new ", this.structRef(e.layout, "view"), `(this.bytes.subarray(${o}, ${o + e.layout.size})).assign(${value});`];
      case "prim": {
        const le = PRIM_SIZE[e.prim] > 1 ? ", true" : "";
        const set = `this.view.set${DATAVIEW[e.prim]}(${o}, `;
        if (e.prim === "bool") return `${set}${value} ? 1 : 0);`;
        if (e.prim === "float" || e.prim === "double") return `${set}${value}${le});`;
        if (e.prim === "int64" || e.prim === "uint64") {
          return [set, this.rtImport("checkBigInt"), `(${value}, ${e.prim === "int64"}, "${field}")${le});`];
        }
        return [set, this.rtImport("checkInt"), `(${value}, ${INT_RANGE[e.prim] ?? ""}, "${field}")${le});`];
      }
    }
  }

  /** Expression turning the getter's value `x` into its plain-object form. */
  private toObject(plan: FieldPlan, x: string): Printable {
    switch (plan.kind) {
      case "bytes":
        return plan.presence ? `${x}?.slice()` : `${x}.slice()`;
      case "value":
        if (plan.elem.kind !== "struct") return x;
        return plan.presence ? `${x}?.toObject()` : `${x}.toObject()`;
      case "list":
        return plan.elem.kind === "struct" ? `${x}.map((e) => e.toObject())` : x;
      case "oneof": {
        // Struct members become plain objects, bytes are copied; the rest is already plain.
        const convert: Printable[] = [];
        for (const arm of plan.arms) {
          if (arm.kind === "oneof") continue;
          const value = this.toObject(arm, "o.value");
          if (value === "o.value") continue;
          convert.push(`o.case === "${arm.field.localName}" ? { case: o.case, value: `, value, " } : ");
        }
        return convert.length === 0 ? x : ["((o) => ", convert, `o)(${x})`];
      }
      default:
        return x;
    }
  }
}

/** The proto comment, then where the field lives in the C struct, then its declaration. */
function fieldDoc(plan: FieldPlan): string {
  const desc = plan.kind === "oneof" ? plan.oneof : plan.field;
  const comment = getComments(desc).leading?.trim();
  const members: CMember[] =
    plan.kind === "oneof"
      ? [plan.caseMember, plan.member]
      : [
          plan.kind !== "list" ? plan.presence : undefined,
          plan.kind === "list" ? plan.count : plan.kind === "value" ? undefined : plan.length,
          plan.member,
        ].filter((m): m is CMember => m !== undefined);
  const c = members.map((m) => `\`${m.cType} ${m.name}${m.array !== undefined ? `[${m.array}]` : ""}\` at ${m.offset}`).join(", ");
  const decl = plan.kind === "oneof" ? `oneof ${plan.oneof.name}` : getDeclarationString(plan.field);
  return `${comment ? `${comment}\n\n` : ""}C: ${c}.\n\n@generated from ${decl}`;
}

/** Whether a struct holds handle fields, directly or in nested structs. */
function hasHandles(s: StructLayout): boolean {
  return s.fields.some((p) =>
    (p.kind === "oneof" ? p.arms : [p]).some(
      (a) =>
        (a.kind === "value" || a.kind === "list") && (a.elem.kind === "handle" || (a.elem.kind === "struct" && hasHandles(a.elem.layout))),
    ),
  );
}

function lenOffset(m: CMember | undefined, base: number): number {
  return m === undefined ? -1 : base + m.offset;
}
