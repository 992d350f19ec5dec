// Every schema the C layout cannot express is a codegen error naming
// file:line:column and the field, and saying what to do. Each case is a bad
// proto in test/codegen/fixtures/<case>/bad.proto whose offending line ends
// in "// error here". One `buf build` makes an image of all of them; the
// plugin then runs in-process on each file, and once for real under
// `buf generate` to show the message reaches the user.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { create, fromBinary } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { protocGenProtochan } from "../../codegen/plugin.js";
import { buildDir, C_FLAGS, CXX_FLAGS, root } from "../c-layout/c-build.js";

const fixtures = join(root, "test", "codegen", "fixtures");
const buf = join(root, "node_modules", ".bin", "buf");

/** What each case's message must say besides location and field. */
const cases: Record<string, { subject: string; says: RegExp; code?: string }> = {
  map_field: { subject: "bad.map_field.M.labels", says: /map fields cannot be laid out in C; use a repeated field/ },
  unbounded_string: {
    subject: "bad.unbounded_string.M.name",
    says: /string fields need a bound: set \(protochan\.v1\.field\)\.max_length/,
  },
  unbounded_bytes: { subject: "bad.unbounded_bytes.M.data", says: /bytes fields need a bound: set \(protochan\.v1\.field\)\.max_length/ },
  unbounded_repeated: {
    subject: "bad.unbounded_repeated.M.values",
    says: /repeated fields need a bound: set \(protochan\.v1\.field\)\.max_count/,
  },
  non_c_layout_submessage: {
    subject: "bad.non_c_layout_submessage.M.plain",
    says: /Plain is not a C-layout message; set option \(protochan\.v1\.message\)\.c_layout = true/,
  },
  recursion: { subject: "bad.recursion.B.a", says: /recursive reference to bad\.recursion\.A/ },
  any_field: { subject: "bad.any_field.M.detail", says: /google\.protobuf\.Any cannot be laid out in C/ },
  both_lengths: { subject: "bad.both_lengths.M.name", says: /either \(protochan\.v1\.field\)\.max_length or fixed_length, not both/ },
  both_counts: { subject: "bad.both_counts.M.values", says: /either \(protochan\.v1\.field\)\.max_count or fixed_count, not both/ },
  c_type_on_double: { subject: "bad.c_type_on_double.M.ratio", says: /c_type narrows integer and enum fields only/ },
  c_type_on_bool: { subject: "bad.c_type_on_bool.M.flag", says: /c_type narrows integer and enum fields only/ },
  enum_too_wide: { subject: "bad.enum_too_wide.M.big", says: /enum value BIG_LARGE = 300 does not fit c_type uint8/ },
  max_length_on_int: {
    subject: "bad.max_length_on_int.M.x",
    says: /max_length\/fixed_length apply to singular string and bytes fields only/,
  },
  max_count_on_singular: { subject: "bad.max_count_on_singular.M.x", says: /max_count\/fixed_count apply to repeated fields only/ },
  bounded_in_oneof: { subject: "bad.bounded_in_oneof.M.text", says: /a oneof member cannot have a length member; use fixed_length/ },
  repeated_string: { subject: "bad.repeated_string.M.names", says: /repeated string\/bytes cannot be laid out in C/ },
  handle_without_payload: { subject: "bad.handle_without_payload.M.events", says: /needs \(protochan\.v1\.field\)\.payload/ },
  handle_unknown_payload: {
    subject: "bad.handle_unknown_payload.M.events",
    says: /payload "bad\.handle_unknown_payload\.Missing" is not a message known/,
  },
  payload_on_non_handle: {
    subject: "bad.payload_on_non_handle.M.events",
    says: /payload applies to protochan\.v1\.SenderHandle\/ReceiverHandle fields only/,
  },
  empty_message: { subject: "bad.empty_message.Empty", says: /needs at least one field/ },
  keyword_field: { subject: "bad.keyword_field.M.class", says: /"class" is a C or C\+\+ keyword; rename the field/ },
  name_collision: { subject: "bad.name_collision.M.name_len", says: /C member "name_len" would be declared twice/ },
  padding_name: { subject: "bad.padding_name.M._pad0", says: /"_pad0" is reserved for padding members/ },
  // Handle fields of protobuf (not C-layout) messages, checked by the channel emitter.
  chan_handle_without_payload: {
    subject: "bad.chan_handle_without_payload.M.events",
    says: /a handle field needs \(protochan\.v1\.field\)\.payload/,
    code: "PROTOCHAN_CODEGEN",
  },
  chan_handle_unknown_payload: {
    subject: "bad.chan_handle_unknown_payload.M.events",
    says: /payload type "bad\.chan_handle_unknown_payload\.Missing" not found/,
    code: "PROTOCHAN_CODEGEN",
  },
};

