// Emits zero-copy TypeScript views (<file>_packet.ts) for C-layout messages.
import type { DescFile } from "@bufbuild/protobuf";
import type { EmitContext } from "./plugin.js";

export function emitPacketViews(_ctx: EmitContext, _file: DescFile): void {
  // Not yet implemented.
}
