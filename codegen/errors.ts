// Schema problems the plugin reports; buf prints the message, which names
// file:line:column and the element.
export { locationOf } from "../layout/c-layout.js";

export class CodegenError extends Error {
  readonly code = "PROTOCHAN_CODEGEN";
  override readonly name = "CodegenError";
}
