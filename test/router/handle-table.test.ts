// Handle tables at the core level: a received frame's table becomes channel
// ends, each index used at most once, kinds, types and sizes checked; bad
// tables are protocol errors and leave nothing behind (the ends made for the
// frame are closed again). Driven through importHandles and InRoute with a
// recording link, no sockets.
import { localPair } from "../../src/routing/channel.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProtocolError } from "../../src/errors.js";
import { AnyChannel, BytesChannel } from "../../src/codec/channel-type.js";
import { Receiver } from "../../src/ends/receiver.js";
import { ReceiverCore } from "../../src/routing/receiver-core.js";
import { Sender } from "../../src/ends/sender.js";
import { StreamIn } from "../../src/routing/stream.js";
import { receiverCore } from "../../src/routing/ends.js";
import { msgpackCodec } from "../../src/codec/msgpack.js";
import { decodeOpen, encodeOpen, HANDLE_ENTRY_SIZE, writeHandleEntry, readHandleTable } from "../../src/connection/routing-frames.js";
import { HandleKind, type HandleEntry, type MessageHead, type RoutingEvent } from "../../src/routing/events.js";
import { importHandles, type ExportVia } from "../../src/routing/handles.js";
import { globalKey, newNodeId } from "../../src/routing/keys.js";
import { MemoryLink } from "./memory-net.js";
import { InRoute } from "../../src/routing/routes.js";
import { Router } from "../../src/routing/router.js";
import { ByteWriter } from "../../src/wire/byte-writer.js";

/** A link that records the events the router writes on it (and delivers nothing). */
class RecordingLink extends MemoryLink {
  readonly frames: { kind: RoutingEvent["kind"] | "message" }[] = [];

  constructor(router: Router) {
    super(router, newNodeId(), { window: 1 << 20, maxRoutes: 8192, maxConnectionBytes: 1 << 28, maxHandles: 64 });
  }

  override writeBody(): number {
    return 0;
  }
  override writeMessage<T>(_routeId: number, _seq: number, _type: unknown, _value: T, _via: ExportVia): number {
    this.frames.push({ kind: "message" });
    return 0;
  }

  override send(event: RoutingEvent): void {
    this.frames.push({ kind: event.kind });
  }

  kinds(kind: RoutingEvent["kind"] | "message"): number {
    return this.frames.filter((f) => f.kind === kind).length;
  }
}

function setup(): { router: Router; link: RecordingLink } {
  const router = new Router();
  return { router, link: new RecordingLink(router) };
}

/** The table as the wire carries it. */
function tableBytes(entries: readonly HandleEntry[]): Uint8Array {
  const bytes = new Uint8Array(entries.length * HANDLE_ENTRY_SIZE);
  const view = new DataView(bytes.buffer);
  for (const [i, e] of entries.entries()) writeHandleEntry(view, i * HANDLE_ENTRY_SIZE, e);
  return bytes;
}

/** The table as a connection hands it to the router: written and read back. */
function table(entries: readonly HandleEntry[]): HandleEntry[] {
  return readHandleTable(tableBytes(entries), entries.length);
}

let serial = 100;
function senderEntry(link: RecordingLink, type = AnyChannel): HandleEntry {
  const { lo, hi } = type.wireType;
  return { kind: HandleKind.Sender, port: globalKey(link.peer, serial++), typeLo: lo, typeHi: hi, streamCount: 0, hold: 0 };
}

function receiverEntry(link: RecordingLink, streamCount = 0): HandleEntry {
  const { lo, hi } = AnyChannel.wireType;
  return { kind: HandleKind.Receiver, port: globalKey(link.peer, serial++), typeLo: lo, typeHi: hi, streamCount, hold: 0 };
}

const protocolError = (re: RegExp) => (err: unknown) => err instanceof ProtocolError && re.test(err.message);

