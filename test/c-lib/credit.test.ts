// Flow control with the C library as the sender: a TypeScript receiver that
// consumes nothing until the C sender reports it must wait for credit. Each
// time, the C side's outstanding bytes are at least the window (it did wait)
// and below the window plus one message (it never went past it), and the
// window reopens only as TypeScript consumes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BytesChannel, OneShotServer } from "protochan";
import { CPeer } from "../c-peer/c-peer.js";
import { buildLibPeer, bytesMessage } from "./messages.js";

const WINDOW = 8192;
const COUNT = 2000; // ~460 KB: about 56 windows
const LARGEST = 299 + 40; // the largest message's charge: (i * 7) % 300 bytes + a header

test("a C sender to a slow TypeScript reader stays within the window, waiting for CREDIT", { timeout: 60_000 }, async () => {
  const { server, name } = await OneShotServer.create(BytesChannel, { window: WINDOW });
  const peer = new CPeer(["send", name, "bytes", String(COUNT)], {}, buildLibPeer());
  try {
    const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
    assert.deepEqual(first, bytesMessage(0));
    let received = 1;
    let waits = 0;
    for (;;) {
      const { word, rest } = await peer.nextOf(["waiting", "sent"]);
      if (word === "sent") break;
      const [sent, outstanding, window] = rest.split(" ").map(Number) as [number, number, number];
      waits++;
      assert.equal(window, WINDOW);
      assert.ok(outstanding >= WINDOW, `waiting with only ${outstanding} bytes outstanding`);
      assert.ok(outstanding < WINDOW + LARGEST, `${outstanding} bytes outstanding passes the window of ${WINDOW}`);
      // Now consume everything sent so far: that returns the credit C waits for.
      for (; received < sent; received++) assert.deepEqual(await receiver.recv({ timeoutMs: 10_000 }), bytesMessage(received));
    }
    for await (const got of receiver) assert.deepEqual(got, bytesMessage(received++));
    assert.equal(received, COUNT);
    assert.ok(waits >= 40, `the C sender waited for credit only ${waits} times`);
    await peer.succeeded();
  } finally {
    peer.kill();
    await server.close();
  }
});
