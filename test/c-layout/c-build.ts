// Helpers for the tests that compile C: where build outputs go, how to run the
// compilers, and which generated headers and packet views exist.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { PacketViewBase } from "protochan/codegenv1";
import type { PacketViewClass } from "protochan";

export const root = fileURLToPath(new URL("../../", import.meta.url));
export const generatedDir = join(root, "generated");

/** A fresh directory under test/.build/ (gitignored) for one test file's outputs. */
export function buildDir(name: string): string {
  const dir = join(root, "test", ".build", name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export const C_FLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"];
export const CXX_FLAGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"];

/** Runs a compiler; on failure the assertion message carries its full output. */
export function compile(compiler: string, args: readonly string[]): void {
  const r = spawnSync(compiler, [...args, "-I", generatedDir], { encoding: "utf8" });
  if (r.error) throw new Error(`${compiler} could not be run (${r.error.message}); install gcc/g++`);
  if (r.status !== 0) {
    throw new Error(`${compiler} ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
  }
}

export function run(exe: string, args: readonly string[] = []): string {
  return execFileSync(exe, args, { encoding: "utf8" });
}

/** Every generated C header, as include paths relative to generated/. */
export function generatedHeaders(): string[] {
  return readdirSync(generatedDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".h"))
    .map((e) => relative(generatedDir, join(e.parentPath, e.name)))
    .sort();
}

/** Every generated packet view class, with the header that declares its struct. */
export async function generatedViews(): Promise<{ header: string; view: PacketViewClass<PacketViewBase> }[]> {
  const files = readdirSync(generatedDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith("_packet.ts"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  const out: { header: string; view: PacketViewClass<PacketViewBase> }[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const header = relative(generatedDir, file).replace(/_packet\.ts$/, ".h");
    for (const value of Object.values(mod)) {
      if (typeof value === "function" && "layout" in value) {
        out.push({ header, view: value as PacketViewClass<PacketViewBase> });
      }
    }
  }
  return out;
}
