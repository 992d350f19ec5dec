// What a channel type looks like on the wire, compactly: the messages
// reachable from its message type, each as its fields' numbers, names,
// labels and types. Two processes compare these when they connect (see
// docs/wire-format.md, "Schema negotiation"); the rules are those of buf's
// WIRE breaking category, applied to a running pair instead of two commits.
// A handle field names its payload type but does not pull it in: that type
// is compared when a handle of it first crosses the connection.
import { createHash } from "node:crypto";
import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { ProtocolError, SchemaMismatchError } from "../errors.js";
import { ProtochanOptions } from "../schema/options.js";

/** One field: number, name, label ("", "optional", "repeated" or "map"), type, and a map's key type. */
export interface FieldShape {
  readonly no: number;
  readonly name: string;
  readonly label: "" | "optional" | "repeated" | "map";
  /** A scalar (`uint64`), or `enum N`, `message N`, `sender N`, `receiver N` (N a full name); a map's value type. */
  readonly type: string;
  readonly key?: string;
}

/** A C-layout packet type: its struct, member by member (padding included). */
export interface LayoutShape {
  readonly layoutVersion: number;
  /** sizeof the struct. */
  readonly size: number;
  readonly members: readonly { readonly name: string; readonly offset: number; readonly size: number }[];
}

/** A message type and everything reachable from it (handle payloads excepted), or a C layout. */
export interface TypeShape {
  readonly root: string;
  /** Messages by full name, fields in number order (none for a C layout). */
  readonly messages: ReadonlyMap<string, readonly FieldShape[]>;
  /** Set for a C-layout packet type. */
  readonly layout?: LayoutShape;
  /** A hash of the canonical form: equal digests, equal shapes. */
  readonly digest: string;
}

/** One difference between this side's schema and the peer's that the wire tolerates. */
export interface SchemaChange {
  /** Full name of the message the field belongs to. */
  readonly typeName: string;
  /** The field's name (here, else at the peer); a C layout's member name. */
  readonly field: string;
  /** The field number; a C layout member's position, from 1. */
  readonly number: number;
  /** The field's definition here (`uint64`, `repeated string`), or undefined where it has none. */
  readonly here: string | undefined;
  /** The field's definition at the peer, or undefined where it has none. */
  readonly peer: string | undefined;
  /** e.g. `example.v1.Ping.note: absent here, string at the peer`. */
  readonly text: string;
}

/** What a connection found when it compared a channel type with the peer's. */
export interface SchemaDifference {
  /** The channel's message type, e.g. `example.v1.Ping`. */
  readonly typeName: string;
  /** Each difference, by message then field number. */
  readonly changes: readonly SchemaChange[];
}

const SCALARS = [
  "double",
  "float",
  "int64",
  "uint64",
  "int32",
  "fixed64",
  "fixed32",
  "bool",
  "string",
  "bytes",
  "uint32",
  "sfixed32",
  "sfixed64",
  "sint32",
  "sint64",
];
const SCALAR_NAMES = new Map<ScalarType, string>(
  SCALARS.map((name) => [ScalarType[name.toUpperCase() as keyof typeof ScalarType], name] as const),
);
const HANDLE_TYPES: Readonly<Record<string, "sender" | "receiver">> = {
  "protochan.v1.SenderHandle": "sender",
  "protochan.v1.ReceiverHandle": "receiver",
};

const shapes = new WeakMap<DescMessage, TypeShape>();
const optionsByFile = new WeakMap<object, ProtochanOptions>();

/** The shape of `desc` and of what it reaches (computed once per type). */
export function shapeOf(desc: DescMessage): TypeShape {
  let shape = shapes.get(desc);
  if (shape === undefined) {
    const messages = new Map<string, readonly FieldShape[]>();
    const walk = (m: DescMessage) => {
      if (messages.has(m.typeName)) return;
      const fields = m.fields.map(fieldShape).sort((a, b) => a.no - b.no);
      messages.set(m.typeName, fields);
      for (const f of m.fields) {
        const sub = f.fieldKind === "scalar" || f.fieldKind === "enum" ? undefined : f.message;
        if (sub !== undefined && HANDLE_TYPES[sub.typeName] === undefined) walk(sub);
      }
    };
    walk(desc);
    shape = withDigest(desc.typeName, messages);
    shapes.set(desc, shape);
  }
  return shape;
}

