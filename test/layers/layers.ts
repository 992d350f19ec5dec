// The layer order of src/, as one list, and the dependency-cruiser rules
// derived from it: a module may import only modules of its own layer or of
// layers earlier in the list. Type-only imports and re-exports count.
// docs/architecture.md explains the order.
import { cruise, type IForbiddenRuleType, type IViolation } from "dependency-cruiser";

interface Layer {
  readonly name: string;
  /** A path pattern, relative to the cruise's base folder. */
  readonly path: string;
}

const folder = (name: string): Layer => ({ name, path: `^src/${name}/` });

/** Bottom-up. errors.ts comes first: every layer may use it, it uses none. */
export const LAYERS: readonly Layer[] = [
  { name: "errors", path: "^src/errors\\.ts$" },
  folder("wire"),
  folder("transport"),
  folder("schema"),
  folder("ends"),
  folder("codec"),
  folder("routing"),
  folder("connection"),
  folder("bootstrap"),
  folder("packet"),
  folder("packet-stream"),
  folder("rpc"),
  folder("workers"),
  folder("gateway"),
  folder("contract"),
  folder("cli"),
  { name: "entries", path: "^src/(index|codegenv1|connect|contract)\\.ts$" },
];

export const RULES: readonly IForbiddenRuleType[] = [
  ...LAYERS.slice(0, -1).map((layer, i) => ({
    name: `${layer.name}-imports-only-below`,
    comment: `${layer.name} may import only ${
      LAYERS.slice(0, i)
        .map((l) => l.name)
        .join(", ") || "nothing of src/"
    }`,
    severity: "error" as const,
    from: { path: layer.path },
    to: { path: LAYERS.slice(i + 1).map((l) => l.path) },
  })),
  {
    // The package's own name resolves to the built dist/ (or, under the
    // source condition, to an entry): the runtime imports itself by path.
    name: "no-import-by-package-name",
    severity: "error",
    from: { path: "^src/" },
    to: { path: "^protochan($|/)" },
  },
];

export interface Edge {
  readonly from: string;
  readonly to: string;
  readonly rule: string;
}

export interface LayerReport {
  readonly violations: readonly Edge[];
  /** Every module the cruise found under src/, with its imports (resolved paths). */
  readonly modules: ReadonlyMap<string, readonly string[]>;
}

/** Cruises `baseDir`/src with the rules (the repository's src/, or a fixture tree laid out the same way). */
export async function checkLayers(baseDir: string): Promise<LayerReport> {
  const { output } = await cruise(["src"], {
    baseDir,
    validate: true,
    ruleSet: { forbidden: [...RULES] },
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    enhancedResolveOptions: {
      extensions: [".ts", ".js"],
      conditionNames: ["source", "import", "types", "default"],
    },
  });
  if (typeof output === "string") throw new Error("dependency-cruiser returned a report, not a result");
  const modules = new Map<string, string[]>();
  for (const m of output.modules) {
    if (m.source.startsWith("src/"))
      modules.set(
        m.source,
        m.dependencies.map((d) => d.resolved),
      );
  }
  const violations = output.summary.violations.map((v: IViolation) => ({ from: v.from, to: v.to, rule: v.rule.name }));
  return { violations, modules };
}

/** The layer a module belongs to, if any. */
export function layerOf(path: string): string | undefined {
  return LAYERS.find((l) => new RegExp(l.path).test(path))?.name;
}
