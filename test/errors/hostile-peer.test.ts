// Issue item 5: a raw peer in another process breaks the protocol in every way
// test/children/raw-peer.ts knows. Whatever this side observes — the server's
// "rejected" event or the error accept() fails with, and the causes inside —
// is a ProtochanError with a code in ErrorCode; the process lives on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { AnyChannel, CallChannel, ERROR_CODES, OneShotServer, ProtochanError, type ChannelSpec } from "protochan";
import { PingChannel } from "../../generated/example/v1/example_chan.js";
import { ExchangeChannel } from "../../generated/example/v1/requests_chan.js";
import { Child } from "../helpers/child.js";

const T = { timeout: 60_000 };
const codes: readonly string[] = ERROR_CODES;

const cases: [mode: string, spec: ChannelSpec<unknown>, channel?: string][] = [
  ["garbage", PingChannel as ChannelSpec<unknown>],
  ["garbage-after-hello", PingChannel as ChannelSpec<unknown>],
  ["oversized-after-hello", PingChannel as ChannelSpec<unknown>],
  ["unknown-kind", PingChannel as ChannelSpec<unknown>],
  ["unknown-route", PingChannel as ChannelSpec<unknown>],
  ["wrong-type", PingChannel as ChannelSpec<unknown>],
  ["out-of-sequence", PingChannel as ChannelSpec<unknown>],
  ["bad-protobuf", PingChannel as ChannelSpec<unknown>],
  ["truncated", PingChannel as ChannelSpec<unknown>],
  ["handle-out-of-range", AnyChannel],
  ["handle-used-twice", AnyChannel],
  ["handle-bad-kind", AnyChannel],
  ["msgpack-garbage", AnyChannel, "protochan.any"],
  ["oneof-out-of-range", ExchangeChannel as ChannelSpec<unknown>],
  ["oneof-wrong-type", ExchangeChannel as ChannelSpec<unknown>],
  ["oneof-wrong-kind", ExchangeChannel as ChannelSpec<unknown>],
  ["bad-call", CallChannel as ChannelSpec<unknown>, "protochan.rpc.Call"],
];

/**
 * `err` and its causes down to the first that is not ours (an original error
 * from a library, kept as the cause of ours), split in the two.
 */
function causes(err: unknown): { ours: unknown[]; original: unknown } {
  const ours: unknown[] = [];
  let e = err;
  for (; e instanceof ProtochanError && ours.length < 8; e = e.cause) ours.push(e);
  return { ours, original: e };
}

for (const [mode, spec, channel] of cases) {
  test(`raw peer, ${mode}: what this side sees is a ProtochanError with a code in ErrorCode`, T, async () => {
    const { server, name } = await OneShotServer.create(spec);
    const peer = new Child("raw-peer.ts", { PROTOCHAN_NAME: name, MODE: mode, ...(channel === undefined ? {} : { CHANNEL: channel }) });
    // A refused handshake is a "rejected" event (accept() goes on waiting); a later violation fails accept().
    const seen = await new Promise<unknown>((resolve) => {
      server.once("rejected", resolve);
      server.accept({ timeoutMs: 20_000 }).then((got) => resolve(new Error(`accepted ${inspect(got.first)}`)), resolve);
    });
    const { ours, original } = causes(seen);
    assert.ok(ours.length > 0, `not a ProtochanError: ${inspect(seen)}`);
    for (const e of ours as ProtochanError[]) assert.ok(codes.includes(e.code), `${e.code} is not in ErrorCode`);
    assert.ok(original === undefined || original instanceof Error, inspect(seen));
    // The innermost of ours names the violation (not merely "disconnected").
    const inner = ours.at(-1) as ProtochanError;
    assert.ok(["PROTOCOL_ERROR", "FRAME_TOO_LARGE", "CONNECTION_LOST", "DECODE_ERROR"].includes(inner.code), inspect(seen));
    const { reason } = await peer.next("closed");
    if (mode !== "truncated") assert.ok(String(reason).length > 0, "the peer was told why in an ERROR frame");
    await peer.succeeded();
    await server.close();
  });
}
