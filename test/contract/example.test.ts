// `npm run example:contracts` runs end to end (so it cannot rot): the
// consumer writes its contract, the provider is verified against it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

test("npm run example:contracts writes the contract and verifies the provider, exit 0", { timeout: 90_000 }, async (t) => {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), "contract-example-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      npm,
      ["run", "-s", "example:contracts"],
      { cwd: root, timeout: 80_000, env: { ...process.env, PACT_DIR: dir } },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)),
    ),
  );
  assert.match(out, /\[consumer\] contract written: .*invoice-app-calculator\.json/);
  assert.match(out, /\[provider\] verified 3 interactions/);
  const pact = JSON.parse(readFileSync(join(dir, "invoice-app-calculator.json"), "utf8")) as {
    metadata: { pactSpecification: { version: string } };
  };
  assert.equal(pact.metadata.pactSpecification.version, "4.0");
});
