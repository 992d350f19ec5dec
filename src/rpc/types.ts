// Typed clients and handlers for protobuf services (protoc-gen-es GenService
// descriptors), for all four method kinds.
import type { DescMethod, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { WaitOptions } from "../ends/wait.js";

type MethodOf<S> = S extends GenService<infer M> ? M : never;
type In<M extends GenServiceMethods[string]> = MessageShape<M["input"]>;
type InInit<M extends GenServiceMethods[string]> = MessageInitShape<M["input"]>;
type Out<M extends GenServiceMethods[string]> = MessageShape<M["output"]>;
type OutInit<M extends GenServiceMethods[string]> = MessageInitShape<M["output"]>;

/** Per-call options: a deadline (`timeoutMs`) and cancellation (`signal`). Both reach the handler. */
export type CallOptions = WaitOptions;

/** The client function of one method, by its kind. */
export type ClientMethod<M extends GenServiceMethods[string]> = M["methodKind"] extends "unary"
  ? (request: InInit<M>, options?: CallOptions) => Promise<Out<M>>
  : M["methodKind"] extends "server_streaming"
    ? (request: InInit<M>, options?: CallOptions) => AsyncIterable<Out<M>>
    : M["methodKind"] extends "client_streaming"
      ? (requests: AsyncIterable<InInit<M>>, options?: CallOptions) => Promise<Out<M>>
      : (requests: AsyncIterable<InInit<M>>, options?: CallOptions) => AsyncIterable<Out<M>>;

/** A typed client: one function per method. */
export type Client<S extends DescService> = { [K in keyof MethodOf<S>]: ClientMethod<MethodOf<S>[K]> };

/** What a handler learns about its call. */
export interface HandlerContext {
  /** Aborted when the caller cancels, its deadline passes, or it goes away. */
  readonly signal: AbortSignal;
  readonly method: DescMethod;
}

/** The handler of one method, by its kind. */
export type HandlerMethod<M extends GenServiceMethods[string]> = M["methodKind"] extends "unary"
  ? (request: In<M>, ctx: HandlerContext) => Promise<OutInit<M>> | OutInit<M>
  : M["methodKind"] extends "server_streaming"
    ? (request: In<M>, ctx: HandlerContext) => AsyncIterable<OutInit<M>>
    : M["methodKind"] extends "client_streaming"
      ? (requests: AsyncIterable<In<M>>, ctx: HandlerContext) => Promise<OutInit<M>> | OutInit<M>
      : (requests: AsyncIterable<In<M>>, ctx: HandlerContext) => AsyncIterable<OutInit<M>>;

/** A service implementation: one handler per method. */
export type ServiceImpl<S extends DescService> = { [K in keyof MethodOf<S>]: HandlerMethod<MethodOf<S>[K]> };
