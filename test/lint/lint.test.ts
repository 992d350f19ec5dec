// Lint and format are part of the suite: `npx biome check --write .` fixes most
// of what this reports. The second test shows the check can fail.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "../c-layout/c-build.js";

const biome = join(root, "node_modules", "@biomejs", "biome", "bin", "biome");

function check(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [biome, "ci", "--colors=off", ...args], { cwd, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test("the tree passes lint and format (npx biome check --write . to fix)", { timeout: 60_000 }, () => {
  const { status, out } = check(root, ".");
  assert.equal(status, 0, out);
});

test("the check fails on misformatted code and on a lint violation", { timeout: 60_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), "protochan-lint-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(join(root, "biome.json"), join(dir, "biome.json"));
  writeFileSync(join(dir, "bad-format.ts"), "export const x  =  {a:1}\n");
  writeFileSync(join(dir, "bad-lint.ts"), "export function f(a: number) {\n  if (a == 1) return 2;\n  return 3;\n}\n");
  const { status, out } = check(dir, "--vcs-enabled=false", "--max-diagnostics=50", ".");
  assert.notEqual(status, 0);
  assert.match(out, /bad-format\.ts format/);
  assert.match(out, /bad-lint\.ts:2:9 lint\/suspicious\/noDoubleEquals/);
});
