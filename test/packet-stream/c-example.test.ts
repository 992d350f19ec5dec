// The example in examples/packet-stream/ end to end, so it cannot rot:
// producer.ts builds consumer.c with cc from the generated headers and
// streams packets to it; the C program checks every packet and the end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const producer = fileURLToPath(new URL("../../examples/packet-stream/producer.ts", import.meta.url));

test("examples/packet-stream: 50,000 packets from TypeScript to the C consumer, checked field by field, clean end", {
  timeout: 60_000,
}, async () => {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", producer, "50000"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearTimeout(timer);
  assert.equal(code, 0, `producer exited ${code}\nstdout: ${out}\nstderr: ${err}`);
  // 50,000 packets with payloads of (i × 37) mod 1501 bytes.
  let bytes = 0;
  for (let i = 0; i < 50_000; i++) bytes += (i * 37) % 1501;
  assert.match(out, new RegExp(`sent 50000 packets .*C consumer \\(exit 0\\): packets=50000 payload_bytes=${bytes} end=clean`));
});
