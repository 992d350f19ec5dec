// Every generated header compiles on its own, warning-free, as C11 and as
// C++17; and all of them together (include guards, no clashing names).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildDir, compile, C_FLAGS, CXX_FLAGS, generatedDir, generatedHeaders } from "./c-build.js";

const dir = buildDir("headers");
const headers = generatedHeaders();

test("the generated headers include wire.h, packet.h and packets.h", () => {
  for (const h of ["protochan/v1/wire.h", "protochan/v1/packet.h", "example/v1/packets.h"]) {
    assert.ok(headers.includes(h), `generated/${h} is missing: run npm run generate`);
  }
});

function compileBoth(name: string, includes: readonly string[]): void {
  const source = `${includes.map((h) => `#include "${h}"`).join("\n")}\nint main(void) { return 0; }\n`;
  const c = join(dir, `${name}.c`);
  const cpp = join(dir, `${name}.cpp`);
  writeFileSync(c, source);
  writeFileSync(cpp, source.replace("(void)", "()"));
  compile("gcc", [...C_FLAGS, "-c", c, "-o", join(dir, `${name}.c.o`)]);
  compile("g++", [...CXX_FLAGS, "-c", cpp, "-o", join(dir, `${name}.cpp.o`)]);
}

for (const header of headers) {
  test(`${header} compiles as C11 and C++17 with -Wall -Wextra -Werror -pedantic`, () => {
    compileBoth(header.replace(/[^A-Za-z0-9]/g, "_"), [header]);
  });
}

test("all headers together, each included twice", () => {
  compileBoth("all", [...headers, ...headers]);
});

test("the static asserts are live: a header claiming FrameHeader is 41 bytes does not compile", () => {
  const wire = readFileSync(join(generatedDir, "protochan/v1/wire.h"), "utf8");
  const tampered = wire.replace("sizeof(protochan_v1_FrameHeader) == 40", "sizeof(protochan_v1_FrameHeader) == 41");
  assert.notEqual(tampered, wire, "wire.h does not assert sizeof(protochan_v1_FrameHeader) == 40");
  writeFileSync(join(dir, "tampered_wire.h"), tampered);
  const c = join(dir, "tampered.c");
  writeFileSync(c, '#include "tampered_wire.h"\nint main(void) { return 0; }\n');
  assert.throws(() => compile("gcc", [...C_FLAGS, "-c", c, "-o", join(dir, "tampered.o")]), /protochan_v1_FrameHeader: size/);
});
