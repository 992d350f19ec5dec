// The provider side: start the real provider process, let Pact's verifier
// replay every interaction of the contracts through message providers that
// call the provider over protochan, and let Pact's matching compare.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DescMessage, DescMethod, DescService, JsonValue } from "@bufbuild/protobuf";
import { OneShotServer } from "../bootstrap/one-shot-server.js";
import { ContractMismatchError, InvalidArgumentError, type ContractMismatch } from "../errors.js";
import { WorkerSet } from "../workers/worker-set.js";
import { channelTypeOf, METADATA_TYPE, methodName, type CallRecord, type ContractLogLevel, type MessageRecord } from "./consumer.js";
import { schemaDigest } from "./digest.js";
import { fromContractJson, toContractJson } from "./json.js";
import { loadPact } from "./pact.js";

/** The environment a message provider is started with, once per message interaction. */
export const CONTRACT_ENV = {
  /** The name to connect to and send the message on. */
  name: "PROTOCHAN_NAME",
  /** The interaction's description. */
  message: "PROTOCHAN_CONTRACT_MESSAGE",
  /** The interaction's provider states, as JSON: `[{ "name": …, "params": {…} }]`. */
  states: "PROTOCHAN_CONTRACT_STATES",
} as const;

/** Sets up (or tears down) a provider state in the verifying process; `params` as the consumer gave them. */
export type ProviderStateHandler = (params?: { readonly [key: string]: JsonValue }) => Promise<void> | void;

/** What to verify, and how to start the provider. */
export interface VerifyOptions {
  /** The provider's name: interactions of contracts with another provider are not verified. */
  readonly provider: string;
  /**
   * Pact files, directories of them, or http(s) URLs of pacts (a broker's
   * `…/pacts/provider/P/consumer/C/latest`; PACT_BROKER_TOKEN, or
   * PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD, authenticate).
   */
  readonly pactUrls: readonly string[];
  /**
   * The provider program. For call interactions it serves `service` with
   * runWorker(); for message interactions it is started once per interaction
   * with CONTRACT_ENV set, and sends the message on `PROTOCHAN_NAME`.
   */
  readonly entry: string | URL;
  /** Arguments for the provider program. */
  readonly args?: readonly string[];
  /** Node flags for the provider (default: this process's, so loaders such as tsx carry over). */
  readonly execArgv?: readonly string[];
  /** Environment for the provider, over this process's. */
  readonly env?: Readonly<Record<string, string>>;
  /** The service call interactions are made on. */
  readonly service?: DescService;
  /** The message types message interactions are about (one, or told apart by the metadata the consumer recorded). */
  readonly messages?: readonly DescMessage[];
  /** Handlers of provider states, by name, run before each interaction that names them. */
  readonly stateHandlers?: Readonly<Record<string, ProviderStateHandler>>;
  /** Bound on starting the provider and on each interaction (default 20 s). */
  readonly timeoutMs?: number;
  /** Pact's log level (default "warn"). */
  readonly logLevel?: ContractLogLevel;
  /** Publish the results to the broker the pacts came from (with providerVersion). */
  readonly publishVerificationResult?: boolean;
  /** The provider's version (a commit), as the broker records it. */
  readonly providerVersion?: string;
  /** The provider's branch, as the broker records it. */
  readonly providerVersionBranch?: string;
}

/** An interaction whose recorded schema digest is not the provider's: its types changed (the verification says whether compatibly). */
export interface SchemaChange {
  /** The interaction's description. */
  readonly interaction: string;
  /** The message type, or for a call the method. */
  readonly typeName: string;
  /** The digest in the contract. */
  readonly recorded: string;
  /** The digest of the provider's types. */
  readonly provider: string;
}

/** What a passed verification covered. */
export interface VerifyReport {
  /** Descriptions of the interactions verified. */
  readonly verified: readonly string[];
  /** Interactions whose types differ from those recorded, though Pact accepted the messages. */
  readonly schemaChanges: readonly SchemaChange[];
}

interface PactState {
  readonly name: string;
  readonly params?: { readonly [key: string]: JsonValue };
}

interface PactInteraction {
  readonly type?: string;
  readonly description: string;
  readonly providerStates?: readonly PactState[];
  readonly comments?: { readonly protochan?: Partial<CallRecord & MessageRecord> };
  readonly metadata?: { readonly [key: string]: JsonValue };
}

