// `npm run example:grpc` runs end to end (so it cannot rot): a worker pool
// served over gRPC, called by grpc-js and Connect clients in another process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

test("npm run example:grpc serves a pool of 2 over gRPC and its client prints every answer", { timeout: 60_000 }, async () => {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const out = await new Promise<string>((resolve, reject) =>
    execFile("npm", ["run", "-s", "example:grpc"], { cwd: root, timeout: 50_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
  const pids = /2 workers ready \(pids (\d+), (\d+)\)/.exec(out);
  assert.ok(pids, out);
  assert.match(out, new RegExp(`grpc-js: 100 Add calls answered by worker pids ${[pids[1], pids[2]].sort().join(", ")}\\n`));
  for (const protocol of ["gRPC", "Connect"]) {
    const name = `Connect \\(${protocol} protocol\\)`;
    assert.match(out, new RegExp(`${name}: count 1..5 = 1,2,3,4,5; sum of 1..100 = 5050; echo = HELLO GATEWAY`));
    assert.match(out, new RegExp(`${name}: a 60 s Work with a 200 ms deadline: \\[deadline_exceeded\\]`));
    assert.match(out, new RegExp(`${name}: a failing Work: \\[permission_denied\\] work x failed`));
  }
  assert.match(out, /\[gateway\] closed\n$/);
});
