#!/usr/bin/env node
// The protochan command: `npx protochan <command>`.
import { parseArgs } from "node:util";
import { breaking, BreakingCheckError, formatViolation } from "./breaking.js";
import { cIncludeFlags, cSources } from "./c-flags.js";
import { init } from "./init.js";

const USAGE = `usage: protochan <command> [options]

commands:
  init [--force] [--out <dir>]   write buf.yaml, buf.gen.yaml and, if proto/ is empty,
                                 an example schema (existing files are kept unless --force)
  c-flags [--sources]            print the C compiler flags for protochan's C library
                                 (--sources: the library's .c files instead), e.g.
                                 cc $(npx protochan c-flags) app.c $(npx protochan c-flags --sources)
  breaking --against <ref|dir>   check the schemas for breaking changes against a git ref or a
                                 directory: buf's WIRE rules and protochan's C-layout rules;
                                 prints file:line:column: message, exits 1 if anything breaks
`;

function run(argv: readonly string[]): number {
  const [command, ...rest] = argv;
  switch (command) {
    case "init": {
      const { values } = parseArgs({
        args: [...rest],
        options: { force: { type: "boolean", default: false }, out: { type: "string", default: "src/gen" } },
      });
      const result = init({ dir: process.cwd(), force: values.force, out: values.out });
      for (const f of result.written) console.log(`wrote ${f}`);
      for (const f of result.kept) console.log(`kept ${f} (it exists; --force overwrites it)`);
      if (result.written.length > 0) console.log("next: npx buf generate");
      return 0;
    }
    case "c-flags": {
      const { values } = parseArgs({ args: [...rest], options: { sources: { type: "boolean", default: false } } });
      console.log((values.sources ? cSources() : cIncludeFlags()).join(" "));
      return 0;
    }
    case "breaking": {
      const { values } = parseArgs({ args: [...rest], options: { against: { type: "string" } } });
      if (values.against === undefined || values.against === "") {
        process.stderr.write("protochan: breaking needs --against <git ref or directory>, e.g. --against main\n");
        return 2;
      }
      try {
        const violations = breaking({ dir: process.cwd(), against: values.against });
        for (const v of violations) console.log(formatViolation(v));
        return violations.length === 0 ? 0 : 1;
      } catch (err) {
        if (!(err instanceof BreakingCheckError)) throw err;
        process.stderr.write(`protochan breaking: ${err.message}\n`);
        return 2;
      }
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`protochan: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

try {
  process.exitCode = run(process.argv.slice(2));
} catch (err) {
  // parseArgs' errors (unknown option, missing value) are the user's to fix: no stack.
  process.stderr.write(`protochan: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
}
