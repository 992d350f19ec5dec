// Clients of the example Calculator service that hold no protochan code: a
// plain @grpc/grpc-js client (its serializers made from the protoc-gen-es
// descriptors with @bufbuild/protobuf), and Connect clients over the gRPC and
// Connect protocols. What a team calling the gateway from elsewhere would use.
import { connect as netConnect } from "node:net";
import { create, fromBinary, toBinary, type DescMethod, type DescService, type Message } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import * as grpc from "@grpc/grpc-js";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";

/** A grpc-js service definition of `service` (for clients and servers), from its descriptor. */
export function grpcDefinitionOf(service: DescService): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<Message, Message>> = {};
  for (const method of service.methods) {
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: (m) => Buffer.from(toBinary(method.input, create(method.input, m))),
      requestDeserialize: (b) => fromBinary(method.input, b),
      responseSerialize: (m) => Buffer.from(toBinary(method.output, create(method.output, m))),
      responseDeserialize: (b) => fromBinary(method.output, b),
      originalName: method.localName,
    };
  }
  return definition;
}

/** A grpc-js client constructor for `service`. */
export function grpcClientOf(service: DescService): grpc.ServiceClientConstructor {
  return grpc.makeGenericClientConstructor(grpcDefinitionOf(service), service.name);
}

/** The grpc-js target of a ConnectServer address ("tcp:h:p" → "h:p", "unix:/p" → "unix:/p"). */
export function grpcTarget(address: string): string {
  return address.startsWith("tcp:") ? address.slice("tcp:".length) : address;
}

/** One unary call with grpc-js, as a promise (rejects with its ServiceError). */
export function unary<Res>(client: grpc.Client, method: DescMethod, request: object, options: grpc.CallOptions = {}): Promise<Res> {
  const fn = (client as unknown as Record<string, grpc.requestCallback<Res> & ((...a: unknown[]) => grpc.ClientUnaryCall)>)[
    method.localName
  ]!;
  return new Promise((resolve, reject) => {
    fn.call(client, request, new grpc.Metadata(), options, (err: grpc.ServiceError | null, res?: Res) =>
      err === null ? resolve(res!) : reject(err),
    );
  });
}

/** Connect clients (gRPC and Connect protocols) of the Calculator at `url`; `socketPath` for a Unix socket. */
export function connectClients(
  url: string,
  options: { ca?: string | Buffer; socketPath?: string } = {},
): { grpc: Client<typeof CalculatorService>; connect: Client<typeof CalculatorService> } {
  const nodeOptions = {
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.socketPath === undefined ? {} : { createConnection: () => netConnect(options.socketPath!) }),
  };
  return {
    grpc: createClient(CalculatorService, createGrpcTransport({ baseUrl: url, nodeOptions })),
    connect: createClient(CalculatorService, createConnectTransport({ baseUrl: url, httpVersion: "2", nodeOptions })),
  };
}

/** The details (google.protobuf.Any) of a google.rpc.Status, as grpc-js hands over "grpc-status-details-bin". */
export function statusDetails(bytes: Uint8Array): { typeUrl: string; value: Uint8Array }[] {
  const details: { typeUrl: string; value: Uint8Array }[] = [];
  const status = new BinaryReader(bytes);
  while (status.pos < status.len) {
    const [field, wireType] = status.tag();
    if (field !== 3) {
      status.skip(wireType);
      continue;
    }
    const any = new BinaryReader(status.bytes());
    const detail = { typeUrl: "", value: new Uint8Array(0) };
    while (any.pos < any.len) {
      const [f, w] = any.tag();
      if (f === 1) detail.typeUrl = any.string();
      else if (f === 2) detail.value = new Uint8Array(any.bytes());
      else any.skip(w);
    }
    details.push(detail);
  }
  return details;
}
