// Checks of docs/conventions.md shared by each module's conventions test:
// close() is idempotent and sync or async as documented, the matching
// dispose symbol closes the object, and a wait honours timeoutMs and signal.
import assert from "node:assert/strict";
import { AbortedError, EndpointClosedError, TimeoutError, type WaitOptions } from "protochan";

/** What using an object after close() must fail with (default EndpointClosedError). */
type ErrorClass = abstract new (...args: never[]) => Error;

interface SyncResource {
  close(): void;
}

interface AsyncResource {
  close(): Promise<void>;
}

/**
 * A resource whose close() is synchronous: it has [Symbol.dispose] and no
 * [Symbol.asyncDispose]; close() twice is harmless; `using` closes it, after
 * which `probe` (a use of the object) fails with `closedError`.
 */
export async function checkSyncResource<R extends SyncResource>(
  make: () => R | Promise<R>,
  probe: (r: R) => unknown,
  closedError: ErrorClass = EndpointClosedError,
): Promise<void> {
  const r = await make();
  assert.equal(typeof (r as Partial<Disposable>)[Symbol.dispose], "function", "has [Symbol.dispose]");
  assert.equal((r as Partial<AsyncDisposable>)[Symbol.asyncDispose], undefined, "a sync resource has no [Symbol.asyncDispose]");
  assert.equal(r.close(), undefined, "close() is synchronous");
  assert.doesNotThrow(() => r.close(), "close() twice");
  await assertClosed(() => probe(r), closedError);
  const disposed = await make();
  {
    using _scoped = disposed as R & Disposable;
  }
  await assertClosed(() => probe(disposed), closedError);
}

/** The same for a resource whose close() returns a promise, with [Symbol.asyncDispose]. */
export async function checkAsyncResource<R extends AsyncResource>(
  make: () => Promise<R>,
  probe: (r: R) => unknown,
  closedError: ErrorClass = EndpointClosedError,
): Promise<void> {
  const r = await make();
  assert.equal(typeof (r as Partial<AsyncDisposable>)[Symbol.asyncDispose], "function", "has [Symbol.asyncDispose]");
  assert.equal((r as Partial<Disposable>)[Symbol.dispose], undefined, "an async resource has no [Symbol.dispose]");
  const first = r.close();
  assert.ok(first instanceof Promise, "close() returns a promise");
  await Promise.all([first, r.close()]);
  await r.close();
  await assertClosed(() => probe(r), closedError);
  const disposed = await make();
  {
    await using _scoped = disposed as R & AsyncDisposable;
  }
  await assertClosed(() => probe(disposed), closedError);
}

async function assertClosed(use: () => unknown, closedError: ErrorClass): Promise<void> {
  await assert.rejects(async () => await use(), closedError);
}

/**
 * `start` begins a wait that cannot finish by itself (nothing will arrive).
 * It must reject with AbortedError for a signal aborted before the call and
 * for one aborted during the wait, and with TimeoutError after timeoutMs.
 */
export async function checkWait(what: string, start: (options: WaitOptions) => Promise<unknown>): Promise<void> {
  const reason = new Error("stop");
  await assert.rejects(start({ signal: AbortSignal.abort(reason) }), (err: unknown) => {
    assert.ok(err instanceof AbortedError, `${what}, signal aborted before: ${String(err)}`);
    assert.equal(err.cause, reason, `${what}: the cause is the signal's reason`);
    return true;
  });
  const ac = new AbortController();
  const during = start({ signal: ac.signal });
  setImmediate(() => ac.abort());
  await assert.rejects(during, (err: unknown) => {
    assert.ok(err instanceof AbortedError, `${what}, signal aborted during the wait: ${String(err)}`);
    return true;
  });
  const started = Date.now();
  await assert.rejects(start({ timeoutMs: 30 }), (err: unknown) => {
    assert.ok(err instanceof TimeoutError, `${what}, timeoutMs: ${String(err)}`);
    return true;
  });
  assert.ok(Date.now() - started < 5_000, `${what}: the timeout fired late`);
}