interface PactFile {
  readonly provider?: { readonly name?: string };
  readonly interactions?: readonly PactInteraction[];
  /** V3 message pacts. */
  readonly messages?: readonly PactInteraction[];
}

const isHttp = (u: string) => /^https?:\/\//.test(u);

/** The local pact files among `urls` (directories expanded), and the http(s) ones as they are. */
function pactSources(urls: readonly string[]): string[] {
  return urls.flatMap((u) => {
    if (isHttp(u)) return [u];
    const path = u.startsWith("file:") ? fileURLToPath(u) : u;
    let dir: boolean;
    try {
      dir = statSync(path).isDirectory();
    } catch (err) {
      throw new InvalidArgumentError(`pact file ${path} cannot be read`, { cause: err });
    }
    return dir
      ? readdirSync(path)
          .filter((f) => f.endsWith(".json"))
          .map((f) => join(path, f))
      : [path];
  });
}

function brokerAuth(): Record<string, string> {
  const { PACT_BROKER_TOKEN: token, PACT_BROKER_USERNAME: user, PACT_BROKER_PASSWORD: password } = process.env;
  if (token) return { authorization: `Bearer ${token}` };
  if (user) return { authorization: `Basic ${Buffer.from(`${user}:${password ?? ""}`).toString("base64")}` };
  return {};
}

async function readPact(source: string): Promise<PactFile> {
  if (!isHttp(source)) return JSON.parse(readFileSync(source, "utf8")) as PactFile;
  const res = await fetch(source, { headers: { accept: "application/hal+json, application/json", ...brokerAuth() } }).catch(
    (err: unknown) => {
      throw new InvalidArgumentError(`pact ${source} cannot be fetched`, { cause: err });
    },
  );
  if (!res.ok) throw new InvalidArgumentError(`pact ${source}: HTTP ${res.status}`);
  return (await res.json()) as PactFile;
}

/** The interactions of the contracts with this provider. */
async function readInteractions(sources: readonly string[], provider: string): Promise<PactInteraction[]> {
  const pacts = await Promise.all(sources.map(readPact));
  return pacts.flatMap((pact) => (pact.provider?.name === provider ? [...(pact.interactions ?? []), ...(pact.messages ?? [])] : []));
}

type MessageDescriptor = { readonly description: string; readonly providerStates?: readonly PactState[]; readonly content?: unknown };
type ProviderFn = (m: MessageDescriptor) => Promise<unknown>;

/**
 * Verifies the provider against every interaction of the contracts with it,
 * using Pact's verifier. Resolves with what was verified; rejects with a
 * ContractMismatchError naming each failing interaction, field path,
 * expected and actual value.
 */
