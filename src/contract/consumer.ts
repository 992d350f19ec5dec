// The consumer side: a consumer's test declares what it expects (calls on a
// service, messages on a channel) with Pact's matchers, runs its real code
// against a mock provider that speaks the protochan wire, and Pact writes the
// V4 file. The mock answers from the interaction, with Pact's example values.
import type { DescMessage, DescMethod, DescService, JsonValue } from "@bufbuild/protobuf";
import type { PactV4 } from "@pact-foundation/pact";
import { connect } from "../bootstrap/connect.js";
import type { WaitOptions } from "../ends/wait.js";
import { channelTypeById, defineChannel, type ChannelType } from "../codec/channel-type.js";
import { ContractMismatchError, InvalidArgumentError } from "../errors.js";
import { listenService } from "../rpc/service-server.js";
import type { ServiceImpl } from "../rpc/types.js";
import { typeIdOf } from "../wire/type-id.js";
import { schemaDigest } from "./digest.js";
import { fromContractJson, handleFieldsOf, toContractJson } from "./json.js";
import { loadPact } from "./pact.js";

/** Pact's log levels. */
export type ContractLogLevel = "trace" | "debug" | "info" | "warn" | "error";

/** Names the two sides of a contract and where its Pact file goes. */
export interface ContractOptions {
  /** The consumer's name (this program), as in the broker. */
  readonly consumer: string;
  /** The provider's name, as its verification will give it. */
  readonly provider: string;
  /** Where Pact writes `<consumer>-<provider>.json` (interactions of later tests are merged in). */
  readonly dir: string;
  /** Pact's log level (default "warn"). */
  readonly logLevel?: ContractLogLevel;
}

/** A provider state: a name, or a name with parameters (handed to the provider's state handler). */
export type ProviderState = string | { readonly name: string; readonly params?: { readonly [key: string]: JsonValue } };

/**
 * A message in the protobuf JSON mapping, where any value may be a Pact
 * matcher (`MatchersV3.like`, `eachLike`, `regex`, …) and a handle field is
 * its placeholder string, e.g. `"Sender<example.v1.Answer>"`.
 */
export type ContractTemplate = unknown;

/** A call interaction: one call of a method, with what the consumer sends and expects back. */
export interface CallInteractionSpec {
  /** The interaction's description: unique within the contract. */
  readonly description: string;
  /** The provider states the interaction needs. */
  readonly given?: ProviderState | readonly ProviderState[];
  /** The request; for client and bidi streaming methods, an array of requests. */
  readonly request: ContractTemplate;
  /** The response; for server and bidi streaming methods, an array of responses. */
  readonly response: ContractTemplate;
}

/** A message interaction: a message the consumer expects to receive on a channel. */
export interface MessageInteractionSpec {
  /** The interaction's description: unique within the contract (the provider picks the message by it). */
  readonly description: string;
  /** The provider states the interaction needs. */
  readonly given?: ProviderState | readonly ProviderState[];
  /** The message. */
  readonly contents: ContractTemplate;
}

/** The mock provider of a call interaction: a real protochan service server. */
export interface MockService {
  /** Give this to the consumer's code (`connectService(service, name)`). */
  readonly name: string;
  /** The requests the consumer's code sent, in the JSON mapping. */
  readonly requests: readonly JsonValue[];
}

/** The mock producer of a message interaction. */
export interface MockProducer<T> {
  /** The message the interaction describes (Pact's example values; handle fields are live ends). */
  readonly message: T;
  /** Connects to the consumer's server `name` and sends the message, then closes the sender. */
  sendTo(name: string, options?: WaitOptions): Promise<void>;
}

/** Full name of a method, e.g. "example.v1.CalculatorService.Add". */
export function methodName(method: DescMethod): string {
  return `${method.parent.typeName}.${method.name}`;
}

/** What a call interaction records about its method, in the interaction's comments (key "protochan"). */
export interface CallRecord {
  /** Full name, e.g. "example.v1.CalculatorService.Add". */
  readonly method: string;
  /** Full name of the request type. */
  readonly requestType: string;
  /** Full name of the response type. */
  readonly responseType: string;
  /** schemaDigest() of the request and response types. */
  readonly schemaDigest: string;
}

/** What a message interaction records about its type, in the interaction's comments (key "protochan"). */
export interface MessageRecord {
  /** Full name of the message type. */
  readonly type: string;
  /** schemaDigest() of the message type. */
  readonly schemaDigest: string;
}

