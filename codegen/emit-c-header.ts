// Emits C headers (<file>.h) for C-layout messages.
import type { DescFile } from "@bufbuild/protobuf";
import type { EmitContext } from "./plugin.js";

export function emitCHeader(_ctx: EmitContext, _file: DescFile): void {
  // Not yet implemented.
}