export async function verify(options: VerifyOptions): Promise<VerifyReport> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const sources = pactSources(options.pactUrls);
  const interactions = await readInteractions(sources, options.provider);
  if (interactions.length === 0)
    throw new InvalidArgumentError(`no interactions with provider "${options.provider}" in ${options.pactUrls.join(", ")}`);
  const calls = interactions.filter((i) => i.type === "Synchronous/Messages");
  if (interactions.some((i) => i.type !== undefined && i.type !== "Synchronous/Messages" && i.type !== "Asynchronous/Messages"))
    throw new InvalidArgumentError("only message and synchronous message interactions can be verified over protochan");
  if (calls.length > 0 && options.service === undefined)
    throw new InvalidArgumentError("the contracts have call interactions: pass the service");

  const schemaChanges: SchemaChange[] = [];
  const failures = new Map<string, string>();
  const set =
    calls.length > 0 && options.service !== undefined
      ? WorkerSet.start({
          service: options.service,
          entry: options.entry,
          args: options.args,
          execArgv: options.execArgv,
          env: options.env,
          count: 1,
        })
      : undefined;
  try {
    if (set !== undefined) await set.ready({ timeoutMs });
    const providers: Record<string, ProviderFn> = {};
    for (const i of interactions) {
      const fn: ProviderFn =
        i.type === "Synchronous/Messages"
          ? callProvider(i, options.service!, set!, timeoutMs, schemaChanges)
          : messageProvider(i, options, timeoutMs, schemaChanges);
      providers[i.description] = (m) =>
        fn(m).catch((err: unknown) => {
          failures.set(i.description, (err as Error).message);
          throw err;
        });
    }
    const stateNames = new Set(interactions.flatMap((i) => (i.providerStates ?? []).map((s) => s.name)));
    const stateHandlers = Object.fromEntries(
      [...stateNames].map((name) => [
        name,
        async (params?: unknown) => void (await options.stateHandlers?.[name]?.(params as PactState["params"])),
      ]),
    );
    const { Verifier } = await loadPact();
    const verifier = new Verifier({
      provider: options.provider,
      pactUrls: sources,
      // Pact refuses keys that are present but undefined.
      ...defined({
        publishVerificationResult: options.publishVerificationResult,
        providerVersion: options.providerVersion,
        providerVersionBranch: options.providerVersionBranch,
      }),
      messageProviders: providers as never,
      stateHandlers,
      logLevel: options.logLevel ?? "warn",
      timeout: timeoutMs,
    });
    try {
      await verifier.verifyProvider();
    } catch (err) {
      throw mismatchError(err, failures);
    }
    return { verified: interactions.map((i) => i.description), schemaChanges };
  } finally {
    await set?.close();
  }
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function lookupMethod(service: DescService, record: Partial<CallRecord> | undefined, description: string): DescMethod {
  if (record?.method === undefined)
    throw new InvalidArgumentError(`interaction "${description}": no protochan record of its method (comments.protochan)`);
  const method = service.methods.find((m) => methodName(m) === record.method);
  if (method === undefined)
    throw new InvalidArgumentError(`interaction "${description}": ${service.typeName} has no method ${record.method}`);
  return method;
}

type AnyClient = Record<string, (input: unknown, options: { timeoutMs: number }) => unknown>;

async function collect(stream: AsyncIterable<object>, desc: DescMessage): Promise<JsonValue[]> {
  const out: JsonValue[] = [];
  for await (const r of stream) out.push(toContractJson(desc, r));
  return out;
}