test("handle table: each index once; out of range, used twice, wrong kind and wrong type are protocol errors", () => {
  const { link } = setup();
  const ctx = importHandles(link, table([senderEntry(link), receiverEntry(link), senderEntry(link)]));
  assert.equal(link.kinds("open"), 2, "each imported sender opens its stream");
  const tx = ctx.sender(0);
  assert.ok(tx instanceof Sender);
  assert.throws(() => ctx.sender(0), protocolError(/handle index 0 used twice/));
  assert.throws(() => ctx.sender(3), protocolError(/handle index 3 out of range \(the frame has 3\)/));
  assert.throws(() => ctx.sender(-1), protocolError(/out of range/));
  assert.throws(() => ctx.sender(0.5), protocolError(/out of range/));
  assert.throws(() => ctx.sender(1), protocolError(/handle 1 is not a sender/));
  assert.throws(() => ctx.receiver(2), protocolError(/handle 2 is not a receiver/));
  assert.throws(() => ctx.sender(2, BytesChannel), protocolError(/handle 2 carries protochan.any, the schema says protochan.bytes/));
  // A failed pick does not use the index up.
  assert.ok(ctx.receiver(1) instanceof Receiver);
  assert.throws(() => ctx.receiver(1), protocolError(/used twice/));
  // Ends the body did not mention are closed: sender 2's stream is closed at once.
  const kept = ctx.finish();
  assert.equal(kept.length, 2);
  assert.equal(link.kinds("close"), 1, "the unused sender was not closed");
  tx.close();
  assert.equal(link.kinds("close"), 2);
});

test("handle table: an unknown channel type or kind is a protocol error, and the ends made so far are closed", () => {
  const { link, router } = setup();
  const unknownType = { ...senderEntry(link), typeLo: 0x1234, typeHi: 0x5678 };
  const rxEntry = receiverEntry(link);
  assert.throws(
    () => importHandles(link, table([senderEntry(link), rxEntry, unknownType])),
    protocolError(/handle 2: unknown channel type/),
  );
  assert.equal(link.kinds("open"), 1);
  assert.equal(link.kinds("close"), 1, "the sender made for the frame was not closed");
  assert.equal(router.ports.has(rxEntry.port.id), false, "the receiver made for the frame is still registered");

  const bad = tableBytes([senderEntry(link)]);
  new DataView(bad.buffer).setUint16(0, 7, true);
  assert.throws(() => readHandleTable(bad, 1), protocolError(/handle 0: unknown kind 7/));
});

test("handle table: a receiver that is already here is a protocol error", () => {
  const { link } = setup();
  const entry = receiverEntry(link);
  const first = importHandles(link, table([entry]));
  first.receiver(0);
  first.finish();
  assert.throws(() => importHandles(link, table([entry])), protocolError(/a receiver arrived that is already here/));
});

/** A MESSAGE head for route `routeId` of the untyped channel. */
function header(routeId: number, seq: number): MessageHead {
  const { lo, hi } = AnyChannel.wireType;
  return { routeId, seq, typeLo: lo, typeHi: hi };
}

/** Encodes `value`, numbering its channel ends with `indexes` (in the order the codec meets them). */
function bodyWithIndexes(value: unknown, indexes: number[]): Uint8Array {
  const w = new ByteWriter(256);
  let next = 0;
  const at = () => indexes[next++]!;
  msgpackCodec.encode(value, w, { sender: at, receiver: at });
  return w.take();
}

function inRoute(link: RecordingLink): { route: InRoute<unknown>; rx: ReceiverCore<unknown> } {
  const rx = new ReceiverCore<unknown>(AnyChannel);
  const stream = new StreamIn<unknown>(globalKey(link.peer, 1), rx, 1);
  rx.addStream(stream);
  return { route: new InRoute(link, 9, stream, AnyChannel, 1), rx };
}

