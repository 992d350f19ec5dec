// The handlers Connect runs, made from a protochan ServiceImpl or from a
// WorkerSet's client. Both already have Connect's shape (a request or an
// async iterable of requests in; a response or an async iterable out), so
// what is added is the context (ctx.signal with protochan's abort reasons,
// the deadline forwarded to workers) and the error mapping.
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext as ConnectContext, type ServiceImpl as ConnectImpl } from "@connectrpc/connect";
import { AbortedError, TimeoutError } from "../errors.js";
import type { HandlerContext, ServiceImpl } from "../rpc/types.js";
import { WorkerSet } from "../workers/worker-set.js";
import { toConnectError } from "./codes.js";

/** One method's work: what a call brings in, and its result (a promise, a value, or an async iterable). */
type Run = (input: unknown, ctx: ConnectContext) => unknown;

type AnyFn = (input: unknown, options: unknown) => unknown;

/** What ConnectServer.listen serves: handlers in this process, or a worker set (each call to an idle worker). */
export type ConnectServerHandlers<S extends DescService> = Partial<ServiceImpl<S>> | WorkerSet<S>;

export function connectImpl<S extends DescService>(service: S, handlers: ConnectServerHandlers<S>): Partial<ConnectImpl<S>> {
  const impl: Record<string, unknown> = {};
  for (const method of service.methods) {
    const run = runOf(method, handlers);
    if (run !== undefined) impl[method.localName] = wrap(method, run);
  }
  return impl as Partial<ConnectImpl<S>>;
}

function runOf<S extends DescService>(method: DescMethod, handlers: ConnectServerHandlers<S>): Run | undefined {
  if (handlers instanceof WorkerSet) {
    const call = (handlers.client as Record<string, AnyFn>)[method.localName]!;
    // The caller's deadline goes with the call: the worker's ctx.signal aborts with a TimeoutError at it.
    return (input, ctx) => call(input, { signal: ctx.signal, timeoutMs: ctx.timeoutMs() });
  }
  const handler = (handlers as Record<string, ((input: unknown, ctx: HandlerContext) => unknown) | undefined>)[method.localName];
  if (handler === undefined) return undefined;
  return (input, ctx) => handler(input, { signal: protochanSignal(ctx), method });
}

function wrap(method: DescMethod, run: Run): (input: unknown, ctx: ConnectContext) => unknown {
  if (method.methodKind === "unary" || method.methodKind === "client_streaming") {
    return async (input: unknown, ctx: ConnectContext) => {
      try {
        return await run(input, ctx);
      } catch (err) {
        throw toConnectError(err);
      }
    };
  }
  return async function* (input: unknown, ctx: ConnectContext) {
    try {
      yield* run(input, ctx) as AsyncIterable<unknown>;
    } catch (err) {
      throw toConnectError(err);
    }
  };
}

/**
 * Connect's signal, with the reasons protochan handlers see from serve():
 * TimeoutError when the deadline passed, AbortedError when the caller
 * cancelled or went away (or the server is shutting down).
 */
function protochanSignal(ctx: ConnectContext): AbortSignal {
  const abort = new AbortController();
  const onAbort = () => {
    const reason: unknown = ctx.signal.reason;
    const deadline = reason instanceof ConnectError && reason.code === Code.DeadlineExceeded;
    abort.abort(
      deadline
        ? new TimeoutError(`deadline passed: ${reason.rawMessage}`, { cause: reason })
        : new AbortedError("the caller cancelled or went away", { cause: reason }),
    );
  };
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener("abort", onAbort, { once: true });
  return abort.signal;
}
