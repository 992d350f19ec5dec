// Packets the packet-stream tests send and check: every field is a function
// of the packet's index, so a consumer can verify order and contents alone.
import type { SampleView } from "../../generated/example/v1/packets_packet.js";
import { PacketView } from "../../generated/protochan/v1/packet_packet.js";
import { instruction } from "../helpers/child.js";

/** Fills a Sample with the fields of packet i. */
export function fillSample(s: SampleView, i: number): void {
  s.id = BigInt(i);
  s.timestampNs = BigInt(i) * 1000n + 7n;
  s.channel = i & 0xffff;
  s.temperature = i * 0.5;
  s.delta = -i;
}

/** Why packet s is not packet i, or undefined if it is. */
export function checkSample(s: SampleView, i: number): string | undefined {
  if (s.id !== BigInt(i)) return `id ${s.id}, expected ${i}`;
  if (s.timestampNs !== BigInt(i) * 1000n + 7n) return `packet ${i}: timestamp_ns ${s.timestampNs}`;
  if (s.channel !== (i & 0xffff)) return `packet ${i}: channel ${s.channel}`;
  if (s.temperature !== i * 0.5) return `packet ${i}: temperature ${s.temperature}`;
  if (s.delta !== -i) return `packet ${i}: delta ${s.delta}`;
  return undefined;
}

/** Payload length of default packet i (0..1500, so records vary in size). */
export function payloadLength(i: number): number {
  return (i * 37) % 1501;
}

/**
 * Default protochan.v1.Packet i, as a view over just its used bytes (20 +
 * payload): a stream sends only that part, and allocating the full 65,560-byte
 * struct per packet would dominate a test.
 */
export function makePacket(i: number, length = payloadLength(i)): PacketView {
  const p = new PacketView(new Uint8Array(20 + length));
  p.timestampNs = BigInt(i);
  p.originalLength = length + 4;
  p.linkType = 101;
  p.view.setUint32(16, length, true);
  p.bytes.fill(i & 0xff, 20);
  return p;
}

/** Why p is not default packet i, or undefined if it is. */
export function checkPacket(p: PacketView, i: number, length = payloadLength(i)): string | undefined {
  if (p.timestampNs !== BigInt(i)) return `timestamp_ns ${p.timestampNs}, expected ${i}`;
  if (p.originalLength !== length + 4 || p.linkType !== 101) return `packet ${i}: metadata`;
  const payload = p.payload;
  if (payload.length !== length) return `packet ${i}: payload of ${payload.length} bytes, expected ${length}`;
  for (let k = 0; k < payload.length; k += 97) if (payload[k] !== (i & 0xff)) return `packet ${i}: payload byte ${k}`;
  if (length > 0 && payload[length - 1] !== (i & 0xff)) return `packet ${i}: last payload byte`;
  return undefined;
}

/**
 * Heap + ArrayBuffer memory still reachable after full GCs (needs
 * --expose-gc). V8 frees ArrayBuffer memory on a background sweeper, so a
 * turn of the event loop and a second GC come before reading the numbers.
 */
export async function retainedBytes(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with NODE_OPTIONS=--expose-gc");
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** For child programs: the last instruction from the parent; stdin is then released so the process can exit. */
export async function lastInstruction(): Promise<string> {
  const line = await instruction();
  process.stdin.destroy();
  return line;
}