/** The message metadata key holding the message's full type name (verified: the provider's must be the same). */
export const METADATA_TYPE = "protochan.type";

/** The consumer's side of one contract (one Pact file). */
export class Contract {
  private constructor(private readonly options: ContractOptions) {}

  /** A contract between `consumer` and `provider`, written to `dir` as each interaction's test passes. */
  static create(options: ContractOptions): Contract {
    if (options.consumer === "" || options.provider === "")
      throw new InvalidArgumentError("a contract needs a consumer and a provider name");
    return new Contract(options);
  }

  private async pact(): Promise<PactV4> {
    const { consumer, provider, dir, logLevel = "warn" } = this.options;
    const { PactV4 } = await loadPact();
    return new PactV4({ consumer, provider, dir, logLevel });
  }

  /** A call the consumer makes on a service method. */
  call(method: DescMethod, spec: CallInteractionSpec): CallInteraction {
    return new PactCall(() => this.pact(), method, spec);
  }

  /** A message the consumer expects to receive on a channel of `schema`. */
  message<Desc extends DescMessage>(schema: Desc, spec: MessageInteractionSpec): MessageInteraction {
    return new PactMessage(() => this.pact(), schema, spec);
  }
}

function statesOf(given: ProviderState | readonly ProviderState[] | undefined): readonly ProviderState[] {
  if (given === undefined) return [];
  return typeof given === "string" || !Array.isArray(given) ? [given as ProviderState] : (given as readonly ProviderState[]);
}

/** What Pact's unconfigured interactions share. */
interface Given {
  given(state: string, params?: never): unknown;
}

function applyStates<I extends Given>(i: I, given: CallInteractionSpec["given"]): I {
  for (const s of statesOf(given)) {
    if (typeof s === "string") i.given(s);
    else i.given(s.name, s.params as never);
  }
  return i;
}

/** JSON content for Pact: `{}` and `[]` go in as bytes (Pact refuses empty JSON documents), the rest with their matchers. */
function withContent<B extends { withJSONContent(c: unknown): B; withContent(t: string, b: Buffer): B }>(
  b: B,
  template: ContractTemplate,
): B {
  const empty = typeof template === "object" && template !== null && Object.keys(template).length === 0;
  return empty ? b.withContent("application/json", Buffer.from(JSON.stringify(template))) : b.withJSONContent(template);
}

const parseContent = (content: unknown): JsonValue =>
  Buffer.isBuffer(content) ? (JSON.parse(content.toString("utf8")) as JsonValue) : (content as JsonValue);

const asList = (what: string, v: JsonValue): readonly JsonValue[] => {
  if (!Array.isArray(v)) throw new InvalidArgumentError(`${what}: a streaming side is an array of messages`);
  return v;
};

/** A call interaction, to run once with the consumer's code. */
export interface CallInteraction {
  /**
   * Starts a mock service answering from the interaction, runs `test` (the
   * consumer's code), and, when it succeeds and the method was called, has Pact
   * write the interaction into the contract.
   */
  run<T>(test: (mock: MockService) => Promise<T>): Promise<T>;
}

/** A message interaction, to run once with the consumer's code. */
export interface MessageInteraction {
  /**
   * Runs `test` (the consumer's code) with a mock producer of the message;
   * when it succeeds and the message was sent, Pact writes the interaction.
   */
  run<T>(test: (mock: MockProducer<unknown>) => Promise<T>): Promise<T>;
}

class PactCall implements CallInteraction {
  constructor(
    private readonly pact: () => Promise<PactV4>,
    private readonly method: DescMethod,
    private readonly spec: CallInteractionSpec,
  ) {}

