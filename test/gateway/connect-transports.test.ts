// ConnectServer over TLS (h2 with ALPN), mutual TLS and a Unix socket, with
// grpc-js and Connect clients on the other side of a process boundary; and
// what it refuses, in this process.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import {
  AbortedError,
  AddressError,
  InsecureTransportError,
  InvalidArgumentError,
  QueueFullError,
  RPC_CODES,
  RpcError,
  TimeoutError,
  WorkerCrashedError,
} from "protochan";
import { ConnectServer, connectCodeOf, fromConnectError, rpcCodeOfConnect, toConnectError } from "protochan/connect";
import { CalculatorService, type AddResponse } from "../../generated/example/v1/calculator_pb.js";
import { TestCa } from "../helpers/certs.js";
import { gateway, grpcClient } from "../helpers/gateway.js";
import { connectClients, unary } from "../helpers/grpc-calculator.js";

const T = { timeout: 60_000 };
const add = CalculatorService.methods.find((m) => m.name === "Add")!;

function testCa(t: TestContext, label?: string): TestCa {
  const ca = new TestCa(label);
  t.after(() => ca.remove());
  return ca;
}

test("over TLS: grpc-js and Connect clients that trust the CA are served; one with another CA is refused", T, async (t) => {
  const ca = testCa(t);
  const cert = ca.issue("gateway", ["127.0.0.1"]);
  const gw = await gateway(t, { MODE: "impl", CERT: cert.cert, KEY: cert.key });
  assert.match(gw.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const trusted = grpcClient(t, gw.address, grpc.credentials.createSsl(readFileSync(ca.ca)));
  assert.equal((await unary<AddResponse>(trusted, add, { a: 1n, b: 2n })).sum, 3n);
  for (const client of Object.values(connectClients(gw.url, { ca: readFileSync(ca.ca) }))) {
    assert.equal((await client.add({ a: 3n, b: 4n })).sum, 7n);
  }

  const other = testCa(t, "other");
  const stranger = grpcClient(t, gw.address, grpc.credentials.createSsl(readFileSync(other.ca)));
  await assert.rejects(unary(stranger, add, { a: 1n, b: 1n }, { deadline: Date.now() + 10_000 }), (e: grpc.ServiceError) => {
    assert.equal(e.code, grpc.status.UNAVAILABLE, e.message);
    return true;
  });
  // The client hangs up on the certificate it does not trust: the server reports the failed handshake.
  const rejected = await gw.child.next("rejected");
  assert.ok(["TLS_FAILED", "PROTOCOL_ERROR"].includes(rejected.code as string), String(rejected.code));
  assert.match(String(rejected.message), /^TLS handshake failed/);
});

test("with mutual TLS, a client without a certificate is refused and one with a certificate is served", T, async (t) => {
  const ca = testCa(t);
  const cert = ca.issue("gateway", ["127.0.0.1"]);
  const clientCert = ca.issue("client", ["127.0.0.1"]);
  const gw = await gateway(t, { MODE: "impl", CERT: cert.cert, KEY: cert.key, CA: ca.ca, MTLS: "1" });
  const anonymous = grpcClient(t, gw.address, grpc.credentials.createSsl(readFileSync(ca.ca)));
  await assert.rejects(unary(anonymous, add, { a: 1n, b: 1n }, { deadline: Date.now() + 10_000 }), (e: grpc.ServiceError) => {
    assert.equal(e.code, grpc.status.UNAVAILABLE, e.message);
    return true;
  });
  const known = grpcClient(
    t,
    gw.address,
    grpc.credentials.createSsl(readFileSync(ca.ca), readFileSync(clientCert.key), readFileSync(clientCert.cert)),
  );
  assert.equal((await unary<AddResponse>(known, add, { a: 20n, b: 22n })).sum, 42n);
});

test("over a Unix socket: grpc-js and Connect clients are served; close() removes the socket file", T, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gateway-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "calculator.sock");
  const gw = await gateway(t, { MODE: "workers", ADDRESS: `unix:${path}` });
  assert.equal(gw.address, `unix:${path}`);
  const client = grpcClient(t, gw.address);
  assert.equal((await unary<AddResponse>(client, add, { a: 5n, b: 5n })).sum, 10n);
  for (const c of Object.values(connectClients(gw.url, { socketPath: path }))) {
    const r = await c.add({ a: 1n, b: 1n });
    assert.ok(gw.pids.includes(r.workerPid));
  }
  client.close();
  await gw.stop();
  assert.equal(existsSync(path), false);
});

