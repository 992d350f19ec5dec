// Emits fast protobuf binary codecs (<file>_codec.ts), byte-identical to @bufbuild/protobuf.
import type { DescFile } from "@bufbuild/protobuf";
import type { EmitContext } from "./plugin.js";

export function emitCodecs(_ctx: EmitContext, _file: DescFile): void {
  // Not yet implemented.
}