const layoutShapes = new WeakMap<LayoutShape, TypeShape>();

/** The shape of a C-layout packet type named `typeName`. */
export function shapeOfLayout(typeName: string, layout: LayoutShape): TypeShape {
  let shape = layoutShapes.get(layout);
  if (shape === undefined) {
    const own: LayoutShape = {
      layoutVersion: layout.layoutVersion,
      size: layout.size,
      members: layout.members.map(({ name, offset, size }) => ({ name, offset, size })),
    };
    shape = withDigest(typeName, new Map(), own);
    layoutShapes.set(layout, shape);
  }
  return shape;
}

function fieldShape(f: DescField): FieldShape {
  const base = { no: f.number, name: f.name };
  switch (f.fieldKind) {
    case "scalar":
      return { ...base, label: f.proto.proto3Optional ? "optional" : "", type: scalarName(f.scalar) };
    case "enum":
      return { ...base, label: f.proto.proto3Optional ? "optional" : "", type: `enum ${f.enum.typeName}` };
    case "message":
      return { ...base, label: "", type: messageType(f, f.message) };
    case "list":
      return {
        ...base,
        label: "repeated",
        type:
          f.listKind === "scalar" ? scalarName(f.scalar) : f.listKind === "enum" ? `enum ${f.enum.typeName}` : messageType(f, f.message),
      };
    case "map":
      return {
        ...base,
        label: "map",
        key: scalarName(f.mapKey),
        type: f.mapKind === "scalar" ? scalarName(f.scalar) : f.mapKind === "enum" ? `enum ${f.enum.typeName}` : messageType(f, f.message),
      };
  }
}

function scalarName(s: ScalarType): string {
  return SCALAR_NAMES.get(s) ?? "bytes";
}

function messageType(f: DescField, m: DescMessage): string {
  const handle = HANDLE_TYPES[m.typeName];
  if (handle === undefined) return `message ${m.typeName}`;
  let options = optionsByFile.get(f.parent.file);
  if (options === undefined) {
    options = ProtochanOptions.of(f.parent.file);
    optionsByFile.set(f.parent.file, options);
  }
  const payload = options.forField(f).payload;
  return payload === "" ? `message ${m.typeName}` : `${handle} ${payload}`;
}

function withDigest(root: string, messages: ReadonlyMap<string, readonly FieldShape[]>, layout?: LayoutShape): TypeShape {
  const sorted = [...messages].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([n, fs]) => [n, fs.map(tuple)]);
  const canonical = JSON.stringify([root, sorted, layout === undefined ? null : layoutTuple(layout)]);
  const digest = createHash("sha256").update(canonical).digest("hex").slice(0, 32);
  return layout === undefined ? { root, messages, digest } : { root, messages, layout, digest };
}

type LayoutTuple = [number, number, [string, number, number][]];

function layoutTuple(l: LayoutShape): LayoutTuple {
  return [l.layoutVersion, l.size, l.members.map((m) => [m.name, m.offset, m.size])];
}

type FieldTuple = [number, string, string, string] | [number, string, string, string, string];

function tuple(f: FieldShape): FieldTuple {
  return f.key === undefined ? [f.no, f.name, f.label, f.type] : [f.no, f.name, f.label, f.type, f.key];
}

// ---- the SCHEMA frame body ----
//
// UTF-8 JSON: {"types":["example.v1.Ping", …],"messages":{"example.v1.Ping":[[1,"seq","","uint64"], …], …},
// "layouts":{"example.v1.Vec2":[layout_version, size, [["x",0,4], …]]}} — the roots described, the
// union of their closures, and the C layouts among them ("layouts" may be absent).