/** Replays a call interaction on the provider: the request Pact hands over, the response(s) as JSON for Pact to match. */
function callProvider(
  i: PactInteraction,
  service: DescService,
  set: WorkerSet<DescService>,
  timeoutMs: number,
  changes: SchemaChange[],
): ProviderFn {
  const method = lookupMethod(service, i.comments?.protochan, i.description);
  const recorded = i.comments?.protochan?.schemaDigest;
  const digest = schemaDigest(method.input, method.output);
  if (recorded !== undefined && digest !== recorded)
    changes.push({ interaction: i.description, typeName: methodName(method), recorded, provider: digest });
  return async (m) => {
    const fn = (set.client as unknown as AnyClient)[method.localName]!;
    const streamsIn = method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
    const json = (m.content ?? null) as JsonValue;
    const made = (streamsIn ? (Array.isArray(json) ? json : []) : [json]).map((r) => fromContractJson(method.input, r));
    try {
      const values = made.map((r) => r.value);
      async function* requests() {
        yield* values;
      }
      const reply = fn(streamsIn ? requests() : values[0], { timeoutMs });
      if (method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming")
        return await collect(reply as AsyncIterable<object>, method.output);
      return toContractJson(method.output, (await reply) as object);
    } finally {
      for (const r of made) r.close();
    }
  };
}

function messageSchema(i: PactInteraction, messages: readonly DescMessage[]): DescMessage {
  const typeName = i.metadata?.[METADATA_TYPE];
  const schema =
    typeof typeName === "string" ? messages.find((m) => m.typeName === typeName) : messages.length === 1 ? messages[0] : undefined;
  if (schema === undefined)
    throw new InvalidArgumentError(
      `interaction "${i.description}": ${typeof typeName === "string" ? `no message type ${typeName} among the messages given` : "pass the one message type it is about (messages)"}`,
    );
  return schema;
}

/** Runs the provider program for one message interaction and hands Pact the first message it sends. */
function messageProvider(i: PactInteraction, options: VerifyOptions, timeoutMs: number, changes: SchemaChange[]): ProviderFn {
  const schema = messageSchema(i, options.messages ?? []);
  const digest = schemaDigest(schema);
  const recorded = i.comments?.protochan?.schemaDigest;
  if (recorded !== undefined && recorded !== digest)
    changes.push({ interaction: i.description, typeName: schema.typeName, recorded, provider: digest });
  return async (m) => {
    const { server, name } = await OneShotServer.create(channelTypeOf(schema));
    const entry = options.entry instanceof URL || options.entry.startsWith("file:") ? fileURLToPath(options.entry) : options.entry;
    const proc = spawn(process.execPath, [...(options.execArgv ?? process.execArgv), entry, ...(options.args ?? [])], {
      env: {
        ...process.env,
        ...options.env,
        [CONTRACT_ENV.name]: name,
        [CONTRACT_ENV.message]: m.description,
        [CONTRACT_ENV.states]: JSON.stringify(m.providerStates ?? []),
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    const exited = new Promise<string>((resolve) => {
      proc.once("exit", (code, signal) => resolve(`the provider exited (${signal ?? code}) before sending a ${schema.typeName}`));
      proc.once("error", (err) => resolve(`the provider could not be started: ${err.message}`));
    });
    const abort = new AbortController();
    try {
      const accepted = await Promise.race([server.accept({ timeoutMs, signal: abort.signal }), exited]);
      if (typeof accepted === "string") throw new ContractMismatchError(`interaction "${i.description}": ${accepted}`);
      accepted.receiver.close();
      return {
        __pactMessageMetadata: { [METADATA_TYPE]: schema.typeName },
        message: toContractJson(schema, accepted.first as object),
      };
    } finally {
      abort.abort();
      await server.close();
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill();
        await exited;
      }
    }
  };
}

interface VerifierJson {
  readonly interactionResults?: readonly {
    readonly description: string;
    readonly result: string;
    readonly mismatch?: {
      readonly type?: string;
      readonly message?: string;
      readonly mismatches?: readonly {
        readonly path?: string;
        readonly expected?: string;
        readonly actual?: string;
        readonly mismatch?: string;
        readonly key?: string;
      }[];
    };
  }[];
}

/** Pact prints a list as a JSON array of JSON texts: shown as the list itself. */
function pretty(value: string | undefined): string {
  if (value === undefined) return "";
  try {
    const v = JSON.parse(value) as unknown;
    if (Array.isArray(v) && v.every((e) => typeof e === "string")) return JSON.stringify(v.map((e) => JSON.parse(e as string) as unknown));
  } catch {
    // not a list of JSON texts: as Pact gave it
  }
  return value;
}

/** Pact's verdict (the verifier's JSON result) as a ContractMismatchError; a verifier that could not run as an InvalidArgumentError. */
function mismatchError(err: unknown, failures: ReadonlyMap<string, string>): ContractMismatchError | InvalidArgumentError {
  let json: VerifierJson | undefined;
  try {
    json = JSON.parse((err as Error).message) as VerifierJson;
  } catch {
    // not the verifier's result: a setup failure
  }
  const mismatches: ContractMismatch[] = [];
  for (const r of json?.interactionResults ?? []) {
    if (r.result === "OK") continue;
    // A message provider that failed answered Pact with its error, which Pact then matched as the message.
    const failed = failures.get(r.description);
    if (failed !== undefined) {
      mismatches.push({ interaction: r.description, path: "", expected: "", actual: "", message: failed });
      continue;
    }
    const listed = r.mismatch?.mismatches ?? [];
    if (listed.length === 0)
      mismatches.push({ interaction: r.description, path: "", expected: "", actual: "", message: r.mismatch?.message ?? r.result });
    for (const x of listed)
      mismatches.push({
        interaction: r.description,
        path: x.path ?? (x.key === undefined ? "" : `metadata.${x.key}`),
        expected: pretty(x.expected),
        actual: pretty(x.actual),
        message: x.mismatch ?? "",
      });
  }
  if (json === undefined) return new InvalidArgumentError(`Pact's verifier could not run: ${(err as Error).message}`, { cause: err });
  if (mismatches.length === 0) {
    const e = new ContractMismatchError(`contract verification failed: ${(err as Error).message}`);
    e.cause = err;
    return e;
  }
  const lines = mismatches.map((x) =>
    x.path === ""
      ? `  interaction "${x.interaction}": ${x.message}`
      : `  interaction "${x.interaction}": ${x.path}: expected ${x.expected}, actual ${x.actual} (${x.message})`,
  );
  return new ContractMismatchError(`contract verification failed:\n${lines.join("\n")}`, mismatches);
}
