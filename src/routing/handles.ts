// Handle tables: how channel ends travel inside messages.
//  - exportHandles: while a message is written to a link, each sender gets a
//    new stream back to its receiver (senders are cloned), each receiver moves
//    (its streams follow it with OPEN frames written after the message).
//  - importHandles: a received frame's table becomes channel ends, each index
//    used at most once, kinds and types checked.
//  - LocalHandles: the same inside one process, without a table on the wire.
import { EndpointClosedError, HandleCycleError, ProtocolError, TooManyHandlesError } from "../errors.js";
import type { HandleDecoder, HandleEncoder } from "../codec/codec.js";
import { channelTypeById, type ChannelType } from "../codec/channel-type.js";
import { Receiver } from "../ends/receiver.js";
import { Sender } from "../ends/sender.js";
import type { ReceiverCore } from "./receiver-core.js";
import { receiverCore, senderCore } from "./ends.js";
import type { Closable } from "./stream.js";
import { HandleKind, type HandleEntry } from "./events.js";
import type { Link } from "./link.js";
import { globalKey } from "./keys.js";

export class ExportContext implements HandleEncoder {
  readonly entries: HandleEntry[] = [];
  /** Applied once the body encoded without error: hold exported senders, hand receivers over. */
  private readonly commits: (() => void)[] = [];
  /** Run once the frame is written: moved receivers' streams follow it. */
  readonly after: (() => void)[] = [];
  private readonly seen = new Set<unknown>();

  constructor(
    private readonly link: Link,
    private readonly via: ExportVia,
    private readonly maxHandles: number,
  ) {}

  sender(sender: Sender<unknown>): number {
    const core = senderCore(sender);
    checkSender(sender, this.via.owner);
    if (core.gone !== undefined) {
      // Its receiver is gone: the clone arrives knowing that, and opens nothing.
      return this.add({ kind: HandleKind.Sender, port: NO_PORT, ...typeHalves(core.type), streamCount: 0, hold: 0, gone: true });
    }
    const router = this.link.router;
    const port = router.portOfSender(core);
    // The clone opens its stream back over this link, naming the hold; until
    // then this sender's stream stays open (see Router.hold).
    const hold = router.newSerial();
    this.commits.push(() => router.hold(hold, core, this.link));
    return this.add({ kind: HandleKind.Sender, port, ...typeHalves(core.type), streamCount: 0, hold });
  }

  receiver(receiver: Receiver<unknown>): number {
    const core = receiverCore(receiver);
    this.checkOnce(core);
    if (core.closed) throw new EndpointClosedError(`${core.label} was closed`);
    const port = this.link.router.portOf(core);
    if (this.via.port.id === port.id) throw cycle();
    const index = this.add({ kind: HandleKind.Receiver, port, ...typeHalves(core.type), streamCount: 0, hold: 0 });
    this.commits.push(() => {
      receiver.handOver();
      // Counted now: streams opened between encoding and commit are included.
      // One more for a receiver that lost a stream: the loss follows it as a stream ending lost (see moveReceiver).
      this.entries[index] = { ...this.entries[index]!, streamCount: core.movingStreams().size + (core.lostStream ? 1 : 0) };
    });
    this.after.push(() => this.link.router.moveReceiver(core, this.link));
    return index;
  }

  /** The body encoded: make the handles real. */
  commit(): void {
    for (const apply of this.commits) apply();
  }

  private checkOnce(core: unknown): void {
    if (this.seen.has(core)) throw new HandleCycleError("the same receiver appears twice in one message");
    this.seen.add(core);
  }

  private add(entry: HandleEntry): number {
    if (this.entries.length >= this.maxHandles) {
      throw new TooManyHandlesError(`a message can carry at most ${this.maxHandles} channel ends`);
    }
    this.entries.push(entry);
    return this.entries.length - 1;
  }
}

/** The port named by a gone sender's entry: no port at all. */
const NO_PORT = globalKey(new Uint8Array(16), 0);

function typeHalves(type: ChannelType<unknown>): { typeLo: number; typeHi: number } {
  const { lo, hi } = type.wireType;
  return { typeLo: lo, typeHi: hi };
}

/** The route a message is written on: its owner (a sender, or a proxy) and the receiver it leads to. */
export interface ExportVia {
  readonly owner: unknown;
  readonly port: { readonly id: string };
}

function checkSender(sender: Sender<unknown>, via: unknown): void {
  if (sender.closed || !senderCore(sender).open) throw new EndpointClosedError("cannot send a closed sender");
  if (sender.core === via) throw new HandleCycleError("a sender cannot be sent over itself");
}

