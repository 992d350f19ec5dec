// How a client reaches handlers: straight over a call channel, or through a
// worker set that picks a worker per call (and may retry it elsewhere).
import type { DescMethod } from "@bufbuild/protobuf";
import { channel } from "../routing/channel.js";
import type { Receiver } from "../ends/receiver.js";
import type { Sender } from "../ends/sender.js";
import type { WaitOptions } from "../ends/wait.js";
import { ReplyChannel, type CallEnvelope, type ReplyFrame } from "./envelope.js";

/** The replies of one call. */
export interface ReplyStream {
  /** The next reply; rejects if the call broke (its handler's process died, …). */
  next(options?: WaitOptions): Promise<ReplyFrame>;
  /** The caller is done or gave up: an unfinished handler sees its call cancelled. */
  close(): void;
}

export interface CallTransport {
  /** Sends the call `build` makes around a fresh reply sender, and returns its replies. */
  start(method: DescMethod, build: (reply: Sender<ReplyFrame>) => CallEnvelope): ReplyStream;
}

export function replyStreamOf(rx: Receiver<ReplyFrame>): ReplyStream {
  return { next: (options) => rx.recv(options), close: () => rx.close() };
}

/** Calls sent straight down one call channel (a server's, or one worker's). */
export function channelTransport(calls: Sender<CallEnvelope>): CallTransport {
  return {
    start(_method, build) {
      const [reply, replies] = channel(ReplyChannel);
      try {
        calls.send(build(reply));
      } finally {
        reply.close(); // the handler holds the clone that travelled
      }
      return replyStreamOf(replies);
    },
  };
}
