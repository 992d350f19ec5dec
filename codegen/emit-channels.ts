// Emits <file>_chan.ts: one typed channel definition per message, so user code
// writes channel(PingChannel) and gets Sender<Ping> / Receiver<Ping>. A message
// with handle fields (protochan.v1.SenderHandle / ReceiverHandle) also gets a
// <Name>WithHandles type in which those fields are Sender<T> / Receiver<T>; a
// oneof with handle arms becomes the oneof's case union with ends as values.
import type { EmitContext } from "./plugin.js";
import type { DescField, DescFile, DescMessage } from "@bufbuild/protobuf";
import type { GeneratedFile, Printable } from "@bufbuild/protoplugin";
import { isProtochanInternal, messagesOf, outputName, shapeName } from "./names.js";
import { typeIdOf } from "../src/wire/type-id.js";
import { CodegenError, locationOf } from "./errors.js";

const HANDLE_TYPES = { "protochan.v1.SenderHandle": "sender", "protochan.v1.ReceiverHandle": "receiver" } as const;

interface HandleFieldInfo {
  readonly field: DescField;
  readonly kind: "sender" | "receiver";
  readonly payload: DescMessage;
}

/** The handle fields of a message, with their payload types resolved. */
export function handleFields(ctx: EmitContext, message: DescMessage): HandleFieldInfo[] {
  // A C-layout message's handles are served by its packet view (<file>_packet.ts).
  if (ctx.options.forMessage(message).cLayout) return [];
  const out: HandleFieldInfo[] = [];
  for (const field of message.fields) {
    const typeName = field.message?.typeName;
    if (typeName === undefined || !(typeName in HANDLE_TYPES)) continue;
    const where = `${locationOf(field)}: ${field.parent.typeName}.${field.name}`;
    if (field.fieldKind === "map") throw new CodegenError(`${where}: handles cannot be map values`);
    const payloadName = ctx.options.forField(field).payload;
    const payload = ctx.schema.allFiles.flatMap(messagesOf).find((m) => m.typeName === payloadName);
    if (payload === undefined) {
      throw new CodegenError(
        `${locationOf(field)}: ${field.parent.typeName}.${field.name}: ` +
          (payloadName === ""
            ? `a handle field needs (protochan.v1.field).payload = "<message type>"`
            : `payload type "${payloadName}" not found`),
      );
    }
    out.push({ field, kind: HANDLE_TYPES[typeName as keyof typeof HANDLE_TYPES], payload });
  }
  return out;
}

/** The channel constant of a payload type, imported from its _chan.ts (or _packet.ts for C layout). */
function payloadChannel(ctx: EmitContext, f: GeneratedFile, payload: DescMessage): Printable {
  const packet = ctx.options.forMessage(payload).cLayout;
  const name = `${shapeName(payload)}${packet ? "PacketChannel" : "Channel"}`;
  return f.import(name, `./${outputName(payload.file, packet ? "_packet.js" : "_chan.js")}`);
}

export function emitChannels(ctx: EmitContext, file: DescFile): void {
  if (isProtochanInternal(file)) return;
  const messages = messagesOf(file);
  if (messages.length === 0) return;
  const f = ctx.schema.generateFile(outputName(file, "_chan.ts"));
  f.preamble(file);
  const defineChannel = f.import("defineChannel", ctx.schema.options.runtime);
  const ChannelType = f.import("ChannelType", ctx.schema.options.runtime, true);
  for (const message of messages) {
    // Protobuf channels use the generated codec of <file>_codec.ts (see
    // emit-codecs.ts); C-layout messages get theirs from <file>_packet.ts.
    const codec = ctx.options.forMessage(message).cLayout
      ? undefined
      : f.import(`${shapeName(message)}Codec`, `./${outputName(file, "_codec.js")}`);
    const id = `0x${typeIdOf(message.typeName).toString(16).padStart(16, "0")}`;
    f.print(
      f.jsDoc(
        `Channel of ${message.typeName} (wire type id ${id}).\n` +
          `\`channel(${shapeName(message)}Channel)\` gives a Sender<${shapeName(message)}> and a Receiver<${shapeName(message)}>.`,
      ),
    );
    const handles = handleFields(ctx, message);
    if (handles.length === 0) {
      f.print(
        f.export("const", `${shapeName(message)}Channel`),
        ": ",
        ChannelType,
        "<",
        f.importShape(message),
        "> = ",
        defineChannel,
        "(",
        f.importSchema(message),
        codec === undefined ? "" : [", ", codec],
        ");",
      );
    } else {
      emitHandleChannel(ctx, f, message, handles, codec);
    }
    f.print();
  }
}

function emitHandleChannel(
  ctx: EmitContext,
  f: GeneratedFile,
  message: DescMessage,
  handles: HandleFieldInfo[],
  codec: Printable | undefined,
): void {
  const runtime = ctx.schema.options.runtime;
  const name = shapeName(message);
  const end = (h: HandleFieldInfo): Printable => [
    f.import(h.kind === "sender" ? "Sender" : "Receiver", runtime, true),
    "<",
    f.importShape(h.payload),
    ">",
  ];
  // In declaration order: plain handle fields, and each oneof with handle arms.
  const fieldTypes: Printable[] = [];
  for (const member of message.members) {
    if (member.kind === "oneof") {
      const arms = handles.filter((h) => h.field.oneof === member);
      if (arms.length === 0) continue;
      const cases = arms.map((h) => JSON.stringify(h.field.localName)).join(" | ");
      fieldTypes.push(
        `  ${member.localName}:\n`,
        ...arms.map((h) => [`    | { case: ${JSON.stringify(h.field.localName)}; value: `, end(h), " }\n"]),
        `    | Exclude<`,
        f.importShape(message),
        `["${member.localName}"], { case: ${cases} }>; // the other cases, as in ${shapeName(message)}\n`,
      );
      continue;
    }
    const h = handles.find((x) => x.field === member);
    if (h === undefined) continue;
    const list = member.fieldKind === "list";
    fieldTypes.push(`  ${member.localName}${list ? "" : "?"}: `, end(h), list ? "[]" : "", ";\n");
  }
  f.print(f.jsDoc(`${message.typeName} as sent and received: its handle fields are channel ends.`));
  f.print(
    f.export("type", `${name}WithHandles`),
    " = ",
    f.import("WithHandles", runtime, true),
    "<",
    f.importShape(message),
    ", {\n",
    ...fieldTypes,
    "}>;",
  );
  f.print();
  f.print(
    f.export("const", `${name}Channel`),
    ": ",
    f.import("ChannelType", runtime, true),
    "<",
    `${name}WithHandles`,
    "> = ",
    f.import("defineHandleChannel", runtime),
    "(",
    f.importSchema(message),
    ", ",
    codec ?? [f.import("reflectiveCodec", runtime), "(", f.importSchema(message), ")"],
    ", [",
  );
  for (const h of handles) {
    const oneof = h.field.oneof === undefined ? "" : `oneof: "${h.field.oneof.localName}", `;
    f.print(
      `  { name: "${h.field.localName}", ${oneof}kind: "${h.kind}", repeated: ${h.field.fieldKind === "list"}, payload: () => `,
      payloadChannel(ctx, f, h.payload),
      " },",
    );
  }
  f.print("]);");
}