/** "<case>/bad.proto:line:col" of the line marked "// error here". */
function expectedLocation(name: string): string {
  const lines = readFileSync(join(fixtures, name, "bad.proto"), "utf8").split("\n");
  const i = lines.findIndex((l) => l.includes("// error here"));
  assert.ok(i >= 0, `${name}/bad.proto has no line marked "// error here"`);
  const line = lines[i] ?? "";
  return `${name}/bad.proto:${i + 1}:${line.length - line.trimStart().length + 1}`;
}

// A buf workspace holding our schema and the bad protos side by side.
const work = buildDir("codegen-errors");
rmSync(join(work, "ws"), { recursive: true, force: true });
cpSync(join(root, "schema"), join(work, "ws", "schema"), { recursive: true });
cpSync(fixtures, join(work, "ws", "fixtures"), { recursive: true });
cpSync(join(root, "test", "codegen", "fixtures-good"), join(work, "ws", "good"), { recursive: true });
cpSync(join(root, "test", "codegen", "fixtures-several"), join(work, "ws", "several"), { recursive: true });
writeFileSync(
  join(work, "ws", "buf.yaml"),
  "version: v2\nmodules:\n  - path: schema\n  - path: fixtures\n  - path: good\n  - path: several\n",
);
execFileSync(buf, ["build", "-o", join(work, "image.binpb")], { cwd: join(work, "ws"), stdio: "pipe" });
const image = fromBinary(FileDescriptorSetSchema, readFileSync(join(work, "image.binpb")));

function generate(...files: string[]): { name: string; content: string }[] {
  return protocGenProtochan.run(
    create(CodeGeneratorRequestSchema, {
      fileToGenerate: files,
      protoFile: image.file,
      parameter: "target=ts,import_extension=js",
    }),
  ).file;
}

test("every fixture directory has an expected message, and every expectation a fixture", () => {
  assert.deepEqual(readdirSync(fixtures).sort(), Object.keys(cases).sort());
});

for (const [name, { subject, says, code = "PROTOCHAN_C_LAYOUT" }] of Object.entries(cases)) {
  test(`codegen error: ${name}`, () => {
    const location = expectedLocation(name);
    assert.throws(
      () => generate(`${name}/bad.proto`),
      (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.equal((err as Error & { code?: string }).code, code);
        assert.ok(
          err.message.startsWith(`${location}: ${subject}: `),
          `message "${err.message}" should start with "${location}: ${subject}: "`,
        );
        assert.match(err.message, says);
        return true;
      },
    );
  });
}

/** "several/bad.proto:line:col" of the line marked "// error <n>". */
function severalLocation(n: number): string {
  const lines = readFileSync(join(root, "test", "codegen", "fixtures-several", "several", "bad.proto"), "utf8").split("\n");
  const i = lines.findIndex((l) => l.endsWith(`// error ${n}`));
  const line = lines[i] ?? "";
  return `several/bad.proto:${i + 1}:${line.length - line.trimStart().length + 1}`;
}

