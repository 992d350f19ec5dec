// Receives Readings from the C sensor driver (c/sensor.c) as zero-copy views
// of the very struct the C program filled.
import { spawn } from "node:child_process";
import { DisconnectedError, OneShotServer } from "protochan";
import { ReadingPacketChannel } from "./gen/shop/v1/shop_packet.js";

const [exe, countText] = process.argv.slice(2);
if (exe === undefined || countText === undefined) throw new Error("usage: sensor-host <sensor executable> <count>");
const count = Number(countText);
const { server, name } = await OneShotServer.create(ReadingPacketChannel);
const sensor = spawn(exe, [name, countText], { stdio: ["ignore", "inherit", "inherit"] });
const exited = new Promise<number | null>((resolve) => sensor.on("exit", resolve));

const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
let reading = first;
let received = 0;
for (;;) {
  const i = received++;
  const unit = i % 2 === 0 ? "celsius" : "kPa";
  if (reading.sensor !== i % 4 || reading.value !== i * 0.5 || reading.unit !== unit) {
    throw new Error(`reading ${i}: ${JSON.stringify(reading.toObject())}`);
  }
  try {
    reading = await receiver.recv({ timeoutMs: 10_000 });
  } catch (err) {
    if (err instanceof DisconnectedError) break;
    throw err;
  }
}
const code = await exited;
console.log(`host: ${received} of ${count} readings, all as sent; sensor exited with ${code}`);
process.exitCode = received === count && code === 0 ? 0 : 1;
