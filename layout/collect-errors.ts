// A run reports every schema problem it finds, not only the first: each
// message (and each field of a C-layout message) is checked on its own and the
// problems are thrown together at the end.

/** Several schema problems found in one run: buf prints one per line. */
export class CodegenErrors extends Error {
  readonly code = "PROTOCHAN_CODEGEN";
  override readonly name = "CodegenErrors";
  constructor(readonly errors: readonly Error[]) {
    super(errors.map((e) => e.message).join("\n"));
  }
}

/** A schema problem: an error of ours that names its location. */
function isSchemaError(err: unknown): err is Error & { code: string } {
  const code: unknown = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === "string" && code.startsWith("PROTOCHAN_");
}

/** Runs fn, adding the schema problems it throws to `into` (other errors pass through). */
export function collectErrors(into: Error[], fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof CodegenErrors) into.push(...err.errors);
    else if (isSchemaError(err)) into.push(err);
    else throw err;
  }
}

/** Throws what was collected: the one error as it is, several as one CodegenErrors. */
export function throwCollected(errors: readonly Error[]): void {
  const unique = [...new Map(errors.map((e) => [e.message, e])).values()];
  if (unique.length === 1) throw unique[0];
  if (unique.length > 1) throw new CodegenErrors(unique);
}
