// The API reference (npm run docs) builds without a warning: every type the
// public API mentions is exported and every {@link} resolves. A fixture with
// a broken link and a hidden type shows the check can fail.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const typedoc = fileURLToPath(new URL("../../node_modules/typedoc/bin/typedoc", import.meta.url));

function runTypedoc(...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    // No HTML: validation runs on the converted project, which is all this needs.
    execFile(process.execPath, [typedoc, "--emit", "none", ...args], { cwd: root, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolve({ code, output: stdout + stderr });
    });
  });
}

test("the API reference of src/index.ts builds with warnings treated as errors", { timeout: 150_000 }, async () => {
  const { code, output } = await runTypedoc();
  assert.equal(code, 0, output);
  assert.doesNotMatch(output, /warning|error/i, output);
});

test("the check fails on a broken {@link} and on a public type that is not exported", { timeout: 150_000 }, async () => {
  const { code, output } = await runTypedoc("--options", "test/docs/fixtures/typedoc.json");
  assert.notEqual(code, 0, output);
  assert.match(output, /resolve link to "Missing"/, "the broken link is reported");
  assert.match(output, /Hidden.*not included in the documentation/, "the hidden type is reported");
});