test("RpcCode ↔ Connect Code: all sixteen, both ways; protochan's failures get gRPC's codes", () => {
  for (const code of RPC_CODES) assert.equal(rpcCodeOfConnect(connectCodeOf(code)), code);
  assert.deepEqual(
    RPC_CODES.map((c) => connectCodeOf(c)),
    Array.from({ length: 16 }, (_, i) => i + 1),
  );
  const detail = { typeName: "example.v1.WorkFailure", value: new Uint8Array([10, 1, 120]) };
  const out = toConnectError(new RpcError("out_of_range", "too far", [detail]));
  assert.equal(out.code, Code.OutOfRange);
  assert.equal(out.rawMessage, "too far");
  assert.deepEqual(out.details, [{ type: detail.typeName, value: detail.value }]);
  const back = fromConnectError(out);
  assert.deepEqual([back.rpcCode, back.message, back.rawDetails], ["out_of_range", "too far", [detail]]);
  assert.equal(toConnectError(new TimeoutError("t")).code, Code.DeadlineExceeded);
  assert.equal(toConnectError(new AbortedError("a")).code, Code.Canceled);
  assert.equal(toConnectError(new QueueFullError("q")).code, Code.ResourceExhausted);
  assert.equal(toConnectError(new WorkerCrashedError("w")).code, Code.Unavailable);
  assert.equal(toConnectError(new Error("boom")).code, Code.Internal);
  const connect = new ConnectError("as is", Code.Aborted);
  assert.equal(toConnectError(connect), connect);
  assert.equal(fromConnectError(new Error("plain")).rpcCode, "unknown");
});

test("listen refuses plain TCP off loopback without allowInsecure, a bad address, and TLS without a certificate", async () => {
  await assert.rejects(ConnectServer.listen(CalculatorService, {}, { address: "tcp:10.1.2.3:0" }), InsecureTransportError);
  await assert.rejects(ConnectServer.listen(CalculatorService, {}, { address: "pipe:x" }), AddressError);
  await assert.rejects(ConnectServer.listen(CalculatorService, {}, { tls: { ca: [] } }), InvalidArgumentError);
});

test("close() is idempotent and [Symbol.asyncDispose] closes; a method without a handler is unimplemented", T, async () => {
  let address: string;
  {
    await using server = await ConnectServer.listen(CalculatorService, { add: (r) => ({ sum: r.a + r.b }) });
    address = server.url;
    const { grpc: client } = connectClients(server.url);
    assert.equal((await client.add({ a: 1n, b: 1n })).sum, 2n);
    await assert.rejects(client.work({}), (e: unknown) => e instanceof ConnectError && e.code === Code.Unimplemented);
    const closing = server.close();
    assert.equal(server.close(), closing);
    await closing;
  }
  const { connect: late } = connectClients(address);
  await assert.rejects(late.add({ a: 1n, b: 1n }), (e: unknown) => e instanceof ConnectError && e.code === Code.Unavailable);
});

test("ctx.signal aborts with TimeoutError at a grpc-timeout, with AbortedError on RST_STREAM (CANCEL)", T, async (t) => {
  const reasons: unknown[] = [];
  let heard: (() => void) | undefined;
  const started: (() => void)[] = [];
  await using server = await ConnectServer.listen(CalculatorService, {
    work: (_req, ctx) =>
      new Promise((_, reject) => {
        started.shift()?.();
        ctx.signal.addEventListener("abort", () => {
          reasons.push(ctx.signal.reason);
          heard?.();
          reject(ctx.signal.reason);
        });
      }),
  });
  // A bare HTTP/2 client: it neither cancels at the deadline nor hides the server's reason.
  const session = http2.connect(server.url);
  t.after(() => session.close());
  const call = (headers: http2.OutgoingHttpHeaders) => {
    const stream = session.request({
      ":method": "POST",
      ":path": "/example.v1.CalculatorService/Work",
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    stream.end(new Uint8Array(5)); // one empty message: not compressed, length 0
    stream.on("error", () => {});
    stream.resume();
    return stream;
  };
  const abortHeard = () => new Promise<void>((resolve) => (heard = resolve));

  let aborted = abortHeard();
  call({ "grpc-timeout": "200m" });
  await aborted;
  assert.ok(reasons[0] instanceof TimeoutError, String(reasons[0]));

  const running = new Promise<void>((resolve) => started.push(resolve));
  aborted = abortHeard();
  const stream = call({});
  await running;
  stream.close(http2.constants.NGHTTP2_CANCEL);
  await aborted;
  assert.ok(reasons[1] instanceof AbortedError, String(reasons[1]));
});
