// Limits every channel and connection starts with; all can be overridden.
import { InvalidArgumentError } from "../errors.js";
import { HANDLE_ENTRY_SIZE, HEADER_SIZE } from "../wire/header.js";

export interface ChannelLimits {
  /** Largest frame accepted from a peer (and sent to it), header included. */
  readonly maxFrameSize: number;
  /** Most handles one frame may carry. */
  readonly maxHandles: number;
  /** Unconsumed bytes a receiver lets a sender have in flight before send() returns false. */
  readonly window: number;
  /** Routes (streams in either direction) one connection may have; a peer opening more loses it. */
  readonly maxRoutes: number;
  /**
   * Bytes a peer may leave unconsumed on one connection, over all its routes
   * (messages as charged to the window, handles included); a peer leaving
   * more loses the connection.
   */
  readonly maxConnectionBytes: number;
  /** Bytes written to a peer that it has not read yet; a peer that lets more pile up loses the connection. */
  readonly maxWriteBacklog: number;
}

export const DEFAULT_LIMITS: ChannelLimits = {
  maxFrameSize: 64 * 1024 * 1024,
  maxHandles: 64,
  window: 8 * 1024 * 1024,
  maxRoutes: 8192,
  maxConnectionBytes: 256 * 1024 * 1024,
  maxWriteBacklog: 256 * 1024 * 1024,
};

export function resolveLimits(overrides?: Partial<ChannelLimits>): ChannelLimits {
  const limits: ChannelLimits = {
    maxFrameSize: overrides?.maxFrameSize ?? DEFAULT_LIMITS.maxFrameSize,
    maxHandles: overrides?.maxHandles ?? DEFAULT_LIMITS.maxHandles,
    window: overrides?.window ?? DEFAULT_LIMITS.window,
    maxRoutes: overrides?.maxRoutes ?? DEFAULT_LIMITS.maxRoutes,
    maxConnectionBytes: overrides?.maxConnectionBytes ?? DEFAULT_LIMITS.maxConnectionBytes,
    maxWriteBacklog: overrides?.maxWriteBacklog ?? DEFAULT_LIMITS.maxWriteBacklog,
  };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new InvalidArgumentError(`${key} must be an integer in 0..2^32-1, got ${value}`);
    }
  }
  if (limits.maxFrameSize < HEADER_SIZE) throw new InvalidArgumentError(`maxFrameSize must be at least ${HEADER_SIZE}`);
  return limits;
}

/**
 * What a handle costs against the window beyond its 40-byte table entry: the
 * state it makes the receiving process create (a port, a route, a stream).
 */
export const HANDLE_STATE_CHARGE = 1024;

/**
 * What a message costs against the window: its body plus a header, so empty
 * messages count too, plus each handle's entry and the state it creates.
 */
export function windowCharge(bodyLength: number, handleCount = 0): number {
  return bodyLength + HEADER_SIZE + handleCount * (HANDLE_ENTRY_SIZE + HANDLE_STATE_CHARGE);
}

/** Bytes a sender may hold back once send() has returned false: past them send() throws. */
export function heldLimit(window: number): number {
  return Math.max(4 * window, 1024 * 1024);
}
