// @pact-foundation/pact is an optional peer, and heavy (a native core, an
// HTTP stack): loaded on first use, so a provider program that only reads
// CONTRACT_ENV does not pay for it.
import { InvalidArgumentError } from "../errors.js";

type PactModule = typeof import("@pact-foundation/pact");

let loading: Promise<PactModule> | undefined;

export function loadPact(): Promise<PactModule> {
  loading ??= import("@pact-foundation/pact").catch((err: unknown) => {
    loading = undefined;
    throw new InvalidArgumentError(
      "protochan/contract needs the optional peer dependency @pact-foundation/pact (npm install -D @pact-foundation/pact)",
      {
        cause: err,
      },
    );
  });
  return loading;
}
