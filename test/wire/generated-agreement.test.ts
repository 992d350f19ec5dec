// The runtime writes frame headers, handshakes and routing bodies with its own
// offsets (no import of generated code on the hot path); these tests read
// what it writes through the views generated from wire.proto — the same
// layouts as wire.h — so the two cannot drift apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  FrameHeaderView,
  HandleEntryView,
  HelloView,
  NodeAddressView,
  OpenView,
  WelcomeView,
} from "../../generated/protochan/v1/wire_packet.js";
import { FrameKind, HandleKind as PbHandleKind } from "../../generated/protochan/v1/wire_pb.js";
import { HEADER_SIZE, HANDLE_ENTRY_SIZE, Kind, MAGIC, PROTOCOL_VERSION, writeHeader, splitTypeId } from "../../src/wire/header.js";
import { encodeHello, encodeWelcome, HELLO_SIZE, WELCOME_SIZE } from "../../src/bootstrap/handshake.js";
import { encodeNodeAddress, encodeOpen, NODE_ADDRESS_SIZE, OPEN_SIZE, writeHandleEntry } from "../../src/connection/routing-frames.js";
import { HandleKind } from "../../src/routing/events.js";
import { globalKey } from "../../src/routing/keys.js";

const node = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const other = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 - i);

test("sizes match the generated layouts", () => {
  assert.equal(FrameHeaderView.layout.size, HEADER_SIZE);
  assert.equal(HelloView.layout.size, HELLO_SIZE);
  assert.equal(WelcomeView.layout.size, WELCOME_SIZE);
  assert.equal(HandleEntryView.layout.size, HANDLE_ENTRY_SIZE);
  assert.equal(OpenView.layout.size, OPEN_SIZE);
  assert.equal(NodeAddressView.layout.size, NODE_ADDRESS_SIZE);
});

test("frame header", () => {
  const bytes = new Uint8Array(HEADER_SIZE);
  const type = 0x0123456789abcdefn;
  writeHeader(new DataView(bytes.buffer), 0, Kind.Credit, 7, 99, 2 ** 40 + 5, splitTypeId(type), 3, 1);
  const h = FrameHeaderView.wrap(bytes);
  assert.deepEqual(
    [h.magic, h.version, h.headerSize, h.kind, h.flags, h.bodyLength, h.routeId, h.handleCount, h.seq, h.typeId],
    [MAGIC, PROTOCOL_VERSION, HEADER_SIZE, FrameKind.CREDIT, 1, 99, 7, 3, 2n ** 40n + 5n, type],
  );
  for (const [name, value] of Object.entries(Kind)) assert.equal(FrameKind[value], name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase());
});

test("hello and welcome", () => {
  const token = Uint8Array.from({ length: 32 }, (_, i) => i * 3);
  const hello = HelloView.wrap(encodeHello({ type: splitTypeId(0xfeedn), token, node, window: 1 << 20, maxFrameSize: 4096 }));
  assert.deepEqual(
    [hello.version, hello.bootstrapTypeId, [...hello.token], [...hello.nodeId], hello.window, hello.maxFrameSize],
    [PROTOCOL_VERSION, 0xfeedn, [...token], [...node], 1 << 20, 4096],
  );
  const welcome = WelcomeView.wrap(
    encodeWelcome({
      version: 1,
      maxFrameSize: 8192,
      initialWindow: 65536,
      bootstrapRoute: 1,
      node,
      bootstrapPort: 42,
    }),
  );
  assert.deepEqual(
    [welcome.version, welcome.maxFrameSize, welcome.initialWindow, welcome.bootstrapRoute, [...welcome.nodeId], welcome.bootstrapPort],
    [1, 8192, 65536, 1, [...node], 42],
  );
});

test("handle entry, open, node address", () => {
  const entryBytes = new Uint8Array(HANDLE_ENTRY_SIZE);
  writeHandleEntry(new DataView(entryBytes.buffer), 0, {
    kind: HandleKind.Receiver,
    port: globalKey(node, 9),
    typeLo: 0x89abcdef,
    typeHi: 0x01234567,
    streamCount: 3,
    hold: 0,
  });
  const e = HandleEntryView.wrap(entryBytes);
  assert.deepEqual(
    [e.kind, e.portSerial, e.typeId, [...e.portNode], e.streamCount],
    [PbHandleKind.RECEIVER, 9, 0x0123456789abcdefn, [...node], 3],
  );
  writeHandleEntry(new DataView(entryBytes.buffer), 0, {
    kind: HandleKind.Sender,
    port: globalKey(node, 9),
    typeLo: 0x89abcdef,
    typeHi: 0x01234567,
    streamCount: 0,
    hold: 0xfeed,
  });
  assert.equal(HandleEntryView.wrap(entryBytes).holdSerial, 0xfeed);
  const o = OpenView.wrap(encodeOpen({ stream: globalKey(node, 5), base: true, firstSeq: 77, port: globalKey(other, 6) }));
  assert.deepEqual(
    [[...o.streamNode], o.streamSerial, o.flags, o.firstSeq, [...o.portNode], o.portSerial],
    [[...node], 5, 1, 77n, [...other], 6],
  );
  const child = OpenView.wrap(
    encodeOpen({ stream: globalKey(node, 5), base: true, firstSeq: 1, port: globalKey(other, 6), parent: { hold: 8 } }),
  );
  assert.deepEqual([child.flags, child.ref], [3, 8]);
  const next = OpenView.wrap(
    encodeOpen({ stream: globalKey(node, 5), base: true, firstSeq: 1, port: globalKey(other, 6), parent: { route: 9 } }),
  );
  assert.deepEqual([next.flags, next.ref], [5, 9]);
  const a = NodeAddressView.wrap(encodeNodeAddress({ node, name: "unix:/tmp/x/s#ab" }));
  assert.deepEqual([[...a.nodeId], a.name], [[...node], "unix:/tmp/x/s#ab"]);
});
