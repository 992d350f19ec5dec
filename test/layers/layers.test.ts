// The layering check: src/ imports only downward (test/layers/layers.ts has
// the order), and the same rules catch a fixture's deliberate violations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { checkLayers, LAYERS, layerOf } from "./layers.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const fixture = fileURLToPath(new URL("./fixture", import.meta.url));

test("src/ imports only layers below", { timeout: 60_000 }, async () => {
  const { violations, modules } = await checkLayers(repo);
  // The cruise saw the tree, type-only imports included (codec's handle interfaces name the ends by type only).
  assert.ok(modules.size > 50, `only ${modules.size} modules found`);
  assert.ok(modules.get("src/codec/codec.ts")?.includes("src/ends/sender.ts"), "type-only imports are not seen");
  const unplaced = [...modules.keys()].filter((m) => layerOf(m) === undefined);
  assert.deepEqual(unplaced, [], "every folder of src/ must be placed in LAYERS");
  assert.deepEqual(violations, []);
});

/** The "Imports now" table of docs/architecture.md: layer → the layers of src/ it names (before any `;`). */
function documentedImports(): Map<string, string[]> {
  const doc = readFileSync(new URL("../../docs/architecture.md", import.meta.url), "utf8");
  const table = new Map<string, string[]>();
  const names = new Set(LAYERS.map((l) => l.name));
  for (const [, layer, cell] of doc.matchAll(/^\| ([a-z-]+) \| ([^|]+) \|$/gm)) {
    if (!names.has(layer!)) continue;
    const listed = cell!.split(";")[0]!.trim();
    table.set(layer!, listed === "—" ? [] : listed.split(", ").map((l) => l.trim()));
  }
  return table;
}

test("docs/architecture.md lists what each layer imports", { timeout: 60_000 }, async () => {
  const { modules } = await checkLayers(repo);
  const actual = new Map<string, Set<string>>(LAYERS.map((l) => [l.name, new Set()]));
  for (const [from, imports] of modules) {
    const layer = layerOf(from)!;
    for (const to of imports) {
      const target = layerOf(to);
      if (target !== undefined && target !== layer) actual.get(layer)!.add(target);
    }
  }
  const order = LAYERS.map((l) => l.name);
  const sorted = (layers: Iterable<string>) => [...layers].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const documented = documentedImports();
  assert.deepEqual([...documented.keys()], order, "the table has one row per layer, in LAYERS order");
  for (const [layer, imports] of actual) assert.deepEqual(documented.get(layer), sorted(imports), `the row of ${layer}`);
});

test("README's layout row names the folders of src/ in layer order", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const row = readme.split("\n").find((line) => line.startsWith("| `src/` |"));
  assert.ok(row !== undefined, "README has no `src/` row in its layout table");
  const folders = [...row.matchAll(/`([a-z-]+)\/`/g)].map((m) => m[1]).slice(1); // after the row's own `src/`
  const expected = LAYERS.filter((l) => l.path.startsWith("^src/") && l.path.endsWith("/")).map((l) => l.name);
  assert.deepEqual(folders, expected);
});

test("the rules fail on a lower layer importing a higher one", { timeout: 60_000 }, async () => {
  const { violations } = await checkLayers(fixture);
  const sorted = [...violations].sort((a, b) => a.from.localeCompare(b.from));
  assert.deepEqual(sorted, [
    { from: "src/codec/codec.ts", to: "protochan", rule: "no-import-by-package-name" },
    { from: "src/ends/end.ts", to: "src/codec/codec.ts", rule: "ends-imports-only-below" },
    { from: "src/wire/frame.ts", to: "src/routing/route.ts", rule: "wire-imports-only-below" },
  ]);
});