  async run<T>(test: (mock: MockService) => Promise<T>): Promise<T> {
    const { method, spec } = this;
    const record: CallRecord = {
      method: methodName(method),
      requestType: method.input.typeName,
      responseType: method.output.typeName,
      schemaDigest: schemaDigest(method.input, method.output),
    };
    const streamsIn = method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
    const streamsOut = method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming";
    const interaction = applyStates((await this.pact()).addSynchronousInteraction(spec.description), spec.given).comment({
      key: "protochan",
      value: JSON.stringify(record),
    });
    const result = await interaction
      .withRequest((b) => withContent(b, spec.request))
      .withResponse((b) => withContent(b, spec.response))
      .executeTest(async (m) => {
        const what = `interaction "${spec.description}"`;
        const reqJson = parseContent(m.Request.content);
        // The examples must be messages of the method's types (a misspelt field fails here).
        for (const r of streamsIn ? asList(`${what} request`, reqJson) : [reqJson]) fromContractJson(method.input, r).close();
        const resJson = parseContent(m.Response[0]?.content);
        const responses = (streamsOut ? asList(`${what} response`, resJson) : [resJson]).map((r) => fromContractJson(method.output, r));
        const requests: JsonValue[] = [];
        const got = (r: object) => requests.push(toContractJson(method.input, r));
        const values = responses.map((r) => r.value);
        const handler = handlerFor(method, got, values);
        const server = await listenService(method.parent, { [method.localName]: handler } as Partial<ServiceImpl<DescService>>);
        try {
          const out = await test({ name: server.name, requests });
          if (requests.length === 0)
            throw new ContractMismatchError(`${what}: the consumer's code never called ${record.method}`, [
              {
                interaction: spec.description,
                path: "",
                expected: `a call of ${record.method}`,
                actual: "no call",
                message: "never called",
              },
            ]);
          return out;
        } finally {
          await server.close();
          for (const r of responses) r.close();
        }
      });
    return result as T;
  }
}

type Handler = (input: never, ctx: never) => unknown;

/** The mock's handler of `method`: records what arrives, answers with the interaction's responses. */
function handlerFor(method: DescMethod, got: (r: object) => void, responses: readonly object[]): Handler {
  switch (method.methodKind) {
    case "unary":
      return (req: object) => {
        got(req);
        return responses[0];
      };
    case "server_streaming":
      return async function* (req: object) {
        got(req);
        yield* responses;
      };
    case "client_streaming":
      return async (reqs: AsyncIterable<object>) => {
        for await (const r of reqs) got(r);
        return responses[0];
      };
    case "bidi_streaming":
      // One response per request while both last, so a consumer that waits for each answer is served.
      return async function* (reqs: AsyncIterable<object>) {
        let i = 0;
        for await (const r of reqs) {
          got(r);
          if (i < responses.length) yield responses[i++];
        }
        yield* responses.slice(i);
      };
  }
}

/**
 * The channel type of a message type, coded by exactly this descriptor (the
 * registry is by name: a provider's changed type must not be read with the
 * consumer's). Handle fields need the generated channel type (its _chan.ts).
 */
export function channelTypeOf(schema: DescMessage): ChannelType<unknown> {
  if (handleFieldsOf(schema).length === 0) return defineChannel(schema) as ChannelType<unknown>;
  const type = channelTypeById(typeIdOf(schema.typeName));
  if (type === undefined) throw new InvalidArgumentError(`${schema.typeName} has handle fields: import its _chan.ts`);
  return type;
}

class PactMessage implements MessageInteraction {
  constructor(
    private readonly pact: () => Promise<PactV4>,
    private readonly schema: DescMessage,
    private readonly spec: MessageInteractionSpec,
  ) {}

  async run<T>(test: (mock: MockProducer<unknown>) => Promise<T>): Promise<T> {
    const { schema, spec } = this;
    const type = channelTypeOf(schema);
    const record: MessageRecord = { type: schema.typeName, schemaDigest: schemaDigest(schema) };
    // The digest goes in the comments, which verification does not match (Pact 17's verifier
    // compared metadata exactly despite a regex): a provider whose types changed is judged by its messages.
    const interaction = applyStates((await this.pact()).addAsynchronousInteraction(), spec.given).comment({
      key: "protochan",
      value: JSON.stringify(record),
    });
    const result = await interaction
      .expectsToReceive(spec.description, (b) => withContent(b, spec.contents).withMetadata({ [METADATA_TYPE]: schema.typeName }))
      .executeTest(async (m) => {
        const made = fromContractJson(schema, parseContent(m.contents.content));
        let sent = false;
        try {
          const out = await test({
            message: made.value,
            async sendTo(name, options) {
              const tx = await connect(type, name, options);
              try {
                if (!tx.send(made.value)) await tx.ready(options);
                sent = true;
              } finally {
                tx.close();
              }
            },
          });
          if (!sent)
            throw new ContractMismatchError(`interaction "${spec.description}": the test never sent the message (call mock.sendTo)`, [
              { interaction: spec.description, path: "", expected: `a ${schema.typeName}`, actual: "none sent", message: "never sent" },
            ]);
          return out;
        } finally {
          made.close();
        }
      });
    return result as T;
  }
}
