// `protochan init`: wires a user's project to the installed packages. buf
// finds protochan's own .proto files as a second module of the workspace (so
// `import "protochan/v1/options.proto";` resolves), generates only the user's
// files, and the generated code imports protochan's own types from the
// package instead of getting copies of them.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { packageRoot } from "./package-root.js";

export interface InitOptions {
  /** The project folder (default: the current directory). */
  readonly dir: string;
  /** Overwrite files that exist. */
  readonly force: boolean;
  /** Where generated code goes, relative to dir. */
  readonly out: string;
}

export interface InitResult {
  readonly written: readonly string[];
  /** Files that existed and were left alone (no --force). */
  readonly kept: readonly string[];
}

export function init(options: InitOptions): InitResult {
  const schemaModule = relative(options.dir, join(packageRoot(), "schema")).split(sep).join("/");
  const files: [string, string][] = [
    ["buf.yaml", bufYaml(schemaModule)],
    ["buf.gen.yaml", bufGenYaml(options.out)],
  ];
  if (isEmptyDir(join(options.dir, "proto"))) files.push(["proto/hello/v1/hello.proto", HELLO_PROTO]);
  const written: string[] = [];
  const kept: string[] = [];
  for (const [name, text] of files) {
    const path = join(options.dir, name);
    if (existsSync(path) && !options.force) {
      kept.push(name);
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    written.push(name);
  }
  return { written, kept };
}

function isEmptyDir(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

function bufYaml(schemaModule: string): string {
  return `# Written by \`protochan init\`.
version: v2
modules:
  # Your schemas.
  - path: proto
    lint:
      use:
        - STANDARD
    breaking:
      use:
        - WIRE
  # protochan's own schemas (options, handle types), as the package ships them.
  - path: ${schemaModule}
`;
}

function bufGenYaml(out: string): string {
  // Both plugins rewrite imports of protochan's own _pb.js files to the package.
  const plugin = (comment: string, name: string) => `  # ${comment}
  - local: ${name}
    out: ${out}
    opt:
      - target=ts
      - import_extension=js
      - rewrite_imports=./protochan/**/*_pb.js:protochan
`;
  return `# Written by \`protochan init\`. Run \`npx buf generate\`.
version: v2
clean: true
inputs:
  # Only your files are generated; protochan's own types come from the package.
  - directory: proto
plugins:
${plugin("Message types and schemas.", "protoc-gen-es")}${plugin("Typed channels, fast codecs, packet views, services and C headers.", "protoc-gen-protochan")}`;
}

const HELLO_PROTO = `// An example schema written by \`protochan init\`: replace it with your own.
syntax = "proto3";

package hello.v1;

import "protochan/v1/handles.proto";
import "protochan/v1/options.proto";

// A greeting, with the channel the answer goes to.
message Greeting {
  string name = 1;
  protochan.v1.SenderHandle reply = 2 [(protochan.v1.field).payload = "hello.v1.Answer"];
}

message Answer {
  string text = 1;
}

// A C-layout packet: a C header with the same struct is generated beside it.
message Reading {
  option (protochan.v1.message).c_layout = true;
  uint32 sensor = 1;
  double value = 2;
  string unit = 3 [(protochan.v1.field).max_length = 15];
}

message GreetRequest {
  string name = 1;
}

message GreetResponse {
  string text = 1;
}

service Greeter {
  // One answer.
  rpc Greet(GreetRequest) returns (GreetResponse);
  // One answer per letter of the name.
  rpc Spell(GreetRequest) returns (stream GreetResponse);
}
`;
