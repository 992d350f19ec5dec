// Golden byte fixtures: the TypeScript views must write exactly the bytes in
// test/fixtures/golden/, and a C program compiled against the generated
// headers must read every field of those files back. Regenerate the fixtures
// (after a deliberate layout change) with UPDATE_GOLDEN=1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildDir, compile, C_FLAGS, root, run } from "./c-build.js";
import { goldenSamples, sampleAObject, sampleBObject } from "./samples.js";
import { SampleView } from "../../generated/example/v1/packets_packet.js";

const fixtures = join(root, "test", "fixtures", "golden");

if (process.env.UPDATE_GOLDEN === "1") {
  for (const [name, make] of goldenSamples) writeFileSync(join(fixtures, name), make().bytes);
}

for (const [name, make] of goldenSamples) {
  test(`TypeScript writes exactly the bytes of golden/${name}`, () => {
    const file = join(fixtures, name);
    assert.ok(existsSync(file), `test/fixtures/golden/${name} is missing; create it with UPDATE_GOLDEN=1`);
    assert.deepEqual(Buffer.from(make().bytes), readFileSync(file));
  });
}

test("TypeScript reads the golden samples back to the values that made them", () => {
  assert.deepEqual(SampleView.wrap(readFileSync(join(fixtures, "sample_a.bin"))).toObject(), sampleAObject);
  assert.deepEqual(SampleView.wrap(readFileSync(join(fixtures, "sample_b.bin"))).toObject(), sampleBObject);
});

test("C reads every field of every golden fixture", () => {
  const dir = buildDir("golden");
  const checks: Record<string, [string, string]> = {
    "frame_header.bin": ["protochan_v1_FrameHeader", "check_frame_header"],
    "sample_a.bin": ["example_v1_Sample", "check_sample_a"],
    "sample_b.bin": ["example_v1_Sample", "check_sample_b"],
    "packet.bin": ["protochan_v1_Packet", "check_packet"],
  };
  assert.deepEqual(Object.keys(checks).sort(), goldenSamples.map(([n]) => n).sort());
  const main = [
    "#include <stdio.h>",
    "#include <stdlib.h>",
    `#include "${join(root, "test", "ffi", "samples.c")}"`,
    "/* Reads a whole fixture into malloc'd (suitably aligned) memory; size must be sizeof the struct. */",
    "static void *load(const char *path, size_t size) {",
    '  FILE *f = fopen(path, "rb");',
    '  if (!f) { printf("%s: cannot open\\n", path); exit(2); }',
    "  void *p = calloc(1, size + 1);",
    "  size_t n = fread(p, 1, size + 1, f);",
    "  fclose(f);",
    '  if (n != size) { printf("%s: %zu bytes, expected %zu\\n", path, n, size); exit(3); }',
    "  return p;",
    "}",
    "int main(void) {",
    ...Object.entries(checks).map(
      ([file, [type, fn]]) =>
        `  { void *p = load("${join(fixtures, file)}", sizeof(${type})); printf("${file} %d\\n", ${fn}((const ${type} *)p)); free(p); }`,
    ),
    "  return 0;",
    "}",
    "",
  ].join("\n");
  const src = join(dir, "golden_check.c");
  const exe = join(dir, "golden_check");
  writeFileSync(src, main);
  compile("gcc", [...C_FLAGS, src, "-o", exe]);
  // Each line is "<fixture> <line of the first failed check in samples.c, or 0>".
  assert.equal(
    run(exe),
    Object.keys(checks)
      .map((f) => `${f} 0\n`)
      .join(""),
  );
});
