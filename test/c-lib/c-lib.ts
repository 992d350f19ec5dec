// Builds C programs against the protochan C library (c/) the way a user's
// project does: the library's sources compiled in, with the strict C11 flags,
// `-I c/include` and the generated headers (compile() adds `-I generated`).
import { readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { buildDir, C_FLAGS, compile, root } from "../c-layout/c-build.js";

export const cDir = join(root, "c");
export const cInclude = join(cDir, "include");

/** The library's .c files, as `protochan c-flags --sources` lists them. */
export function libSources(): string[] {
  const src = join(cDir, "src");
  return readdirSync(src)
    .filter((f) => f.endsWith(".c"))
    .sort()
    .map((f) => join(src, f));
}

const built = new Map<string, string>();

/** Compiles `sources` + the library into test/.build/<dir>/<name> (once per process). */
export function buildWithLib(dir: string, name: string, sources: readonly string[], flags: readonly string[] = []): string {
  const exe = join(buildDir(dir), name);
  if (built.has(exe)) return exe;
  // Test files run in parallel processes: each builds its own copy and
  // renames it into place, so none runs a half-written program.
  const tmp = `${exe}.${process.pid}.tmp`;
  compile("cc", [...C_FLAGS, "-O2", ...flags, "-I", cInclude, ...sources, ...libSources(), "-o", tmp]);
  renameSync(tmp, exe);
  built.set(exe, exe);
  return exe;
}
