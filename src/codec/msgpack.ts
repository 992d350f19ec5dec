// Untyped channels: structured values encoded with msgpackr. Senders and
// receivers inside a value travel as extension 0x50/0x51 holding their index
// in the frame's handle table. msgpackr's extension hooks are global, so the
// frame's handle context is lent to them for the length of one pack/unpack
// call only (encoding and decoding are synchronous), and the one it replaced
// is restored afterwards, so a nested call cannot leak into another frame.
import { addExtension, Packr, Unpackr } from "msgpackr";
import { Sender } from "../ends/sender.js";
import { Receiver } from "../ends/receiver.js";
import { InvalidArgumentError, ProtocolError, ProtochanError } from "../errors.js";
import type { Codec, HandleDecoder, HandleEncoder } from "./codec.js";

const packr = new Packr({ useRecords: false, moreTypes: true });
const unpackr = new Unpackr({ useRecords: false, moreTypes: true });

let encoding: HandleEncoder | undefined;
let decoding: HandleDecoder | undefined;

function notOverAChannel(): never {
  throw new InvalidArgumentError("channel ends can only be sent over a channel");
}

function noHandleTable(): never {
  throw new ProtocolError("a channel end in a frame that has no handle table");
}

addExtension({
  Class: Sender,
  type: 0x50,
  write: (s: Sender<unknown>) => (encoding ?? notOverAChannel()).sender(s),
  read: (index: number) => (decoding ?? noHandleTable()).sender(index),
});
addExtension({
  Class: Receiver,
  type: 0x51,
  write: (r: Receiver<unknown>) => (encoding ?? notOverAChannel()).receiver(r),
  read: (index: number) => (decoding ?? noHandleTable()).receiver(index),
});

export const msgpackCodec: Codec<unknown> = {
  encode(value, out, handles) {
    const outer = encoding;
    encoding = handles;
    try {
      out.bytes(packr.pack(value));
    } catch (err) {
      if (err instanceof ProtochanError) throw err;
      throw new InvalidArgumentError(`cannot encode the value as msgpack: ${messageOf(err)}`, { cause: err });
    } finally {
      encoding = outer;
    }
  },
  decode(bytes, handles) {
    const outer = decoding;
    decoding = handles;
    try {
      return unpackr.unpack(bytes);
    } catch (err) {
      if (err instanceof ProtochanError) throw err;
      throw new ProtocolError(`cannot decode msgpack: ${messageOf(err)}`, { cause: err });
    } finally {
      decoding = outer;
    }
  },
};

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