function cycle(): HandleCycleError {
  return new HandleCycleError("a receiver cannot be sent over a channel that leads to itself");
}

type End = Sender<unknown> | Receiver<unknown>;

export interface ImportContext extends HandleDecoder {
  /** The channel ends the message carries (released if it is dropped). */
  finish(): Closable[];
  closeAll(): void;
}

/** Turns a message's handle table into channel ends (all of them, before the body is decoded). */
export function importHandles(link: Link, table: readonly HandleEntry[]): ImportContext {
  const ends: End[] = [];
  try {
    for (let i = 0; i < table.length; i++) {
      const entry = table[i]!;
      const type = channelTypeById(BigInt(entry.typeHi) * 0x1_0000_0000n + BigInt(entry.typeLo));
      if (type === undefined) {
        throw new ProtocolError(`handle ${i}: unknown channel type (import its generated _chan.ts module)`);
      }
      ends.push(
        entry.kind === HandleKind.Sender
          ? new Sender(link.router.importSender(link, entry, type))
          : new Receiver(link.router.importReceiver(link, entry, type)),
      );
    }
  } catch (err) {
    for (const e of ends) e.close();
    throw err;
  }
  return new PickedEnds(ends);
}

/**
 * Hands out the ends of one message by index, each once, checking kind and
 * type. A class, not closures: a local channel makes one per message.
 */
class PickedEnds implements ImportContext {
  private used: boolean[] | undefined;

  constructor(private readonly ends: readonly End[]) {}

  sender<T>(index: number, type?: ChannelType<T>): Sender<T> {
    return this.pick(index, Sender, type as ChannelType<unknown>) as Sender<T>;
  }

  receiver<T>(index: number, type?: ChannelType<T>): Receiver<T> {
    return this.pick(index, Receiver, type as ChannelType<unknown>) as Receiver<T>;
  }

  /** Ends the body did not mention are closed: nobody can reach them. */
  finish(): Closable[] {
    const { ends, used } = this;
    if (ends.length === 0) return [];
    for (const [i, e] of ends.entries()) if (used?.[i] !== true) e.close();
    return ends.filter((_, i) => used?.[i] === true);
  }

  closeAll(): void {
    for (const e of this.ends) e.close();
  }

  private pick(index: number, want: typeof Sender | typeof Receiver, type: ChannelType<unknown> | undefined): End {
    const ends = this.ends;
    if (!Number.isInteger(index) || index < 0 || index >= ends.length) {
      throw new ProtocolError(`handle index ${index} out of range (the frame has ${ends.length})`);
    }
    const used = (this.used ??= []);
    if (used[index] === true) throw new ProtocolError(`handle index ${index} used twice`);
    const end = ends[index]!;
    if (!(end instanceof want)) throw new ProtocolError(`handle ${index} is not a ${want.name.toLowerCase()}`);
    const actual = (end instanceof Sender ? senderCore(end) : receiverCore(end)).type;
    if (type !== undefined && actual.typeId !== type.typeId) {
      throw new ProtocolError(`handle ${index} carries ${actual.typeName}, the schema says ${type.typeName}`);
    }
    used[index] = true;
    return end;
  }
}

/** The decoder of a message without ends: it holds no state (every pick is out of range). */
const NO_ENDS = new PickedEnds([]);

/**
 * Channel ends in a message that stays in this process: senders are cloned,
 * receivers move. One per message on a local channel, so it allocates its
 * arrays only when the message carries an end.
 */
export class LocalHandles implements HandleEncoder {
  private found: End[] | undefined;
  /** Ends for the decoder, once committed. */
  decoder: ImportContext = NO_ENDS;

  constructor(
    private readonly via: unknown,
    private readonly destination: ReceiverCore<unknown> | undefined,
  ) {}

  sender(s: Sender<unknown>): number {
    checkSender(s, this.via);
    return this.add(s);
  }

  receiver(r: Receiver<unknown>): number {
    const core = receiverCore(r);
    if (core === this.destination) throw cycle();
    if (core.closed) throw new EndpointClosedError(`${core.label} was closed`);
    if (this.found?.includes(r)) throw new HandleCycleError("the same receiver appears twice in one message");
    return this.add(r);
  }

  /** The body encoded: clone the senders, hand the receivers over. */
  commit(): void {
    const found = this.found;
    if (found === undefined) return;
    this.decoder = new PickedEnds(found.map((end) => (end instanceof Sender ? end.clone() : new Receiver(end.handOver()))));
  }

  private add(end: End): number {
    const found = (this.found ??= []);
    found.push(end);
    return found.length - 1;
  }
}
