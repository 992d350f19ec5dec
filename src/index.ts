// protochan runtime: typed channels between processes.
export type { Codec } from "./codec/codec.js";
export { ByteWriter } from "./wire/byte-writer.js";
export { typeIdOf } from "./wire/type-id.js";
export {
  AnyChannel,
  BytesChannel,
  defineChannel,
  defineCustomChannel,
  type ChannelSpec,
  type ChannelType,
} from "./channel/channel-type.js";
