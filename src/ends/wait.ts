// Timeouts and AbortSignals for the waits a user can start (recv, accept, ready).
import { AbortedError, TimeoutError } from "../errors.js";

export interface WaitOptions {
  /** Reject with TimeoutError after this many milliseconds. */
  readonly timeoutMs?: number;
  /** Reject with AbortedError when aborted. */
  readonly signal?: AbortSignal;
}

/**
 * The error a wait rejects with when its signal was aborted before it began.
 * Waits check it before their fast paths too, so a loop over an aborted
 * signal stops even while items are queued.
 */
export function abortedAlready(what: string, options: WaitOptions | undefined): AbortedError | undefined {
  const signal = options?.signal;
  return signal?.aborted ? new AbortedError(`${what} aborted`, { cause: signal.reason }) : undefined;
}

/**
 * Runs `start`, which gets resolve/reject and returns a cancel function that
 * withdraws the wait; adds the timeout and abort handling around it.
 */
export function waitFor<T>(
  what: string,
  options: WaitOptions | undefined,
  start: (resolve: (value: T) => void, reject: (err: unknown) => void) => () => void,
): Promise<T> {
  const { timeoutMs, signal } = options ?? {};
  const early = abortedAlready(what, options);
  if (early !== undefined) return Promise.reject(early);
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const cleanup = () => {
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const giveUp = (err: Error) => {
      if (settled) return;
      cancel();
      cleanup();
      reject(err);
    };
    // Declared before start() runs: it may settle at once (something was queued), and then
    // no listener or timer may be left behind to withdraw the wait later.
    const onAbort = () => giveUp(new AbortedError(`${what} aborted`, { cause: signal?.reason }));
    const cancel = start(
      (value) => {
        cleanup();
        resolve(value);
      },
      (err) => {
        cleanup();
        reject(err);
      },
    );
    if (settled) return;
    signal?.addEventListener("abort", onAbort, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => giveUp(new TimeoutError(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
    }
  });
}

/** Bounds a wait that is already running (`promise`) by `options`; giving up leaves it running. */
export function bounded<T>(what: string, promise: Promise<T>, options: WaitOptions | undefined): Promise<T> {
  if (options?.timeoutMs === undefined && options?.signal === undefined) return promise;
  return waitFor<T>(what, options, (resolve, reject) => {
    let withdrawn = false;
    promise.then(
      (value) => !withdrawn && resolve(value),
      (err) => !withdrawn && reject(err),
    );
    return () => {
      withdrawn = true;
    };
  });
}
