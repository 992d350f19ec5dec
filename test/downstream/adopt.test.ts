// What a new user does, outside this repository: pack both packages, install
// the tarballs into a fresh project, `protochan init`, write a schema,
// `buf generate`, type-check with strict settings and run with plain node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "../c-layout/c-build.js";

const devDependencies = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { devDependencies: Record<string, string> })
  .devDependencies;
/** The tool versions this repository is tested with. */
const pin = (name: string) => `${name}@${devDependencies[name] ?? "latest"}`;

function sh(cmd: string, args: readonly string[], cwd: string, timeoutMs = 180_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    timeout: timeoutMs,
    // A user's shell: no tsx loader, no source conditions of this repository.
    env: { ...process.env, NODE_OPTIONS: "", npm_config_loglevel: "error", npm_config_fund: "false", npm_config_audit: "false" },
  });
  assert.equal(r.error, undefined, `${cmd} ${args.join(" ")}: ${r.error?.message}`);
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

test("a user's own project installs the packed packages, generates and runs with plain node", { timeout: 600_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), "protochan-user-"));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const packs = join(work, "packs");
  const project = join(work, "project");
  mkdirSync(packs);
  mkdirSync(project);

  await t.test("npm pack builds both packages", () => {
    sh("npm", ["pack", "--pack-destination", packs], root);
    sh("npm", ["pack", "--pack-destination", packs], join(root, "codegen"));
    assert.deepEqual(readdirSync(packs).sort(), ["protoc-gen-protochan-0.1.0.tgz", "protochan-0.1.0.tgz"]);
    // The runtime ships what users run and link, nothing of this repository's own tests, benches or examples.
    const files = sh("tar", ["tzf", join(packs, "protochan-0.1.0.tgz")], packs)
      .stdout.trim()
      .split("\n");
    const stray = files.filter((f) => /^package\/(test|bench|examples|schema\/example|c\/fuzz|c\/build|codegen)\//.test(f));
    assert.deepEqual(stray, []);
    for (const f of [
      "package/dist/src/index.js",
      "package/dist/src/codegenv1.d.ts",
      "package/dist/src/connect.js",
      "package/dist/src/cli/main.js",
      "package/c/include/protochan/protochan.h",
      "package/schema/protochan/v1/options.proto",
      "package/generated/protochan/v1/wire.h",
      "package/dist/generated/protochan/v1/handles_pb.js",
    ]) {
      assert.ok(files.includes(f), `${f} is not in the package`);
    }
    const plugin = sh("tar", ["tzf", join(packs, "protoc-gen-protochan-0.1.0.tgz")], packs).stdout;
    assert.match(plugin, /package\/dist\/codegen\/bin\/protoc-gen-protochan\.js/);
    assert.doesNotMatch(plugin, /\.ts\n/);
  });

  await t.test("install the tarballs into a fresh project", () => {
    cpSync(join(root, "test", "downstream", "project", "tsconfig.json"), join(project, "tsconfig.json"));
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "shop", private: true, type: "module" }, null, 2));
    sh("npm", ["install", "--prefer-offline", join(packs, "protochan-0.1.0.tgz"), pin("@bufbuild/protobuf")], project);
    sh(
      "npm",
      [
        "install",
        "--prefer-offline",
        "-D",
        join(packs, "protoc-gen-protochan-0.1.0.tgz"),
        pin("@bufbuild/buf"),
        pin("@bufbuild/protoc-gen-es"),
        pin("typescript"),
        pin("@types/node"),
      ],
      project,
    );
  });

  await t.test("protochan init writes the buf configuration and an example, and keeps what exists", () => {
    const first = sh("npx", ["protochan", "init"], project).stdout;
    assert.match(first, /wrote buf\.yaml\nwrote buf\.gen\.yaml\nwrote proto\/hello\/v1\/hello\.proto/);
    const second = sh("npx", ["protochan", "init"], project).stdout;
    assert.match(second, /kept buf\.yaml .*--force/);
    assert.match(second, /kept buf\.gen\.yaml/);
    assert.doesNotMatch(second, /wrote/);
    // The example generates as it is.
    sh("npx", ["buf", "generate"], project);
    assert.ok(existsSync(join(project, "src", "gen", "hello", "v1", "hello_chan.ts")));
  });

  await t.test("the user's own schema generates, with no copy of protochan's own types", () => {
    rmSync(join(project, "proto", "hello"), { recursive: true });
    cpSync(join(root, "test", "downstream", "project", "proto"), join(project, "proto"), { recursive: true });
    for (const dir of ["src", "c"]) cpSync(join(root, "test", "downstream", "project", dir), join(project, dir), { recursive: true });
    sh("npx", ["buf", "generate"], project);
    const generated = filesUnder(join(project, "src", "gen"))
      .map((f) => f.slice(project.length + 1))
      .sort();
    assert.deepEqual(generated, [
      "src/gen/shop/v1/shop.h",
      "src/gen/shop/v1/shop_chan.ts",
      "src/gen/shop/v1/shop_codec.ts",
      "src/gen/shop/v1/shop_packet.ts",
      "src/gen/shop/v1/shop_pb.ts",
      "src/gen/shop/v1/shop_rpc.ts",
    ]);
    const pb = readFileSync(join(project, "src", "gen", "shop", "v1", "shop_pb.ts"), "utf8");
    assert.match(pb, /from "protochan\/protochan\/v1\/handles_pb\.js"/);
  });

  await t.test("tsc type-checks it (strict, exactOptionalPropertyTypes)", () => {
    sh("npx", ["tsc", "-p", "."], project);
  });

  await t.test("a parent and a child exchange messages, a sender travelling inside one", () => {
    const out = sh(process.execPath, [join(project, "dist", "parent.js")], project, 60_000).stdout;
    for (const line of [
      "update 1: 3 x widget received",
      "update 2: 3 x widget packed",
      "update 3: 3 x widget shipped",
      "child: done",
      "child exited with 0",
    ]) {
      assert.ok(out.includes(line), `no "${line}" in:\n${out}`);
    }
  });

  await t.test("a WorkerSet of 2 answers a unary and a server-streaming method", () => {
    const out = sh(process.execPath, [join(project, "dist", "pool.js")], project, 60_000).stdout;
    assert.match(out, /quote for 20 = 5000 cents; answered by 2 workers; track steps 1,2,3,4/);
  });

  await t.test("a C program built with protochan c-flags fills the packet and talks to the TypeScript side", () => {
    const flags = sh("npx", ["protochan", "c-flags"], project).stdout.trim().split(" ");
    const sources = sh("npx", ["protochan", "c-flags", "--sources"], project).stdout.trim().split(" ");
    for (const f of [...flags.map((x) => x.slice(2)), ...sources]) assert.ok(f.includes(join("node_modules", "protochan")), f);
    const exe = join(project, "sensor");
    sh("cc", ["-std=c11", "-Wall", "-Wextra", "-Werror", ...flags, "-Isrc/gen", "c/sensor.c", ...sources, "-o", exe], project);
    const out = sh(process.execPath, [join(project, "dist", "sensor-host.js"), exe, "1000"], project, 60_000).stdout;
    assert.match(out, /sensor: sent 1000 readings/);
    assert.match(out, /host: 1000 of 1000 readings, all as sent; sensor exited with 0/);
  });
});
