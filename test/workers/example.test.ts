// The worker-pool example runs end to end (so it cannot rot).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

test("examples/worker-pool/host.ts runs a pool, survives a killed worker and closes", { timeout: 60_000 }, async () => {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ["--conditions=source", "--import", "tsx", "examples/worker-pool/host.ts"],
      { cwd: root, timeout: 50_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
  assert.match(out, /300 calls answered/);
  assert.match(out, /sum of 1\.\.100 = 5050/);
  assert.match(out, /was killed mid-call; all three calls answered/);
  assert.match(out, /pool back to 3 workers/);
  assert.match(out, /\[worker \d+\] hello from a one-way call/);
  assert.match(out, /closed: every worker finished/);
});
