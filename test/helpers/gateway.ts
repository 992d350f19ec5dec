// A gateway child (test/children/connect-gateway.ts) for a test, and grpc-js
// clients of it; both closed after the test.
import type { TestContext } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import { Child } from "./child.js";
import { grpcClientOf, grpcTarget } from "./grpc-calculator.js";

const GrpcCalculator = grpcClientOf(CalculatorService);

export interface Gateway {
  readonly child: Child;
  readonly address: string;
  readonly url: string;
  readonly pids: readonly number[];
  /** Closes its stdin: it must close the server (twice) and the pool, and exit cleanly. Idempotent. */
  stop(): Promise<void>;
}

/** Starts connect-gateway.ts; it is stopped after the test. */
export async function gateway(t: TestContext, env: Record<string, string>): Promise<Gateway> {
  const child = new Child("connect-gateway.ts", env);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      child.proc.stdin!.end();
      try {
        await child.next("closed");
        await child.succeeded();
      } finally {
        child.kill();
      }
    })());
  t.after(stop);
  const listening = await child.next("listening");
  return { child, address: listening.address as string, url: listening.url as string, pids: listening.pids as number[], stop };
}

export function grpcClient(t: TestContext, address: string, credentials = grpc.credentials.createInsecure()): grpc.Client {
  const client = new GrpcCalculator(grpcTarget(address), credentials);
  t.after(() => client.close());
  return client;
}
