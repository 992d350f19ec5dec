// The C library as a user builds it: `make -C c` (out of tree with BUILD=,
// generated headers found by default or with GENERATED=), a program linked
// against libprotochan.a from C11 and from C++17, and the constants of the
// header equal to the TypeScript runtime's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { HANDLE_ENTRY_SIZE, HEADER_SIZE, MAGIC, PROTOCOL_VERSION } from "../../src/wire/header.js";
import { BOOTSTRAP_ROUTE } from "../../src/wire/header.js";
import { TOKEN_SIZE } from "../../src/transport/name.js";
import { typeIdOf } from "../../src/wire/type-id.js";
import { buildDir, C_FLAGS, compile, CXX_FLAGS, generatedDir, root, run } from "../c-layout/c-build.js";
import { cDir, cInclude } from "./c-lib.js";

const T = { timeout: 60_000 };
const out = buildDir("c-lib-make");

function make(args: readonly string[]): { status: number | null; output: string } {
  const r = spawnSync("make", ["-s", "-C", cDir, ...args], { encoding: "utf8" });
  if (r.error) throw new Error(`make could not be run (${r.error.message}); install make`);
  return { status: r.status, output: r.stdout + r.stderr };
}

function library(): string {
  const lib = join(out, "libprotochan.a");
  const r = make([`BUILD=${out}`]);
  assert.equal(r.status, 0, r.output);
  return lib;
}

test("make -C c BUILD=<dir> builds libprotochan.a there; c/build/ is ignored by git", T, () => {
  rmSync(out, { recursive: true, force: true });
  const lib = library();
  assert.ok(existsSync(lib));
  const members = execFileSync("ar", ["t", lib], { encoding: "utf8" }).split("\n").filter(Boolean).sort();
  assert.deepEqual(members, ["channel.o", "error.o", "frame.o", "handshake.o"]);
  const ignored = spawnSync("git", ["check-ignore", "-q", "c/build/libprotochan.a"], { cwd: root });
  assert.equal(ignored.status, 0, "c/build/ must be git-ignored");
});

test("GENERATED= points the Makefile at the generated headers (a wrong one fails)", T, () => {
  const good = make([`BUILD=${join(out, "good")}`, `GENERATED=${generatedDir}`]);
  assert.equal(good.status, 0, good.output);
  const bad = make([`BUILD=${join(out, "bad")}`, "GENERATED=/nonexistent"]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.output, /protochan\/v1\/wire\.h/);
});

test("a C11 and a C++17 program link against libprotochan.a; constants and type ids match the runtime", T, () => {
  const lib = library();
  const source = join(root, "test", "c", "lib-constants.c");
  const cExe = join(out, "constants-c");
  const cxxExe = join(out, "constants-cxx");
  compile("cc", [...C_FLAGS, "-I", cInclude, source, lib, "-o", cExe]);
  compile("g++", [...CXX_FLAGS, "-x", "c++", "-I", cInclude, source, "-x", "none", lib, "-o", cxxExe]);
  const names = ["example.v1.Ping", "example.v1.Sample", "protochan.packet_stream.data.protochan.v1.Packet", "µ.v1.Ünïcode"];
  const hex = (v: bigint) => v.toString(16).padStart(16, "0");
  const expected = [
    `PC_TYPE_ID_BYTES ${hex(typeIdOf("protochan.bytes"))}`,
    `PC_TYPE_ID_ANY ${hex(typeIdOf("protochan.any"))}`,
    `pc_type_id(PC_TYPE_NAME_BYTES) ${hex(typeIdOf("protochan.bytes"))}`,
    `pc_type_id(PC_TYPE_NAME_ANY) ${hex(typeIdOf("protochan.any"))}`,
    ...names.map((n) => `${n} ${hex(typeIdOf(n))}`),
    `PC_MAGIC ${MAGIC.toString(16).padStart(8, "0")}`,
    `PC_PROTOCOL_VERSION ${PROTOCOL_VERSION}`,
    `PC_HEADER_SIZE ${HEADER_SIZE}`,
    `PC_HANDLE_ENTRY_SIZE ${HANDLE_ENTRY_SIZE}`,
    `PC_TOKEN_SIZE ${TOKEN_SIZE}`,
    `PC_BOOTSTRAP_ROUTE ${BOOTSTRAP_ROUTE}`,
    "pc_code_name(PC_PROTOCOL_ERROR) PROTOCOL_ERROR",
  ];
  for (const exe of [cExe, cxxExe]) assert.deepEqual(run(exe, names).trim().split("\n"), expected, exe);
});