test("one run reports every problem of a file, one per line, each with its location", () => {
  assert.throws(
    () => generate("several/bad.proto"),
    (err: unknown) => {
      assert.ok(err instanceof Error);
      const lines = err.message.split("\n");
      assert.equal(lines.length, 3, err.message);
      assert.ok(lines[0]?.startsWith(`${severalLocation(1)}: bad.several.A.name: string fields need a bound`), lines[0]);
      assert.ok(lines[1]?.startsWith(`${severalLocation(2)}: bad.several.A.labels: map fields`), lines[1]);
      assert.ok(lines[2]?.startsWith(`${severalLocation(3)}: bad.several.B.events: a handle field needs`), lines[2]);
      return true;
    },
  );
});

test("the good schema generates without errors in the same harness", () => {
  generate("example/v1/packets.proto");
});

test("features packets.proto lacks (cross-file structs, optional strings/messages, repeated handles...) compile and agree with the TS layout", () => {
  const files = generate("more/shapes.proto", "more/features.proto");
  const out = join(work, "good-out");
  rmSync(out, { recursive: true, force: true });
  for (const f of files) {
    mkdirSync(dirname(join(out, f.name)), { recursive: true });
    writeFileSync(join(out, f.name), f.content);
  }
  const header = files.find((f) => f.name === "more/features.h")?.content ?? "";
  assert.match(header, /#include "more\/shapes.h"/);
  assert.match(header, /uint8_t has_note; \/\/ 1 if set/);
  // Clearing an optional bounded string zeroes its length too (note_len at 4, note at 8..13).
  assert.match(
    files.find((f) => f.name === "more/features_packet.ts")?.content ?? "",
    /if \(v === undefined\) PacketIO\.zero\(this, 1, 12\);/,
  );
  assert.match(header, /uint32_t inboxes\[2\]; \/\/ receiver handle index of good\.more\.Point/);
  assert.match(header, /#define good_more_Features_LAYOUT_VERSION 3u/);
  assert.match(header, /GOOD_MORE_FEATURES_MODE_ON = 1,/);
  // Members of the TypeScript layout table of Features, checked with offsetof in C.
  const ts = files.find((f) => f.name === "more/features_packet.ts")?.content ?? "";
  const table = ts.slice(ts.indexOf('cName: "good_more_Features"'));
  const members = [...table.slice(0, table.indexOf("],")).matchAll(/\{ name: "([\w.]+)", offset: (\d+), size: (\d+) \}/g)];
  assert.ok(members.length > 20, "the Features layout table was not found");
  const size = /size: (\d+),/.exec(table)?.[1];
  const src = join(out, "check.c");
  writeFileSync(
    src,
    [
      '#include "more/features.h"',
      `_Static_assert(sizeof(good_more_Features) == ${size}, "size");`,
      ...members.map(
        ([, name, offset, sz]) =>
          `_Static_assert(offsetof(good_more_Features, ${name}) == ${offset} && sizeof(((good_more_Features *)0)->${name}) == ${sz}, "${name}");`,
      ),
      "int main(void) { return 0; }",
      "",
    ].join("\n"),
  );
  writeFileSync(join(out, "check.cpp"), '#include "more/features.h"\nint main() { return 0; }\n');
  for (const [cc, flags, file] of [
    ["gcc", C_FLAGS, src],
    ["g++", CXX_FLAGS, join(out, "check.cpp")],
  ] as const) {
    const r = spawnSync(cc, [...flags, "-I", out, file, "-o", join(out, `check-${cc}`)], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  }
});

test("through buf generate, the error reaches stderr with file:line:column and the field", () => {
  const template = JSON.stringify({
    version: "v2",
    plugins: [
      {
        local: ["node", "--conditions=source", "--import", "tsx", join(root, "codegen/bin/protoc-gen-protochan.ts")],
        out: join(work, "out"),
        opt: ["target=ts", "import_extension=js"],
      },
    ],
  });
  const r = spawnSync(buf, ["generate", "--template", template, "--path", "fixtures/map_field"], {
    cwd: join(work, "ws"),
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  assert.notEqual(r.status, 0, "buf generate should fail on map_field");
  assert.match(r.stderr, new RegExp(`${expectedLocation("map_field")}: bad\\.map_field\\.M\\.labels: map fields`));
});
