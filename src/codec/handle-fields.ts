// Protobuf messages with handle fields. In the schema such a field is a
// protochan.v1.SenderHandle / ReceiverHandle holding a handle-table index; in
// TypeScript it is a Sender<T> / Receiver<T>. This codec swaps one for the
// other around the message's own codec. A handle field may be an arm of a
// oneof: it is then swapped only when it is the oneof's set case.
import type { Sender } from "../ends/sender.js";
import type { Receiver } from "../ends/receiver.js";
import type { ChannelType } from "./channel-type.js";
import { InvalidArgumentError, ProtocolError } from "../errors.js";
import type { Codec, HandleDecoder, HandleEncoder } from "./codec.js";
import { EncodeError } from "./binary/errors.js";

export interface HandleField {
  /** The field's localName in the protoc-gen-es message (for a oneof arm, its case name). */
  readonly name: string;
  /** The localName of the oneof the field is an arm of, if any: its end is `m[oneof].value` when `m[oneof].case === name`. */
  readonly oneof?: string;
  readonly kind: "sender" | "receiver";
  readonly repeated: boolean;
  /** The channel type the handle carries (a thunk: channel types may refer to each other). */
  readonly payload: () => ChannelType<unknown>;
}

interface IndexMessage {
  readonly $typeName: string;
  readonly index: number;
}

type AnyRecord = Record<string, unknown>;

export function withHandleFields<Pb extends object, T>(
  inner: Codec<Pb>,
  fields: readonly HandleField[],
): Codec<T> & { readonly wraps: Codec<Pb> } {
  const typeNames = { sender: "protochan.v1.SenderHandle", receiver: "protochan.v1.ReceiverHandle" };
  return {
    wraps: inner,
    encode(value, out, handles) {
      const copy: AnyRecord = { ...(value as AnyRecord) };
      for (const f of fields) {
        const toIndex = (end: unknown): IndexMessage => ({ $typeName: typeNames[f.kind], index: put(f, end, handles) });
        replaceField(copy, f, (v) => (f.repeated ? (v as unknown[]).map(toIndex) : toIndex(v)));
      }
      inner.encode(copy as Pb, out, handles);
    },
    decode(bytes, handles) {
      const value = inner.decode(bytes, handles) as AnyRecord;
      for (const f of fields) {
        const fromIndex = (m: IndexMessage): unknown => take(f, m.index, handles);
        replaceField(value, f, (v) => (f.repeated ? (v as IndexMessage[]).map(fromIndex) : fromIndex(v as IndexMessage)));
      }
      return value as T;
    },
  };
}

/** Replaces the value of field f in m, if it is set (a oneof arm: if it is the set case). */
function replaceField(m: AnyRecord, f: HandleField, replace: (v: unknown) => unknown): void {
  if (f.oneof === undefined) {
    const v = m[f.name];
    if (v !== undefined) m[f.name] = replace(v);
    return;
  }
  const arm = m[f.oneof] as { readonly case?: string; readonly value?: unknown } | undefined;
  // A new object: the oneof of the caller's message stays as it was.
  if (arm?.case === f.name) m[f.oneof] = { case: f.name, value: replace(arm.value) };
}

function put(f: HandleField, end: unknown, handles: HandleEncoder | undefined): number {
  if (handles === undefined) throw new InvalidArgumentError(`field ${f.name}: channel ends can only be sent over a channel`);
  if (typeof end !== "object" || end === null || "$typeName" in end) {
    // create(Schema, { field: {...} }) makes a handle message, not a channel end.
    throw new EncodeError(`field ${f.name} must hold a ${f.kind === "sender" ? "Sender" : "Receiver"} (or be unset)`);
  }
  return f.kind === "sender" ? handles.sender(end as Sender<unknown>) : handles.receiver(end as Receiver<unknown>);
}

function take(f: HandleField, index: number, handles: HandleDecoder | undefined): unknown {
  if (handles === undefined) throw new ProtocolError(`field ${f.name}: handle ${index} but the frame has no handle table`);
  return f.kind === "sender" ? handles.sender(index, f.payload()) : handles.receiver(index, f.payload());
}
