// channel(): a connected sender/receiver pair in this process. Messages are
// encoded and decoded even here, so a value behaves the same whether its
// receiver is local or in another process (the receiver gets its own copy).
import { defaultRouter } from "./process-router.js";
import { AnyChannel, toChannelType, type ChannelSpec, type ChannelType } from "../codec/channel-type.js";
import { DEFAULT_LIMITS } from "./defaults.js";
import { Receiver } from "../ends/receiver.js";
import { Sender } from "../ends/sender.js";
import type { Router } from "./router.js";

export interface ChannelOptions {
  /** Flow-control window in bytes (default 8 MiB). */
  readonly window?: number;
}

/** A typed sender/receiver pair; with no type, an untyped (msgpack) channel. */
export function channel<T>(spec: ChannelSpec<T>, options?: ChannelOptions): [Sender<T>, Receiver<T>];
export function channel(): [Sender<unknown>, Receiver<unknown>];
export function channel<T>(spec?: ChannelSpec<T>, options?: ChannelOptions): [Sender<T>, Receiver<T>] {
  const type = (spec === undefined ? AnyChannel : toChannelType(spec)) as ChannelType<T>;
  return localPair(defaultRouter(), type, options?.window ?? DEFAULT_LIMITS.window);
}

/** The channel ends of a local pair of `router`'s ports. */
export function localPair<T>(router: Router, type: ChannelType<T>, window: number): [Sender<T>, Receiver<T>] {
  const [tx, rx] = router.channel(type, window);
  return [new Sender(tx), new Receiver(rx)];
}
