// Messages in the protobuf JSON mapping, as contracts record them. Handle
// fields cannot be JSON: they are recorded as typed placeholders such as
// "Sender<example.v1.Answer>", and made real ends again when a mock sends them.
import { fromJson, toJson, type DescField, type DescMessage, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { channelTypeById } from "../codec/channel-type.js";
import type { Receiver } from "../ends/receiver.js";
import type { Sender } from "../ends/sender.js";
import { InvalidArgumentError } from "../errors.js";
import { channel } from "../routing/channel.js";
import { ProtochanOptions } from "../schema/options.js";
import { typeIdOf } from "../wire/type-id.js";

interface HandleFieldDesc {
  readonly field: DescField;
  readonly kind: "Sender" | "Receiver";
  readonly repeated: boolean;
  /** Full name of the type the end carries. */
  readonly payload: string;
}

type AnyRecord = Record<string, unknown>;

const HANDLE_TYPES: Readonly<Record<string, "Sender" | "Receiver">> = {
  "protochan.v1.SenderHandle": "Sender",
  "protochan.v1.ReceiverHandle": "Receiver",
};

const handleFieldCache = new WeakMap<DescMessage, readonly HandleFieldDesc[]>();

/** The handle fields of a message type, read from its descriptor. */
export function handleFieldsOf(desc: DescMessage): readonly HandleFieldDesc[] {
  let fields = handleFieldCache.get(desc);
  if (fields === undefined) {
    const options = ProtochanOptions.of(desc.file);
    fields = desc.fields.flatMap((field): HandleFieldDesc[] => {
      const message =
        field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message") ? field.message : undefined;
      const kind = message === undefined ? undefined : HANDLE_TYPES[message.typeName];
      if (kind === undefined) return [];
      return [{ field, kind, repeated: field.fieldKind === "list", payload: options.forField(field).payload }];
    });
    handleFieldCache.set(desc, fields);
  }
  return fields;
}

/** The placeholder recorded for one end of a handle field. */
export function placeholderOf(f: HandleFieldDesc): string {
  return `${f.kind}<${f.payload}>`;
}

/** Reads a handle field's value (undefined when unset, or when another oneof arm is set). */
function getField(m: AnyRecord, field: DescField): unknown {
  if (field.oneof === undefined) return m[field.localName];
  const arm = m[field.oneof.localName] as { readonly case?: string; readonly value?: unknown } | undefined;
  return arm?.case === field.localName ? arm.value : undefined;
}

/** Unsets a handle field in a copy of `m`. */
function clearField(m: AnyRecord, field: DescField): void {
  if (field.oneof === undefined) m[field.localName] = field.fieldKind === "list" ? [] : undefined;
  else if ((m[field.oneof.localName] as { case?: string } | undefined)?.case === field.localName)
    m[field.oneof.localName] = { case: undefined };
}

/** A message (as a channel delivers it: handle fields hold ends) in the JSON mapping, every field present, ends as placeholders. */
export function toContractJson(desc: DescMessage, value: object): JsonValue {
  const copy: AnyRecord = { ...(value as AnyRecord) };
  const placeholders: [string, JsonValue][] = [];
  for (const f of handleFieldsOf(desc)) {
    const v = getField(copy, f.field);
    if (v === undefined || (f.repeated && (v as unknown[]).length === 0)) continue;
    placeholders.push([f.field.jsonName, f.repeated ? (v as unknown[]).map(() => placeholderOf(f)) : placeholderOf(f)]);
    clearField(copy, f.field);
  }
  // Fields at their default value too: a consumer may expect `"seq": "0"`, and Pact requires expected keys.
  const json = toJson(desc, { $typeName: desc.typeName, ...copy } as never, { alwaysEmitImplicit: true }) as JsonObject;
  for (const [name, v] of placeholders) json[name] = v;
  return json;
}

/** What fromContractJson made: the message, and the far ends of the channels it created for handle fields. */
export interface FromContractJson {
  /** The message, its handle fields holding live ends. */
  readonly value: Record<string, unknown>;
  /** Closes the ends kept for the channels created for placeholders. */
  close(): void;
}

/** The message a JSON document (handle fields as placeholders) stands for; each placeholder becomes a fresh channel's end. */
export function fromContractJson(desc: DescMessage, json: JsonValue): FromContractJson {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new InvalidArgumentError(`${desc.typeName}: a message in the JSON mapping must be an object, got ${JSON.stringify(json)}`);
  const plain: JsonObject = { ...json };
  const ends: (Sender<unknown> | Receiver<unknown>)[] = [];
  const wanted: [HandleFieldDesc, JsonValue][] = [];
  for (const f of handleFieldsOf(desc)) {
    const v = plain[f.field.jsonName] ?? plain[f.field.name];
    if (v === undefined || v === null) continue;
    delete plain[f.field.jsonName];
    delete plain[f.field.name];
    wanted.push([f, v]);
  }
  let value: AnyRecord;
  try {
    value = { ...(fromJson(desc, plain) as AnyRecord) };
  } catch (err) {
    throw new InvalidArgumentError(`${desc.typeName}: not its JSON mapping: ${(err as Error).message}`, { cause: err });
  }
  const makeEnd = (f: HandleFieldDesc, placeholder: JsonValue): unknown => {
    if (placeholder !== placeholderOf(f))
      throw new InvalidArgumentError(
        `${desc.typeName}.${f.field.name}: a handle field is recorded as "${placeholderOf(f)}", got ${JSON.stringify(placeholder)}`,
      );
    const type = channelTypeById(typeIdOf(f.payload));
    if (type === undefined)
      throw new InvalidArgumentError(`${desc.typeName}.${f.field.name}: no channel type ${f.payload} (import its _chan.ts)`);
    const [tx, rx] = channel(type);
    // The message gets one end; the other is kept, so the consumer sees a live channel.
    ends.push(f.kind === "Sender" ? rx : tx);
    return f.kind === "Sender" ? tx : rx;
  };
  for (const [f, v] of wanted) {
    const end = f.repeated ? (Array.isArray(v) ? v.map((p) => makeEnd(f, p)) : [makeEnd(f, v)]) : makeEnd(f, v);
    if (f.field.oneof === undefined) value[f.field.localName] = end;
    else value[f.field.oneof.localName] = { case: f.field.localName, value: end };
  }
  return {
    value,
    close() {
      for (const e of ends) e.close();
    },
  };
}
