// Every generated <file>_codec.ts covers every message of its proto file
// (C-layout packets excepted: they get packet codecs), and a proto3 file's
// codecs are generated code, not the reflective fallback.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { getOption, hasOption, type DescFile, type DescMessage } from "@bufbuild/protobuf";
import { message as messageOption } from "../../generated/protochan/v1/options_pb.js";
import { messagesOf, shapeName } from "../../codegen/names.js";

const root = new URL("../../generated/", import.meta.url).pathname;

function pbFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? pbFiles(join(dir, e.name)) : e.name.endsWith("_pb.ts") ? [join(dir, e.name)] : [],
  );
}

const isCLayout = (m: DescMessage) => hasOption(m, messageOption) && getOption(m, messageOption).cLayout;

const files = pbFiles(root).filter((p) => !relative(root, p).startsWith("protochan/"));

test("there are generated files to check", () => {
  assert.ok(files.length >= 2, `found ${files.length}`);
});

for (const pbPath of files) {
  test(`${relative(root, pbPath)}: its _codec.ts has a codec per message`, async () => {
    const pb = (await import(pathToFileURL(pbPath).href)) as Record<string, unknown>;
    const file = Object.values(pb).find((v) => (v as { kind?: string }).kind === "file") as DescFile | undefined;
    assert.ok(file, "no file descriptor export");
    const messages = messagesOf(file).filter((m) => !isCLayout(m));
    const codecPath = pbPath.replace(/_pb\.ts$/, "_codec.ts");
    if (messages.length === 0) {
      assert.ok(!existsSync(codecPath), "a codec file for a file without protobuf-coded messages");
      return;
    }
    assert.ok(existsSync(codecPath), `missing ${relative(root, codecPath)}`);
    const codecs = (await import(pathToFileURL(codecPath).href)) as Record<string, unknown>;
    const source = readFileSync(codecPath, "utf8");
    const expected = new Set(messages.map((m) => `${shapeName(m)}Codec`));
    for (const m of messages) {
      const name = `${shapeName(m)}Codec`;
      const codec = codecs[name] as { encode?: unknown; decode?: unknown; read?: unknown } | undefined;
      assert.ok(codec, `${m.typeName}: no export ${name}`);
      assert.equal(typeof codec.encode, "function");
      assert.equal(typeof codec.decode, "function");
      assert.equal(typeof codec.read, "function");
      if (file.edition === 999 /* proto3 */) {
        assert.ok(source.includes(`function write_${shapeName(m)}(`), `${m.typeName}: encoder not generated`);
        assert.ok(source.includes(`function read_${shapeName(m)}(`), `${m.typeName}: decoder not generated`);
      }
    }
    const extra = Object.keys(codecs).filter((k) => !expected.has(k));
    assert.deepEqual(extra, [], "exports for no message of the file");
    // The channels of the file carry the generated codecs.
    const channels = (await import(pathToFileURL(pbPath.replace(/_pb\.ts$/, "_chan.ts")).href)) as Record<string, unknown>;
    for (const m of messages) {
      const channel = channels[`${shapeName(m)}Channel`] as { codec?: { wraps?: unknown } } | undefined;
      assert.ok(channel, `${m.typeName}: no channel`);
      // A message with handle fields wraps its codec in one that swaps channel ends for indices.
      const codec = channel.codec?.wraps ?? channel.codec;
      assert.equal(codec, codecs[`${shapeName(m)}Codec`], `${m.typeName}: channel does not use its codec`);
    }
  });
}
