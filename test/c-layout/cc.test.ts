// The C tests need a C compiler; say so plainly when there is none.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

for (const compiler of ["cc", "gcc", "g++"]) {
  test(`${compiler} is installed`, () => {
    const r = spawnSync(compiler, ["--version"], { encoding: "utf8" });
    assert.ok(
      r.error === undefined && r.status === 0,
      `'${compiler}' is required by the C header, layout, golden and FFI tests but could not be run ` +
        `(${r.error?.message ?? `exit ${r.status}`}). Install it, e.g. apt-get install gcc g++.`,
    );
  });
}