/** Most bytes one SCHEMA body may have. */
export const MAX_SCHEMA_BODY = 1024 * 1024;
const MAX_MESSAGES = 4096;
const MAX_FIELDS = 4096;
const MAX_NAME = 512;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABELS = new Set(["", "optional", "repeated", "map"]);
const SCALAR_SET = new Set(SCALARS);

export function encodeShapes(types: readonly TypeShape[]): Uint8Array {
  const messages: Record<string, FieldTuple[]> = {};
  const layouts: Record<string, LayoutTuple> = {};
  for (const t of types) {
    for (const [name, fields] of t.messages) messages[name] = fields.map(tuple);
    if (t.layout !== undefined) layouts[t.root] = layoutTuple(t.layout);
  }
  const body =
    Object.keys(layouts).length === 0
      ? { types: types.map((t) => t.root), messages }
      : { types: types.map((t) => t.root), messages, layouts };
  return new TextEncoder().encode(JSON.stringify(body));
}

/** Parses and checks a peer's SCHEMA body; anything malformed is a ProtocolError. */
export function decodeShapes(body: Uint8Array): TypeShape[] {
  if (body.length > MAX_SCHEMA_BODY) throw bad(`${body.length} bytes, at most ${MAX_SCHEMA_BODY}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (err) {
    throw bad(`not UTF-8 JSON (${(err as Error).message})`);
  }
  if (!isRecord(json) || !Array.isArray(json.types) || !isRecord(json.messages)) throw bad("expected {types, messages}");
  const entries = Object.entries(json.messages);
  if (entries.length > MAX_MESSAGES) throw bad(`${entries.length} messages, at most ${MAX_MESSAGES}`);
  const all = new Map<string, FieldShape[]>();
  for (const [name, fields] of entries) {
    checkName(name, "message name");
    if (!Array.isArray(fields) || fields.length > MAX_FIELDS) throw bad(`${name}: fields must be an array of at most ${MAX_FIELDS}`);
    all.set(
      name,
      fields.map((f) => readField(name, f)),
    );
  }
  for (const [name, fields] of all) {
    for (const f of fields) {
      const ref = f.type.startsWith("message ") ? f.type.slice(8) : undefined;
      if (ref !== undefined && !all.has(ref)) throw bad(`${name}.${f.name} refers to ${ref}, which is not described`);
    }
  }
  const layouts = json.layouts === undefined ? new Map<string, LayoutShape>() : readLayouts(json.layouts);
  return json.types.map((root) => {
    if (typeof root !== "string") throw bad("a type name must be a string");
    const layout = layouts.get(root);
    if (layout !== undefined) return withDigest(root, new Map(), layout);
    if (!all.has(root)) throw bad(`type ${root.slice(0, 80)} is not described`);
    return withDigest(root, closure(root, all));
  });
}

function readLayouts(value: unknown): Map<string, LayoutShape> {
  if (!isRecord(value)) throw bad("layouts must be an object");
  const entries = Object.entries(value);
  if (entries.length > MAX_MESSAGES) throw bad(`${entries.length} layouts, at most ${MAX_MESSAGES}`);
  const out = new Map<string, LayoutShape>();
  for (const [name, l] of entries) {
    checkName(name, "layout name");
    if (!Array.isArray(l) || l.length !== 3 || !isCount(l[0]) || !isCount(l[1]) || !Array.isArray(l[2]) || l[2].length > MAX_FIELDS) {
      throw bad(`${name}: a layout must be [layout_version, size, members]`);
    }
    const members = (l[2] as unknown[]).map((m) => {
      if (
        !Array.isArray(m) ||
        m.length !== 3 ||
        typeof m[0] !== "string" ||
        !NAME.test(m[0]) ||
        m[0].length > MAX_NAME ||
        !isCount(m[1]) ||
        !isCount(m[2])
      ) {
        throw bad(`${name}: a member must be [name, offset, size]`);
      }
      return { name: m[0], offset: m[1], size: m[2] };
    });
    out.set(name, { layoutVersion: l[0] as number, size: l[1] as number, members });
  }
  return out;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

function closure(root: string, all: ReadonlyMap<string, readonly FieldShape[]>): Map<string, readonly FieldShape[]> {
  const out = new Map<string, readonly FieldShape[]>();
  const walk = (name: string) => {
    if (out.has(name)) return;
    const fields = all.get(name) ?? [];
    out.set(name, fields);
    for (const f of fields) if (f.type.startsWith("message ")) walk(f.type.slice(8));
  };
  walk(root);
  return out;
}

function readField(message: string, f: unknown): FieldShape {
  if (!Array.isArray(f) || f.length < 4 || f.length > 5) throw bad(`${message}: a field must be [number, name, label, type, key?]`);
  const [no, name, label, type, key] = f as unknown[];
  if (typeof no !== "number" || !Number.isInteger(no) || no < 1 || no > 536_870_911) throw bad(`${message}: bad field number`);
  if (typeof name !== "string" || !FIELD_NAME.test(name) || name.length > MAX_NAME) throw bad(`${message}: bad field name`);
  if (typeof label !== "string" || !LABELS.has(label)) throw bad(`${message}.${name}: bad label`);
  if (typeof type !== "string" || !validType(type)) throw bad(`${message}.${name}: bad type`);
  if (label === "map" ? typeof key !== "string" || !SCALAR_SET.has(key) : key !== undefined) throw bad(`${message}.${name}: bad map key`);
  return { no, name, label: label as FieldShape["label"], type, ...(key === undefined ? {} : { key: key as string }) };
}

function validType(t: string): boolean {
  if (SCALAR_SET.has(t)) return true;
  const space = t.indexOf(" ");
  const kind = t.slice(0, space);
  const name = t.slice(space + 1);
  return ["enum", "message", "sender", "receiver"].includes(kind) && name.length <= MAX_NAME && NAME.test(name);
}

function checkName(name: string, what: string): void {
  if (name.length > MAX_NAME || !NAME.test(name)) throw bad(`bad ${what} ${name.slice(0, 80)}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function bad(what: string): ProtocolError {
  return new ProtocolError(`bad SCHEMA: ${what}`);
}

// ---- comparing ----

/**
 * Compares this side's shape of a type with the peer's. Returns the
 * differences the wire tolerates; throws SchemaMismatchError at the first
 * field neither side could read from the other.
 */
export function compareShapes(here: TypeShape, peer: TypeShape): SchemaChange[] {
  const changes: SchemaChange[] = [];
  if (here.digest === peer.digest) return changes;
  if (here.layout !== undefined || peer.layout !== undefined) return compareLayouts(here, peer);
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const mine = here.messages.get(name) ?? [];
    const theirs = new Map((peer.messages.get(name) ?? []).map((f) => [f.no, f]));
    for (const f of mine) {
      const p = theirs.get(f.no);
      theirs.delete(f.no);
      if (p === undefined) {
        changes.push(change(name, f, definition(f), undefined));
        continue;
      }
      const a = definition(f);
      const b = definition(p);
      if (a !== b) {
        if (!compatible(f, p)) throw new SchemaMismatchError(name, f.name, a, b);
        changes.push(change(name, f, a, b));
      } else if (f.name !== p.name) {
        changes.push({
          typeName: name,
          field: f.name,
          number: f.no,
          here: a,
          peer: b,
          text: `${name}.${f.name}: named ${p.name} at the peer`,
        });
      }
      if (f.type === p.type && f.type.startsWith("message ")) visit(f.type.slice(8));
    }
    for (const p of theirs.values()) changes.push(change(name, p, undefined, definition(p)));
  };
  visit(here.root);
  return changes.sort((a, b) => (a.typeName < b.typeName ? -1 : a.typeName > b.typeName ? 1 : a.number - b.number));
}

/**
 * C layouts must match exactly up to the shorter struct's size, and a size
 * change needs another layout_version (docs/c-guide.md). Members past the
 * shorter size are reported, like added fields.
 */
function compareLayouts(here: TypeShape, peer: TypeShape): SchemaChange[] {
  const name = here.root;
  const a = here.layout;
  const b = peer.layout;
  if (a === undefined || b === undefined) {
    throw new SchemaMismatchError(name, "(type)", a === undefined ? "protobuf" : "C layout", b === undefined ? "protobuf" : "C layout");
  }
  const shorter = Math.min(a.size, b.size);
  const within = (l: LayoutShape) => l.members.filter((m) => m.offset + m.size <= shorter);
  const mine = within(a);
  const theirs = within(b);
  const member = (m: LayoutShape["members"][number] | undefined) => (m === undefined ? "absent" : `${m.size} bytes at offset ${m.offset}`);
  for (let i = 0; i < Math.max(mine.length, theirs.length); i++) {
    const m = mine[i];
    const p = theirs[i];
    if (m?.name !== p?.name || m?.offset !== p?.offset || m?.size !== p?.size) {
      const field = m?.name ?? p?.name ?? "?";
      throw new SchemaMismatchError(name, field, member(m), p?.name === field ? member(p) : `${p?.name ?? "nothing"} (${member(p)})`);
    }
  }
  if (a.size !== b.size && a.layoutVersion === b.layoutVersion) {
    throw new SchemaMismatchError(
      name,
      "(size)",
      `${a.size} bytes at layout_version ${a.layoutVersion}`,
      `${b.size} bytes at the same layout_version`,
    );
  }
  const extra = (l: LayoutShape) => l.members.filter((m) => m.offset + m.size > shorter);
  return [
    ...extra(a).map((m, i) => layoutChange(name, m.name, mine.length + i, member(m), undefined)),
    ...extra(b).map((m, i) => layoutChange(name, m.name, theirs.length + i, undefined, member(m))),
  ];
}

function layoutChange(typeName: string, field: string, index: number, here: string | undefined, peer: string | undefined): SchemaChange {
  return {
    typeName,
    field,
    number: index + 1,
    here,
    peer,
    text: `${typeName}.${field}: ${here ?? "absent"} here, ${peer ?? "absent"} at the peer`,
  };
}

function change(typeName: string, f: FieldShape, here: string | undefined, peer: string | undefined): SchemaChange {
  return {
    typeName,
    field: f.name,
    number: f.no,
    here,
    peer,
    text: `${typeName}.${f.name}: ${here ?? "absent"} here, ${peer ?? "absent"} at the peer`,
  };
}

/** How a field reads in a message: `uint64`, `optional string`, `repeated message a.B`, `map<string, int32>`. */
export function definition(f: FieldShape): string {
  if (f.label === "map") return `map<${f.key}, ${f.type}>`;
  return f.label === "" ? f.type : `${f.label} ${f.type}`;
}

/** Wire classes: types within one class read each other's bytes (buf's WIRE rules). */
function wireClass(type: string): string {
  if (type.startsWith("enum ")) return "varint";
  switch (type) {
    case "int32":
    case "int64":
    case "uint32":
    case "uint64":
    case "bool":
      return "varint";
    case "sint32":
    case "sint64":
      return "zigzag";
    case "fixed32":
    case "sfixed32":
      return "fixed32";
    case "fixed64":
    case "sfixed64":
      return "fixed64";
    case "string":
    case "bytes":
      return "len";
    default:
      return type;
  }
}

function compatible(a: FieldShape, b: FieldShape): boolean {
  if ((a.label === "map") !== (b.label === "map")) return false;
  if (a.label === "map" && wireClass(a.key ?? "") !== wireClass(b.key ?? "")) return false;
  if (wireClass(a.type) !== wireClass(b.type)) return false;
  // Singular and repeated share a wire form only for length-delimited values (packed scalars differ).
  const lengthDelimited = wireClass(a.type) === "len" || a.type.startsWith("message ");
  return (a.label === "repeated") === (b.label === "repeated") || lengthDelimited;
}
