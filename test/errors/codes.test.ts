// Issue item 5: one documented error contract. The ErrorCode union, the
// classes and the table in docs/errors.md say the same thing; no code string
// lives outside the union; src/ throws no bare Error/TypeError/RangeError.
// Adding a code or an error class without documenting it fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as protochan from "../../src/index.js";
import { ERROR_CODES, ProtochanError } from "../../src/errors.js";
import { RPC_CODES, RpcError, rpcCodeOf } from "../../src/rpc/errors.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const doc = readFileSync(join(root, "docs/errors.md"), "utf8");

/** The rows of the table under `## heading`: its cells, backticks kept. */
function tableRows(heading: string): string[][] {
  const section = doc.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  assert.ok(section, `docs/errors.md has a "## ${heading}" section`);
  return section
    .split("\n")
    .filter((l) => l.startsWith("| `"))
    .map((l) =>
      l
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim()),
    );
}

const ticked = (cell: string) => /`([^`]+)`/.exec(cell)?.[1];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

test("docs/errors.md has one row per ErrorCode, in the union's order", () => {
  assert.deepEqual(
    tableRows("Codes").map((r) => ticked(r[0]!)),
    [...ERROR_CODES],
  );
});

test("each documented class is exported, is a ProtochanError and has the code of its row", () => {
  const exported = protochan as unknown as Record<string, unknown>;
  for (const [codeCell, classCell] of tableRows("Codes")) {
    const name = ticked(classCell!)!;
    const cls = exported[name];
    assert.equal(typeof cls, "function", `${name} is exported from src/index.ts`);
    const err = Reflect.construct(cls as new (m: string) => unknown, ["message"]) as ProtochanError;
    assert.ok(err instanceof ProtochanError, `${name} extends ProtochanError`);
    assert.equal(err.code, ticked(codeCell!), `${name}.code`);
    assert.equal(err.name, name);
  }
});

test("every exported error class is in the table", () => {
  const documented = new Set(tableRows("Codes").map((r) => ticked(r[1]!)));
  for (const [name, value] of Object.entries(protochan)) {
    if (typeof value === "function" && value.prototype instanceof ProtochanError && !isAbstract(name)) {
      assert.ok(documented.has(name), `${name} has a row in docs/errors.md`);
    }
  }
});

function isAbstract(name: string): boolean {
  return name === "ChannelEndedError"; // the base of DisconnectedError and ReceiverGoneError
}

test("no code string in src/ is outside ErrorCode, and every code has a class", () => {
  const codes: readonly string[] = ERROR_CODES;
  const used = new Set<string>();
  for (const file of sourceFiles(join(root, "src"))) {
    const text = readFileSync(file, "utf8");
    // `readonly code = "X"`, `code: "X" | "Y" = "X"`, `override readonly code = "X"`
    for (const m of text.matchAll(/\bcode\s*(?::\s*((?:"[A-Z_]+"\s*\|?\s*)+))?=\s*"([A-Z_]+)"/g)) {
      for (const c of [...(m[1]?.matchAll(/"([A-Z_]+)"/g) ?? [])].map((x) => x[1]!).concat(m[2]!)) {
        assert.ok(codes.includes(c), `${file}: code "${c}" is not in ErrorCode`);
        used.add(c);
      }
    }
  }
  assert.deepEqual(
    codes.filter((c) => !used.has(c)),
    [],
    "codes no class uses",
  );
});

test("src/ throws no bare Error, TypeError or RangeError", () => {
  for (const file of sourceFiles(join(root, "src"))) {
    const text = readFileSync(file, "utf8");
    const bare = text.match(/new (Type|Range|Syntax)?Error\(/g);
    assert.equal(bare, null, `${file}: ${bare?.join(", ")}`);
  }
});

test("docs/errors.md lists every RpcCode, in order; an unknown code reads as unknown", () => {
  assert.deepEqual(
    tableRows("RPC codes").map((r) => ticked(r[0]!)),
    [...RPC_CODES],
  );
  for (const c of RPC_CODES) assert.equal(rpcCodeOf(c), c);
  assert.equal(rpcCodeOf("I_AM_A_TEAPOT"), "unknown");
  assert.equal(rpcCodeOf(undefined), "unknown");
  assert.equal(new RpcError("bogus" as never, "m").rpcCode, "unknown");
});
