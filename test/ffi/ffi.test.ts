// FFI: a C shared library compiled against the generated headers, loaded with
// koffi, reads structs TypeScript wrote (through the views' bytes, no copy)
// and writes one TypeScript reads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import koffi from "koffi";
import { buildDir, compile, root } from "../c-layout/c-build.js";
import { frameHeader, packet, sampleA, sampleB } from "../c-layout/samples.js";
import { SampleView } from "../../generated/example/v1/packets_packet.js";
import { Priority } from "../../generated/example/v1/packets_pb.js";
import { Level } from "../../generated/example/v1/example_pb.js";
import { HANDLE_NONE } from "protochan";

const lib = join(buildDir("ffi"), "libsamples.so");
compile("cc", [
  "-std=c11",
  "-Wall",
  "-Wextra",
  "-Werror",
  "-pedantic",
  "-O1",
  "-shared",
  "-fPIC",
  join(root, "test", "ffi", "samples.c"),
  "-o",
  lib,
]);
const so = koffi.load(lib);

const checks = {
  check_frame_header: frameHeader,
  check_sample_a: sampleA,
  check_sample_b: sampleB,
  check_packet: packet,
} as const;

for (const [fn, make] of Object.entries(checks)) {
  test(`C ${fn}() reads the struct TypeScript wrote`, () => {
    const check = so.func(`int ${fn}(const void *p)`);
    // 0 = every field matched; otherwise the line in samples.c of the failed check.
    assert.equal(check(make().bytes), 0);
  });
}

test("a changed field is caught by the C checks (the FFI test can fail)", () => {
  const check = so.func("int check_sample_a(const void *p)");
  const s = sampleA();
  s.battery = 98;
  assert.notEqual(check(s.bytes), 0);
});

test("C fills a struct in TypeScript memory and the view reads it", () => {
  assert.equal(so.func("size_t sample_size(void)")(), SampleView.layout.size);
  const fill = so.func("void fill_sample(void *p)");
  const s = SampleView.create();
  fill(s.bytes);
  assert.deepEqual(s.toObject(), {
    id: 7n,
    valid: true,
    offset: -128,
    channel: 513,
    priority: Priority.LOW,
    level: Level.INFO,
    temperature: -40,
    delta: 99,
    name: "C99",
    mac: new Uint8Array([1, 2, 3, 4, 5, 6]),
    readings: [-1, 65536],
    weights: [1, 2, 4],
    position: { x: 0.5, y: 0.75 },
    path: [{ x: -1, y: -2 }],
    shape: { case: "code", value: 0xc0de },
    battery: 12,
    acks: HANDLE_NONE,
    timestampNs: -(2n ** 63n),
  });
});