test("handle table: a body naming an index past the table, or one index twice, is a protocol error; the frame's ends are closed", () => {
  const { link, router } = setup();
  const [someTx] = localPair(router, AnyChannel, 1024);
  const { route, rx } = inRoute(link);

  const body = bodyWithIndexes({ a: someTx }, [3]);
  assert.throws(() => route.onMessage(header(9, 1), table([senderEntry(link)]), body), protocolError(/handle index 3 out of range/));
  assert.equal(link.kinds("close"), 1, "the frame's sender was not closed");

  const twice = bodyWithIndexes({ a: someTx, b: someTx }, [0, 0]);
  assert.throws(() => route.onMessage(header(9, 2), table([senderEntry(link)]), twice), protocolError(/handle index 0 used twice/));
  assert.equal(link.kinds("close"), 2);
  assert.equal(rx.queued, 0, "a message of a rejected frame was queued");
});

test("handle table: a good frame delivers its ends, and ends the body does not mention are closed", () => {
  const { link, router } = setup();
  const [someTx] = localPair(router, AnyChannel, 1024);
  const { route, rx } = inRoute(link);
  const body = bodyWithIndexes({ reply: someTx }, [1]);
  route.onMessage(header(9, 1), table([senderEntry(link), senderEntry(link)]), body);
  const got = new Receiver(rx).tryRecv() as { reply: Sender<unknown> };
  assert.ok(got.reply instanceof Sender);
  assert.equal(link.kinds("open"), 2);
  assert.equal(link.kinds("close"), 1, "only the unmentioned sender is closed");
});

/** An OPEN from the peer on `link` (through its wire encoding). */
function open(router: Router, link: RecordingLink, routeId: number, o: Parameters<typeof encodeOpen>[0]): void {
  router.accept(link, { kind: "open", route: routeId, type: AnyChannel.wireType, open: decodeOpen(encodeOpen(o)) });
}

test("OPEN from a peer: a hold it was not given, a parent route never opened, a stream no move promised, bad flags — protocol errors", () => {
  const { link, router } = setup();
  const port = globalKey(link.peer, 1);
  const stream = globalKey(link.peer, 2);
  assert.throws(
    () => open(router, link, 2, { stream, port, base: true, firstSeq: 1, parent: { hold: 77 } }),
    protocolError(/sender hold 77/),
  );
  assert.throws(
    () => open(router, link, 3, { stream, port, base: true, firstSeq: 1, parent: { route: 40 } }),
    protocolError(/route 40 as its parent, which was never opened/),
  );
  assert.throws(() => open(router, link, 4, { stream, port, base: true, firstSeq: 1 }), protocolError(/no move announced/));
  // PARENT without BASE, JOIN with BASE: the flags say what the route is, and these say nothing sane.
  const bad = encodeOpen({ stream, port, base: false, firstSeq: 1, join: 1 });
  assert.equal(decodeOpen(bad).join, 1, "a continuation with its join decodes");
  for (const flags of [1 | 8, 2, 4, 1 | 2 | 4]) {
    new DataView(bad.buffer).setUint32(20, flags, true);
    assert.throws(
      () => decodeOpen(bad),
      protocolError(/a clone's stream starts a stream and has one parent; a continuation has a join/),
      `flags ${flags}`,
    );
  }
});

test("a message carrying a receiver is delivered only once the streams its move promised have opened", () => {
  const { link } = setup();
  const { route, rx } = inRoute(link);
  const entry = receiverEntry(link, 1);
  const body = bodyWithIndexes({ inbox: new Receiver(new ReceiverCore(AnyChannel)) }, [0]);
  route.onMessage(header(9, 1), table([entry]), body);
  assert.equal(rx.queued, 0, "delivered while its receiver still waits for a stream");
  open(link.router, link, 10, { stream: globalKey(link.peer, 50), port: entry.port, base: true, firstSeq: 1 });
  assert.equal(rx.queued, 1, "not delivered once complete");
  const got = new Receiver(rx).tryRecv() as { inbox: Receiver<unknown> };
  assert.equal(receiverCore(got.inbox).streams.size, 1, "the promised stream feeds the delivered receiver");
});
