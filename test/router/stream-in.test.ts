// StreamIn: per-stream sequence order at the core level — early arrivals are
// held back, duplicates are protocol errors, the end waits for the last
// sequence number, a continuation waits for its base.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProtocolError, type EndReason } from "../../src/errors.js";
import { StreamIn, type Arrival, type StreamSink } from "../../src/routing/stream.js";
import { globalKey, newNodeId } from "../../src/routing/keys.js";

interface Probe {
  readonly stream: StreamIn<string>;
  readonly delivered: number[];
  readonly ended: EndReason[];
  readonly credit: number[];
  arrive(seq: number): void;
}

function probe(base: number | "none" = 1): Probe {
  const delivered: number[] = [];
  const ended: EndReason[] = [];
  const credit: number[] = [];
  const sink: StreamSink<string> = {
    deliver: (a) => delivered.push(a.seq),
    streamEnded: (_s, reason) => ended.push(reason),
  };
  const stream = new StreamIn<string>(globalKey(newNodeId(), 1), sink, base === "none" ? undefined : base);
  const via = { consumed: (bytes: number) => credit.push(bytes) };
  const arrive = (seq: number) => {
    const a: Arrival<string> = { value: `#${seq}`, size: 41, seq, via, stream, handles: undefined };
    stream.accept(a);
  };
  return { stream, delivered, ended, credit, arrive };
}

test("StreamIn: in order, each message at once", () => {
  const p = probe();
  for (let seq = 1; seq <= 5; seq++) {
    p.arrive(seq);
    assert.equal(p.delivered.length, seq);
  }
  assert.deepEqual(p.delivered, [1, 2, 3, 4, 5]);
  assert.equal(p.stream.delivered, 5);
});

test("StreamIn: early arrivals are held back until the gap is filled, then delivered in order", () => {
  const p = probe();
  p.arrive(3);
  p.arrive(5);
  p.arrive(2);
  assert.deepEqual(p.delivered, []);
  p.arrive(1);
  assert.deepEqual(p.delivered, [1, 2, 3]);
  p.arrive(4);
  assert.deepEqual(p.delivered, [1, 2, 3, 4, 5]);
});

test("StreamIn: a repeat of a delivered message is a protocol error", () => {
  const p = probe();
  p.arrive(1);
  p.arrive(2);
  assert.throws(
    () => p.arrive(2),
    (err) => err instanceof ProtocolError && /message 2 delivered twice/.test(err.message),
  );
  assert.throws(() => p.arrive(1), ProtocolError);
  assert.deepEqual(p.delivered, [1, 2]);
});

test("StreamIn: a repeat of a held-back message is a protocol error", () => {
  const p = probe();
  p.arrive(4);
  assert.throws(
    () => p.arrive(4),
    (err) => err instanceof ProtocolError && /message 4 arrived twice/.test(err.message),
  );
  assert.deepEqual(p.delivered, []);
});

test("StreamIn: a continuation without a base holds everything until setBase; a second base is a protocol error", () => {
  const p = probe("none");
  p.arrive(7);
  p.arrive(8);
  assert.deepEqual(p.delivered, []);
  p.stream.setBase(7);
  assert.deepEqual(p.delivered, [7, 8]);
  assert.throws(
    () => p.stream.setBase(1),
    (err) => err instanceof ProtocolError && /started twice/.test(err.message),
  );
});

test("StreamIn: finish() ends the stream only once everything up to the last sequence number is delivered", () => {
  const p = probe();
  p.arrive(1);
  p.arrive(3);
  p.stream.finish(3);
  assert.deepEqual(p.ended, [], "ended with message 2 outstanding");
  p.arrive(2);
  assert.deepEqual(p.delivered, [1, 2, 3]);
  assert.deepEqual(p.ended, ["closed"]);
  // Ended: later arrivals are ignored, the end is not reported twice.
  p.arrive(4);
  p.stream.finish(4);
  assert.deepEqual(p.delivered, [1, 2, 3]);
  assert.deepEqual(p.ended, ["closed"]);
});

test("StreamIn: finish() of an empty stream ends it at once; abort() ends it whatever is outstanding", () => {
  const empty = probe();
  empty.stream.finish(0);
  assert.deepEqual(empty.ended, ["closed"]);

  const p = probe();
  p.arrive(2);
  p.stream.finish(2, "connection-lost");
  assert.deepEqual(p.ended, []);
  p.stream.abort("connection-lost", undefined);
  assert.deepEqual(p.ended, ["connection-lost"]);
  p.arrive(1);
  assert.deepEqual(p.delivered, [], "a message delivered after the stream was aborted");
});

test("StreamIn: a continuation's end waits for its base too", () => {
  const p = probe("none");
  p.stream.finish(2);
  assert.deepEqual(p.ended, []);
  p.arrive(2);
  p.stream.setBase(2);
  assert.deepEqual(p.delivered, [2]);
  assert.deepEqual(p.ended, ["closed"]);
});

test("StreamIn: early arrivals past the old 65,536-message cap are held, then delivered in order", () => {
  // No count bounds them: each stays charged to its route's window until consumed
  // (InRoute refuses a peer past two windows), and a paused proxy must only delay.
  const p = probe();
  const count = (1 << 16) + 10;
  for (let seq = 2; seq <= count; seq++) p.arrive(seq);
  assert.deepEqual(p.delivered, []);
  assert.deepEqual(p.credit, [], "held-back messages returned credit before they were consumed");
  p.arrive(1);
  assert.equal(p.delivered.length, count);
  assert.ok(
    p.delivered.every((seq, i) => seq === i + 1),
    "not delivered in order",
  );
});
