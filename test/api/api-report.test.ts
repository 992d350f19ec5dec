// The public API is deliberate: api/*.api.md is the checked-in report of each
// entry (API Extractor). A change of the surface that is not in the report
// fails here; `npm run api` rewrites the reports after a deliberate change.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Extractor, ExtractorConfig } from "@microsoft/api-extractor";
import { root } from "../c-layout/c-build.js";

const entries = ["index", "codegenv1", "connect", "contract"] as const;

/** Runs API Extractor on declarations in `dts` against the checked-in report of `entry`. */
function check(entry: (typeof entries)[number], dts: string): { changed: boolean; errors: number } {
  const configPath = join(root, "api", `${entry}.api-extractor.json`);
  const configObject = ExtractorConfig.loadFile(configPath);
  configObject.mainEntryPointFilePath = join(dts, "src", `${entry}.d.ts`);
  configObject.apiReport = { ...configObject.apiReport!, reportTempFolder: join(dts, "api-temp") };
  const config = ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: configPath,
    packageJsonFullPath: join(root, "package.json"),
  });
  const result = Extractor.invoke(config, { localBuild: false, messageCallback: (m) => void (m.handled = true) });
  return { changed: result.apiReportChanged, errors: result.errorCount };
}

test("the public API matches api/*.api.md, and an unreported export fails the check", { timeout: 180_000 }, async (t) => {
  const dts = mkdtempSync(join(tmpdir(), "protochan-api-"));
  t.after(() => rmSync(dts, { recursive: true, force: true }));
  execFileSync(
    process.execPath,
    [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json"), "--emitDeclarationOnly", "--outDir", dts],
    { cwd: root, stdio: "pipe" },
  );

  for (const entry of entries) {
    await t.test(`${entry}: the report is current (run npm run api after a deliberate change)`, () => {
      assert.deepEqual(check(entry, dts), { changed: false, errors: 0 });
    });
  }
  await t.test("an export added without updating the report is caught", () => {
    appendFileSync(join(dts, "src", "index.d.ts"), "\nexport declare const addedWithoutReport: number;\n");
    assert.equal(check("index", dts).changed, true);
  });
});
