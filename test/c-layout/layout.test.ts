// Layout cross-check: for every C-layout message in schema/, a C program
// compiled against the generated header prints sizeof, alignof and every
// member's offsetof/sizeof, and the TypeScript layout tables must agree exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { getOption, hasOption, type DescFile, type DescMessage } from "@bufbuild/protobuf";
import { message as messageOption } from "../../generated/protochan/v1/options_pb.js";
import { buildDir, compile, C_FLAGS, generatedDir, generatedViews, run } from "./c-build.js";

/** Full names of the messages marked c_layout, found through the generated descriptors of every schema file. */
async function cLayoutMessagesInSchema(): Promise<string[]> {
  const names: string[] = [];
  const files = readdirSync(generatedDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith("_pb.ts"))
    .map((e) => join(e.parentPath, e.name));
  const walk = (ms: readonly DescMessage[]) => {
    for (const m of ms) {
      if (hasOption(m, messageOption) && getOption(m, messageOption).cLayout) names.push(m.typeName);
      walk(m.nestedMessages);
    }
  };
  for (const file of files) {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const [key, value] of Object.entries(mod)) {
      if (key.startsWith("file_")) walk((value as DescFile).messages);
    }
  }
  return names.sort();
}

const views = await generatedViews();

test("every C-layout message in schema/ has a generated packet view", async () => {
  const expected = await cLayoutMessagesInSchema();
  assert.ok(expected.includes("protochan.v1.FrameHeader") && expected.includes("example.v1.Sample"));
  assert.deepEqual(views.map((v) => v.view.layout.typeName).sort(), expected);
});

test("FrameHeader is exactly the 40 bytes the wire format documents", () => {
  const header = views.find((v) => v.view.layout.typeName === "protochan.v1.FrameHeader");
  assert.ok(header);
  const offsets = Object.fromEntries(header.view.layout.members.map((m) => [m.name, [m.offset, m.size]]));
  assert.equal(header.view.layout.size, 40);
  assert.deepEqual(offsets, {
    magic: [0, 4],
    version: [4, 2],
    header_size: [6, 2],
    kind: [8, 2],
    flags: [10, 2],
    body_length: [12, 4],
    route_id: [16, 4],
    handle_count: [20, 4],
    seq: [24, 8],
    type_id: [32, 8],
  });
});

test("C's sizeof/alignof/offsetof agree with every TypeScript layout table", () => {
  const dir = buildDir("layout");
  const headers = [...new Set(views.map((v) => v.header))];
  const lines = [
    "#include <stdio.h>",
    ...headers.map((h) => `#include "${h}"`),
    '#define MEMBER(T, m) printf("%s %s %zu %zu\\n", #T, #m, offsetof(T, m), sizeof(((T *)0)->m))',
    "int main(void) {",
  ];
  for (const { view } of views) {
    const t = view.layout.cName;
    lines.push(`  printf("%s size %zu %zu\\n", "${t}", sizeof(${t}), _Alignof(${t}));`);
    for (const m of view.layout.members) lines.push(`  MEMBER(${t}, ${m.name});`);
  }
  lines.push("  return 0;", "}", "");
  const src = join(dir, "layout.c");
  const exe = join(dir, "layout");
  writeFileSync(src, lines.join("\n"));
  compile("gcc", [...C_FLAGS, src, "-o", exe]);

  const fromC = run(exe).trim().split("\n");
  const fromTs: string[] = [];
  for (const { view } of views) {
    const l = view.layout;
    fromTs.push(`${l.cName} size ${l.size} ${l.align}`);
    for (const m of l.members) fromTs.push(`${l.cName} ${m.name} ${m.offset} ${m.size}`);
  }
  assert.deepEqual(fromC, fromTs);
});

test("members tile each struct: no gaps, no overlaps (union arms aside)", () => {
  for (const { view } of views) {
    let end = 0;
    for (const m of view.layout.members.filter((m) => !m.name.includes("."))) {
      assert.equal(m.offset, end, `${view.layout.typeName}.${m.name} should start at ${end}`);
      end += m.size;
    }
    assert.equal(end, view.layout.size, `${view.layout.typeName}: members cover ${end} of ${view.layout.size} bytes`);
  }
});
