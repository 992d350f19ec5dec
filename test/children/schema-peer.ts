// Child: a peer built from another version of the negot.v1 test schema (the
// code generated into GEN by test/schema/negotiation.test.ts). MODE "ping"
// connects with a Ping channel and sends one Ping; MODE "handle" connects
// with a Start channel and sends a Sender<Pong> in it, then waits for the
// connection's end; MODE "packet" connects with the Vec packet channel and
// sends one zeroed Vec. It reports what it saw: differences, errors (code, message, cause).
import { pathToFileURL } from "node:url";
import { create, type DescMessage } from "@bufbuild/protobuf";
import { join } from "node:path";
import { channel, connect, type ChannelType, type SchemaDifference, type Sender } from "protochan";
import { report } from "../helpers/child.js";

interface Negot {
  readonly PingChannel: ChannelType<{ seq: unknown }>;
  readonly StartChannel: ChannelType<{ pongs?: Sender<unknown> }>;
  readonly PongChannel: ChannelType<unknown>;
}

interface NegotPackets {
  readonly VecPacketChannel: ChannelType<unknown>;
  readonly VecView: { create(): unknown };
}

const gen = (await import(pathToFileURL(join(process.env.GEN!, "negot/v1/negot_chan.ts")).href)) as Negot;
const pb = (await import(pathToFileURL(join(process.env.GEN!, "negot/v1/negot_pb.ts")).href)) as Record<
  "PingSchema" | "StartSchema",
  DescMessage
>;
const name = process.env.NAME!;
const onSchemaDifference = (d: SchemaDifference) => report("difference", { typeName: d.typeName, changes: d.changes.map((c) => c.text) });

function failure(err: unknown): Record<string, unknown> {
  const e = err as Error & { code?: string; cause?: Error & { code?: string } };
  return { code: e.code, message: e.message, causeCode: e.cause?.code };
}

try {
  if (process.env.MODE === "packet") {
    const packets = (await import(pathToFileURL(join(process.env.GEN!, "negot/v1/negot_packet.ts")).href)) as NegotPackets;
    const tx = await connect(packets.VecPacketChannel, name, { onSchemaDifference, timeoutMs: 10_000 });
    tx.send(packets.VecView.create());
    await tx.flush({ timeoutMs: 10_000 });
    tx.close();
  } else if (process.env.MODE === "ping") {
    const tx = await connect(gen.PingChannel, name, { onSchemaDifference, timeoutMs: 10_000 });
    // Each version's seq: a bigint (uint64) or a string.
    tx.send(create(pb.PingSchema, { seq: process.env.SEQ === "string" ? "7" : 7n }) as never);
    await tx.flush({ timeoutMs: 10_000 });
    tx.close();
    report("sent");
  } else {
    const tx = await connect(gen.StartChannel, name, { onSchemaDifference, timeoutMs: 10_000 });
    const [pongTx, pongRx] = channel(gen.PongChannel);
    tx.send({ ...create(pb.StartSchema), pongs: pongTx } as never);
    report("sent");
    // The connection the sender went over is refused: the bootstrap channel's receiver is gone with it.
    report("failed", failure(await tx.receiverGone));
    pongRx.close();
    tx.close();
  }
} catch (err) {
  report("failed", failure(err));
}
