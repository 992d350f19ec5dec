// Schema negotiation across real processes: this process is built from
// version A of a small schema, a child from version B (both generated here,
// into a temporary directory, by buf with protoc-gen-es and protochan's plugin).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { once } from "node:events";
import {
  Server,
  SchemaMismatchError,
  type ChannelType,
  type ProtocolError,
  type Receiver,
  type SchemaDifference,
  type Sender,
} from "../../src/index.js";
import { Child } from "../helpers/child.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** negot.v1 in three versions: A (here), B-added (fields added, one widened), B-retyped (fields retyped). */
function schema(ping: string, pong: string, vec: string): string {
  return `syntax = "proto3";
package negot.v1;
import "protochan/v1/handles.proto";
import "protochan/v1/options.proto";
message Ping { ${ping} }
message Start { protochan.v1.SenderHandle pongs = 1 [(protochan.v1.field).payload = "negot.v1.Pong"]; }
message Pong { ${pong} }
message Vec {
  option (protochan.v1.message).c_layout = true;
  ${vec}
}
`;
}
const VERSIONS = {
  a: schema(
    "uint64 seq = 1; int32 level = 3;",
    "uint64 n = 1;",
    "option (protochan.v1.message).layout_version = 1; int32 x = 1; int32 y = 2;",
  ),
  added: schema(
    "uint64 seq = 1; string note = 2; int64 level = 3;",
    "uint64 n = 1;",
    "option (protochan.v1.message).layout_version = 2; int32 x = 1; int32 y = 2; int32 z = 3;",
  ),
  retyped: schema(
    "string seq = 1; int32 level = 3;",
    "string n = 1;",
    "option (protochan.v1.message).layout_version = 1; int64 x = 1; int32 y = 2;",
  ),
};

interface Negot {
  readonly PingChannel: ChannelType<{ readonly seq: bigint }>;
  readonly StartChannel: ChannelType<{ readonly pongs?: Sender<unknown> }>;
  readonly VecPacketChannel: ChannelType<unknown>;
}

let dir = "";
let gen: Negot;

