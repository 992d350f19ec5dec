// Streams protochan.v1.Packet packets from TypeScript to a C consumer
// (consumer.c, built here with cc on the protochan C library in c/).
//
//   node --conditions=source --import tsx examples/packet-stream/producer.ts [count]
//
// The C program connects to this PacketServer, receives every packet in
// batches, checks each one field by field and prints a summary.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PacketServer } from "protochan";
import { PacketView } from "../../generated/protochan/v1/packet_packet.js";

const count = Number(process.argv[2] ?? 100_000);
const here = fileURLToPath(new URL(".", import.meta.url));

/** cc -std=c11 … -I c/include -I generated consumer.c c/src/*.c: the C library and the generated headers. */
function buildConsumer(): string {
  const out = join(mkdtempSync(join(tmpdir(), "packet-stream-example-")), "consumer");
  const cc = process.env.CC ?? "cc";
  const lib = join(here, "../../c");
  const sources = readdirSync(join(lib, "src"))
    .filter((f) => f.endsWith(".c"))
    .map((f) => join(lib, "src", f));
  const flags = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic"];
  const includes = ["-I", join(lib, "include"), "-I", join(here, "../../generated")];
  execFileSync(cc, [...flags, ...includes, join(here, "consumer.c"), ...sources, "-o", out], { stdio: "inherit" });
  return out;
}

/**
 * Packet i: timestamp i, a payload of (i × 37) mod 1501 bytes all equal to
 * i & 0xff, link type 101 (raw IP). One view is reused: pipeFrom() copies
 * each packet (just its used bytes) as soon as it gets it.
 */
async function* capture(n: number): AsyncGenerator<PacketView> {
  const p = PacketView.create();
  const payload = new Uint8Array(1500);
  for (let i = 0; i < n; i++) {
    const length = (i * 37) % 1501;
    p.timestampNs = BigInt(i);
    p.originalLength = length + 4;
    p.linkType = 101;
    p.payload = payload.subarray(0, length).fill(i & 0xff);
    yield p;
  }
}

const consumer = buildConsumer();
const { server, name } = await PacketServer.create();
const child = spawn(consumer, [name, "--check"], { stdio: ["ignore", "pipe", "inherit"] });
let output = "";
child.stdout.on("data", (d: Buffer) => (output += d.toString()));
const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

const conn = await server.accept({ timeoutMs: 10_000 });
await server.close();
const started = performance.now();
const sent = await conn.pipeFrom(capture(count), { batchSize: 256 });
const code = await exited;
const ms = performance.now() - started;
rmSync(dirname(consumer), { recursive: true, force: true });
console.log(`sent ${sent} packets in ${ms.toFixed(0)} ms; C consumer (exit ${code}): ${output.trim()}`);
process.exitCode = code === 0 && output.includes(`packets=${sent} `) ? 0 : 1;
