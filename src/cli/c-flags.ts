// `protochan c-flags`: what a C build needs to use protochan's C library.
//   cc $(npx protochan c-flags) app.c $(npx protochan c-flags --sources) -o app
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "./package-root.js";

/** `-I` flags for the library's headers and the generated protochan/v1 headers (wire.h, packet.h). */
export function cIncludeFlags(root = packageRoot()): string[] {
  return [`-I${join(root, "c", "include")}`, `-I${join(root, "generated")}`];
}

/** The library's C sources, to compile into the user's program. */
export function cSources(root = packageRoot()): string[] {
  const dir = join(root, "c", "src");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".c"))
    .sort()
    .map((f) => join(dir, f));
}
