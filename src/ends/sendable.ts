// The types a handle-carrying message takes when sent: declared with the
// channel ends (Sender.send takes a Sendable) rather than in the codec that
// swaps the handle fields, so the ends need nothing above them.
/** Type-only key: the plain protobuf message a WithHandles type was made from. */
declare const plainMessage: unique symbol;

/**
 * The message type with its handle fields typed as channel ends. The hidden,
 * optional key only lets `Sendable` find the plain message again.
 */
export type WithHandles<M, H> = Omit<M, keyof H> & H & { readonly [plainMessage]?: M };

/**
 * What a sender of T takes: T itself or, when T has handle fields, also the
 * plain message `create(Schema, …)` makes, whose handle fields are unset (a
 * set one is refused when sending, since it names no channel end).
 */
export type Sendable<T> = T | (T extends { readonly [plainMessage]?: infer M } ? (unknown extends M ? never : NonNullable<M>) : never);
