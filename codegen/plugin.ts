// protoc-gen-protochan: one plugin, several emitters. Each emitter looks at one
// proto file and writes the generated files it is responsible for.
import { createEcmaScriptPlugin, type Schema } from "@bufbuild/protoplugin";
import type { DescFile } from "@bufbuild/protobuf";
import { ProtochanOptions } from "../src/schema/options.js";
import { emitChannels, handleFields } from "./emit-channels.js";
import { collectErrors, throwCollected } from "../layout/collect-errors.js";
import { messagesOf } from "./names.js";
import { emitCodecs } from "./emit-codecs.js";
import { cLayoutsOf, emitCHeader } from "./emit-c-header.js";
import { emitPacketViews } from "./emit-packet-views.js";
import { emitServices } from "./emit-services.js";

export interface PluginOptions {
  /**
   * Module the generated code imports its runtime from (default
   * "protochan/codegenv1"). protochan's own schemas are generated with a path
   * relative to the output root, so the runtime never imports itself by name.
   */
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
  let runtime = "protochan/codegenv1";
  for (const { key, value } of raw) {
    if (key === "runtime") runtime = value;
    else throw new Error(`protoc-gen-protochan: unknown option "${key}"`);
  }
  return { runtime };
}

/** Every problem of the files to generate, thrown together before anything is emitted. */
function checkSchema(ctx: EmitContext): void {
  const problems: Error[] = [];
  const layouts = cLayoutsOf(ctx);
  for (const file of ctx.schema.files) {
    for (const message of messagesOf(file)) {
      collectErrors(problems, () => {
        if (layouts.isCLayout(message)) layouts.layoutOf(message);
        else handleFields(ctx, message);
      });
    }
  }
  throwCollected(problems);
}

export const protocGenProtochan = createEcmaScriptPlugin({
  name: "protoc-gen-protochan",
  version: "v0.1.0",
  parseOptions,
  generateTs(schema) {
    const ctx: EmitContext = { schema, options: new ProtochanOptions(schema.allFiles) };
    checkSchema(ctx);
    for (const file of schema.files) {
      for (const emit of emitters) emit(ctx, file);
    }
  },
});