async function generate(version: keyof typeof VERSIONS): Promise<void> {
  const proto = join(dir, version, "proto");
  mkdirSync(join(proto, "negot/v1"), { recursive: true });
  writeFileSync(join(proto, "negot/v1/negot.proto"), VERSIONS[version]);
  cpSync(join(root, "schema/protochan"), join(proto, "protochan"), { recursive: true }); // imported, not generated
  const opt = ["target=ts", "import_extension=js", "rewrite_imports=./protochan/**/*_pb.js:protochan"];
  const out = join(dir, version, "gen");
  const template = JSON.stringify({
    version: "v2",
    plugins: [
      { local: "protoc-gen-es", out, strategy: "all", opt },
      {
        local: ["node", "--conditions=source", "--import", "tsx", join(root, "codegen/bin/protoc-gen-protochan.ts")],
        out,
        strategy: "all",
        opt,
      },
    ],
  });
  await promisify(execFile)(
    join(root, "node_modules/.bin/buf"),
    ["generate", proto, "--template", template, "--path", join(proto, "negot")],
    {
      cwd: root,
      env: { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH ?? ""}` },
    },
  );
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "schema-negotiation-"));
  // The generated code imports "protochan" and "@bufbuild/protobuf": resolve them to this checkout.
  // ESM, as in the package that generated code is part of.
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(root, join(dir, "node_modules/protochan"));
  symlinkSync(join(root, "node_modules/@bufbuild"), join(dir, "node_modules/@bufbuild"));
  await Promise.all((Object.keys(VERSIONS) as (keyof typeof VERSIONS)[]).map(generate));
  const a = (file: string) => import(pathToFileURL(join(dir, "a/gen/negot/v1", file)).href);
  gen = { ...(await a("negot_chan.ts")), ...(await a("negot_packet.ts")) } as Negot;
});

after(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

/** A server of `channel` here (version A), and a child of `version` connecting to it. */
async function pair<T>(channel: ChannelType<T>, version: keyof typeof VERSIONS, mode: "ping" | "handle" | "packet") {
  const { server, name } = await Server.create(channel);
  const differences: SchemaDifference[] = [];
  server.on("schema-difference", (d) => differences.push(d));
  const seq = version === "retyped" ? "string" : "";
  const child = new Child("schema-peer.ts", { GEN: join(dir, version, "gen"), MODE: mode, NAME: name, SEQ: seq });
  return { server, child, differences };
}

test("an added field connects; the difference is reported on both sides", { timeout: 60_000 }, async () => {
  const { server, child, differences } = await pair(gen.PingChannel, "added", "ping");
  await using _ = server;
  const rx: Receiver<{ readonly seq: bigint }> = await server.accept({ timeoutMs: 30_000 });
  assert.equal((await rx.recv({ timeoutMs: 10_000 })).seq, 7n);
  assert.deepEqual(differences, [
    {
      typeName: "negot.v1.Ping",
      changes: [
        {
          typeName: "negot.v1.Ping",
          field: "note",
          number: 2,
          here: undefined,
          peer: "string",
          text: "negot.v1.Ping.note: absent here, string at the peer",
        },
        {
          typeName: "negot.v1.Ping",
          field: "level",
          number: 3,
          here: "int32",
          peer: "int64",
          text: "negot.v1.Ping.level: int32 here, int64 at the peer",
        },
      ],
    },
  ]);
  const theirs = await child.next("difference");
  assert.deepEqual(theirs.changes, [
    "negot.v1.Ping.note: string here, absent at the peer",
    "negot.v1.Ping.level: int64 here, int32 at the peer",
  ]);
  await child.next("sent");
  await child.succeeded();
});

test("a retyped field is refused, named with both definitions on both sides", { timeout: 60_000 }, async () => {
  const { server, child } = await pair(gen.PingChannel, "retyped", "ping");
  await using _ = server;
  const rejected = once(server, "rejected") as Promise<[ProtocolError]>;
  const [err] = await rejected;
  assert.ok(err instanceof SchemaMismatchError);
  assert.equal(err.code, "SCHEMA_MISMATCH");
  assert.equal(err.message, "schema mismatch: negot.v1.Ping.seq: uint64 here, string at the peer");
  assert.deepEqual([err.typeName, err.field, err.here, err.peer], ["negot.v1.Ping", "seq", "uint64", "string"]);
  const theirs = await child.next("failed");
  assert.equal(theirs.code, "SCHEMA_MISMATCH");
  assert.equal(theirs.message, "schema mismatch: negot.v1.Ping.seq: string here, uint64 at the peer");
  await child.succeeded();
});

test("a type first met through a handle field after connect is checked too", { timeout: 60_000 }, async () => {
  const { server, child, differences } = await pair(gen.StartChannel, "retyped", "handle");
  await using _ = server;
  const rx = await server.accept({ timeoutMs: 30_000 });
  await child.next("sent");
  await assert.rejects(rx.recv({ timeoutMs: 10_000 }), (err: Error) => {
    assert.equal((err as { code?: string }).code, "DISCONNECTED");
    assert.ok(err.cause instanceof SchemaMismatchError, String(err));
    assert.equal(err.cause.message, "schema mismatch: negot.v1.Pong.n: uint64 here, string at the peer");
    return true;
  });
  const theirs = await child.next("failed");
  assert.match(String(theirs.message), /negot\.v1\.Pong\.n: string here, uint64 at the peer/);
  assert.equal(theirs.causeCode, "SCHEMA_MISMATCH");
  assert.deepEqual(differences, [], "Start is the same in both versions");
  await child.succeeded();
});

test("C-layout packets: an appended member with a version bump connects; a resized member is refused", { timeout: 60_000 }, async () => {
  {
    const { server, child, differences } = await pair(gen.VecPacketChannel, "added", "packet");
    await using _ = server;
    const rx = await server.accept({ timeoutMs: 30_000 });
    await rx.recv({ timeoutMs: 10_000 });
    assert.deepEqual(
      differences.flatMap((d) => d.changes.map((c) => c.text)),
      ["negot.v1.Vec.z: absent here, 4 bytes at offset 8 at the peer"],
    );
    assert.deepEqual((await child.next("difference")).changes, ["negot.v1.Vec.z: 4 bytes at offset 8 here, absent at the peer"]);
    await child.succeeded();
  }
  const { server, child } = await pair(gen.VecPacketChannel, "retyped", "packet");
  await using _ = server;
  const [err] = (await once(server, "rejected")) as [ProtocolError];
  assert.equal(err.message, "schema mismatch: negot.v1.Vec.x: 4 bytes at offset 0 here, 8 bytes at offset 0 at the peer");
  const theirs = await child.next("failed");
  assert.equal(theirs.code, "SCHEMA_MISMATCH");
  assert.equal(theirs.message, "schema mismatch: negot.v1.Vec.x: 8 bytes at offset 0 here, 4 bytes at offset 0 at the peer");
  await child.succeeded();
});
