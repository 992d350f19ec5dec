// Child: strangers at a server's door, on raw sockets. MODE says what:
//   huge         a HELLO header announcing a 64 MiB body, then a trickle of
//                bytes; reports the refusal it was sent
//   flood        COUNT silent sockets held open (reopened when dropped)
//   mute-server  listens, accepts, never answers; reports its name
import { createConnection, createServer, type Socket } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatName, newToken, parseName } from "../../src/transport/name.js";
import { HEADER_SIZE, Kind, NO_TYPE, writeHeader } from "../../src/wire/header.js";
import { report } from "../helpers/child.js";

const mode = process.env.MODE!;
const pathOf = () => parseName(process.env.PROTOCHAN_NAME!).address.slice("unix:".length);

switch (mode) {
  case "huge": {
    const header = new Uint8Array(HEADER_SIZE);
    writeHeader(new DataView(header.buffer), 0, Kind.Hello, 0, 64 * 1024 * 1024 - HEADER_SIZE, 0, NO_TYPE);
    const socket = createConnection({ path: pathOf() });
    let written = 0;
    let answer = Buffer.alloc(0);
    socket.on("connect", () => {
      socket.write(header);
      written += header.length;
      const trickle = setInterval(() => {
        if (socket.destroyed || socket.writableEnded) return clearInterval(trickle);
        socket.write(Buffer.alloc(1024, 0x55));
        written += 1024;
      }, 20);
      socket.on("close", () => clearInterval(trickle));
    });
    socket.on("data", (d: Buffer) => (answer = Buffer.concat([answer, d])));
    socket.on("error", () => {});
    socket.on("close", () => {
      report("refused", { written, answer: answer.subarray(HEADER_SIZE).toString() });
      process.exit(0);
    });
    break;
  }
  case "flood": {
    const count = Number(process.env.COUNT);
    let connected = 0;
    let reported = false;
    const open = (): void => {
      const socket: Socket = createConnection({ path: pathOf() });
      socket.on("connect", () => {
        if (++connected === count && !reported) {
          reported = true;
          report("holding", { count });
        }
      });
      socket.on("error", () => {});
      // Dropped by the server: come back, to keep `count` open.
      socket.on("close", () => setImmediate(open));
    };
    for (let i = 0; i < count; i++) open();
    setInterval(() => {}, 1000);
    break;
  }
  case "mute-server": {
    const path = join(mkdtempSync(join(tmpdir(), "mute-")), "s");
    const held: Socket[] = [];
    createServer((socket) => held.push(socket)).listen(path, () => report("listening", { name: formatName(`unix:${path}`, newToken()) }));
    break;
  }
  default:
    throw new Error(`unknown MODE ${mode}`);
}
