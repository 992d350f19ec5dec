// Timeouts and AbortSignals for the waits a user can start (recv, accept, ready).
import { AbortedError, TimeoutError } from "../errors.js";

export interface WaitOptions {
  /** Reject with TimeoutError after this many milliseconds. */
  readonly timeoutMs?: number;
  /** Reject with AbortedError when aborted. */
  readonly signal?: AbortSignal;
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
  if (signal?.aborted) return Promise.reject(new AbortedError(`${what} aborted`, { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
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
    const giveUp = (err: Error) => {
      cancel();
      cleanup();
      reject(err);
    };
    const onAbort = () => giveUp(new AbortedError(`${what} aborted`, { cause: signal?.reason }));
    signal?.addEventListener("abort", onAbort, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => giveUp(new TimeoutError(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
    }
  });
}
