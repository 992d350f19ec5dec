// Limits every channel and connection starts with; all can be overridden.
import { InvalidArgumentError } from "../errors.js";
import { HEADER_SIZE } from "../wire/header.js";

export interface ChannelLimits {
  /** Largest frame accepted from a peer (and sent to it), header included. */
  readonly maxFrameSize: number;
  /** Most handles one frame may carry. */
  readonly maxHandles: number;
  /** Unconsumed bytes a receiver lets a sender have in flight before send() returns false. */
  readonly window: number;
}

export const DEFAULT_LIMITS: ChannelLimits = {
  maxFrameSize: 64 * 1024 * 1024,
  maxHandles: 64,
  window: 8 * 1024 * 1024,
};

export function resolveLimits(overrides?: Partial<ChannelLimits>): ChannelLimits {
  const limits: ChannelLimits = {
    maxFrameSize: overrides?.maxFrameSize ?? DEFAULT_LIMITS.maxFrameSize,
    maxHandles: overrides?.maxHandles ?? DEFAULT_LIMITS.maxHandles,
    window: overrides?.window ?? DEFAULT_LIMITS.window,
  };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new InvalidArgumentError(`${key} must be an integer in 0..2^32-1, got ${value}`);
    }
  }
  if (limits.maxFrameSize < HEADER_SIZE) throw new InvalidArgumentError(`maxFrameSize must be at least ${HEADER_SIZE}`);
  return limits;
}

/** What a message costs against the window: its body plus a header, so empty messages count too. */
export function windowCharge(bodyLength: number): number {
  return bodyLength + HEADER_SIZE;
}
