// The layering check: src/ imports only downward (test/layers/layers.ts has
// the order), and the same rules catch a fixture's deliberate violations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { checkLayers, layerOf } from "./layers.js";

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

test("the rules fail on a lower layer importing a higher one", { timeout: 60_000 }, async () => {
  const { violations } = await checkLayers(fixture);
  const sorted = [...violations].sort((a, b) => a.from.localeCompare(b.from));
  assert.deepEqual(sorted, [
    { from: "src/codec/codec.ts", to: "protochan", rule: "no-import-by-package-name" },
    { from: "src/ends/end.ts", to: "src/codec/codec.ts", rule: "ends-imports-only-below" },
    { from: "src/wire/frame.ts", to: "src/routing/route.ts", rule: "wire-imports-only-below" },
  ]);
});
