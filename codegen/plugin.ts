// protoc-gen-protochan: one plugin, several emitters. Each emitter looks at one
// proto file and writes the generated files it is responsible for.
import { createEcmaScriptPlugin, type Schema } from "@bufbuild/protoplugin";
import type { DescFile } from "@bufbuild/protobuf";
import { ProtochanOptions } from "../src/schema/options.js";
import { emitChannels } from "./emit-channels.js";
import { emitCodecs } from "./emit-codecs.js";
import { emitCHeader } from "./emit-c-header.js";
import { emitPacketViews } from "./emit-packet-views.js";
import { emitServices } from "./emit-services.js";

export interface PluginOptions {
  /** Module the generated code imports the runtime from (default "protochan"). */
  readonly runtime: string;
}

export interface EmitContext {
  readonly schema: Schema<PluginOptions>;
  readonly options: ProtochanOptions;
}

export type Emitter = (ctx: EmitContext, file: DescFile) => void;

/** Emitters run in this order for every file buf asks us to generate. */
const emitters: readonly Emitter[] = [emitCodecs, emitChannels, emitPacketViews, emitCHeader, emitServices];

function parseOptions(raw: { key: string; value: string }[]): PluginOptions {
  let runtime = "protochan";
  for (const { key, value } of raw) {
    if (key === "runtime") runtime = value;
    else throw new Error(`protoc-gen-protochan: unknown option "${key}"`);
  }
  return { runtime };
}

export const protocGenProtochan = createEcmaScriptPlugin({
  name: "protoc-gen-protochan",
  version: "v0.1.0",
  parseOptions,
  generateTs(schema) {
    const ctx: EmitContext = { schema, options: new ProtochanOptions(schema.allFiles) };
    for (const file of schema.files) {
      for (const emit of emitters) emit(ctx, file);
    }
  },
});
