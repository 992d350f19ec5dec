// generated/ is checked in: it must be exactly what `npm run generate` makes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

test("npm run generate would not change generated/", { timeout: 120_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), "protochan-gen-"));
  try {
    // The same two templates, in the same order, as `npm run generate`.
    for (const file of ["buf.gen.self.yaml", "buf.gen.yaml"]) {
      const original = readFileSync(join(root, file), "utf8");
      const template = original.replaceAll("out: generated", `out: ${out}`).replace(/^#.*\n/gm, ""); // buf reads a template string only without leading comments
      assert.notEqual(template, original, `${file} has no 'out: generated'`);
      execFileSync(join(root, "node_modules/.bin/buf"), ["generate", "--template", template], {
        cwd: root,
        stdio: "pipe",
        env: { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH ?? ""}` },
      });
    }
    const fresh = listFiles(out);
    assert.ok(fresh.length > 0, "buf generate produced nothing");
    assert.deepEqual(listFiles(join(root, "generated")), fresh, "generated/ has missing or extra files: run npm run generate");
    for (const file of fresh) {
      assert.equal(
        readFileSync(join(root, "generated", file), "utf8"),
        readFileSync(join(out, file), "utf8"),
        `generated/${file} is stale: run npm run generate`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
