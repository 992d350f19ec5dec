// Emits <file>_chan.ts: one typed channel definition per message, so user code
// writes channel(PingChannel) and gets Sender<Ping> / Receiver<Ping>.
import type { EmitContext } from "./plugin.js";
import type { DescFile } from "@bufbuild/protobuf";
import { isProtochanInternal, messagesOf, outputName, shapeName } from "./names.js";
import { typeIdOf } from "../src/wire/type-id.js";

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
    const id = "0x" + typeIdOf(message.typeName).toString(16).padStart(16, "0");
    f.print(f.jsDoc(
      `Channel of ${message.typeName} (wire type id ${id}).\n` +
      `\`channel(${shapeName(message)}Channel)\` gives a Sender<${shapeName(message)}> and a Receiver<${shapeName(message)}>.`,
    ));
    f.print(f.export("const", `${shapeName(message)}Channel`), ": ", ChannelType, "<", f.importShape(message), "> = ",
      defineChannel, "(", f.importSchema(message), codec === undefined ? "" : [", ", codec], ");");
    f.print();
  }
}
