// Emits <file>_rpc.ts for files with services: a typed client type and a
// handler interface per service, both derived from protoc-gen-es's
// GenService, with each method's kind and calling rules in the comments.
import type { DescFile, DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { EmitContext } from "./plugin.js";
import { isProtochanInternal, outputName } from "./names.js";

const KIND = {
  unary: "unary",
  server_streaming: "server streaming",
  client_streaming: "client streaming",
  bidi_streaming: "bidi streaming",
} as const;

function describe(ctx: EmitContext, m: DescMethod): string {
  const notes: string[] = [KIND[m.methodKind]];
  if (ctx.options.forMethod(m).oneWay) notes.push("one-way: the caller does not wait");
  if (m.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS) notes.push("no side effects: retried once if a worker crashes");
  if (m.idempotency === MethodOptions_IdempotencyLevel.IDEMPOTENT) notes.push("idempotent: retried once if a worker crashes");
  return `- ${m.localName} (${m.name}): ${notes.join("; ")}`;
}

export function emitServices(ctx: EmitContext, file: DescFile): void {
  if (isProtochanInternal(file) || file.services.length === 0) return;
  const f = ctx.schema.generateFile(outputName(file, "_rpc.ts"));
  f.preamble(file);
  const runtime = ctx.schema.options.runtime;
  for (const service of file.services) {
    const schema = f.importSchema(service, true);
    const methods = service.methods.map((m) => describe(ctx, m)).join("\n");
    f.print(f.jsDoc(`Typed client of ${service.typeName}; get one from createClient, connectService or WorkerSet.client.\n${methods}`));
    f.print(f.export("type", `${service.name}Client`), " = ", f.import("Client", runtime, true), "<typeof ", schema, ">;");
    f.print();
    f.print(f.jsDoc(`An implementation of ${service.typeName}, for serve, listenService and runWorker: one handler per method.`));
    f.print(f.export("type", `${service.name}Handler`), " = ", f.import("ServiceImpl", runtime, true), "<typeof ", schema, ">;");
    f.print();
  }
}
