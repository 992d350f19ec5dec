// protochan/contract: consumer-driven contracts between processes, as Pact
// files. Needs the optional peer @pact-foundation/pact; only this entry
// imports it.
export {
  Contract,
  type CallInteraction,
  type MessageInteraction,
  METADATA_TYPE,
  type CallInteractionSpec,
  type CallRecord,
  type ContractLogLevel,
  type ContractOptions,
  type ContractTemplate,
  type MessageInteractionSpec,
  type MessageRecord,
  type MockProducer,
  type MockService,
  type ProviderState,
} from "./contract/consumer.js";
export {
  verify,
  CONTRACT_ENV,
  type ProviderStateHandler,
  type SchemaChange,
  type VerifyOptions,
  type VerifyReport,
} from "./contract/verify.js";
export { schemaDigest } from "./contract/digest.js";
export { toContractJson, fromContractJson, type FromContractJson } from "./contract/json.js";
export { ContractMismatchError, ERROR_CODES, ProtochanError, type ContractMismatch, type ErrorCode } from "./errors.js";
export type { WaitOptions } from "./ends/wait.js";
