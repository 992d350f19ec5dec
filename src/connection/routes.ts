// Routes tie channel endpoints to a connection. An inbound route feeds a local
// receiver from the peer's MESSAGE frames and returns CREDIT as messages are
// consumed; an outbound route writes a local sender's messages to the peer.
// Both check what the peer sends: sequence, type, flow-control window.
import { ProtocolError, type EndReason, type ProtochanError } from "../errors.js";
import type { ChannelType } from "../channel/channel-type.js";
import { windowCharge } from "../channel/defaults.js";
import type { Inlet, ReceiverCore } from "../channel/receiver.js";
import type { Outlet, SenderCore } from "../channel/sender.js";
import { Kind, splitTypeId, type FrameHeader, type TypeIdHalves } from "../wire/header.js";
import type { Connection } from "./connection.js";

export class InboundRoute<T = unknown> implements Inlet {
  private lastSeq = 0;
  /** Charged bytes received and not yet returned to the peer as CREDIT. */
  private inFlight = 0;
  private pendingCredit = 0;
  private readonly type: TypeIdHalves;
  private open = true;

  constructor(
    private readonly conn: Connection,
    readonly id: number,
    private readonly channel: ChannelType<T>,
    private readonly receiver: ReceiverCore<T>,
    private readonly window: number,
  ) {
    this.type = splitTypeId(channel.typeId);
    conn.inbound.set(id, this as InboundRoute);
    receiver.attach(this);
  }

  onMessage(h: FrameHeader, body: Uint8Array): void {
    if (h.typeLo !== this.type.lo || h.typeHi !== this.type.hi) {
      throw new ProtocolError(`route ${this.id} carries ${this.channel.typeName} but the peer sent another message type`);
    }
    if (h.seq !== this.lastSeq + 1) {
      throw new ProtocolError(`route ${this.id}: message ${h.seq} out of sequence (expected ${this.lastSeq + 1})`);
    }
    if (this.inFlight >= this.window) {
      throw new ProtocolError(`route ${this.id}: peer ignored flow control (${this.inFlight} bytes unconsumed)`);
    }
    this.lastSeq = h.seq;
    let value: T;
    try {
      value = this.channel.codec.decode(body);
    } catch (err) {
      throw new ProtocolError(
        `route ${this.id}: cannot decode ${this.channel.typeName}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    const charge = windowCharge(body.length);
    this.inFlight += charge;
    this.receiver.push(value, charge, this);
  }

  onClose(lastSeq: number): void {
    if (lastSeq !== this.lastSeq) {
      throw new ProtocolError(`route ${this.id}: closed after message ${lastSeq} but ${this.lastSeq} arrived`);
    }
    this.end("closed");
  }

  consumed(bytes: number): void {
    if (!this.open) return;
    this.pendingCredit += bytes;
    // A quarter window at a time: never deadlocks, since a blocked sender has
    // a full window outstanding and so at least that much comes back.
    if (this.pendingCredit >= this.window / 4) {
      this.conn.writeFrame(Kind.Credit, this.id, this.pendingCredit);
      this.inFlight -= this.pendingCredit;
      this.pendingCredit = 0;
    }
  }

  receiverGone(): void {
    if (!this.open) return;
    this.conn.writeFrame(Kind.Gone, this.id, 0);
    this.open = false;
    this.conn.inbound.delete(this.id);
    this.conn.routeEnded();
  }

  onConnectionLost(reason: EndReason, err: ProtochanError | undefined): void {
    this.end(reason, err);
  }

  private end(reason: EndReason, cause?: unknown): void {
    if (!this.open) return;
    this.open = false;
    this.conn.inbound.delete(this.id);
    this.receiver.detach(this, reason, cause);
    this.conn.routeEnded();
  }
}

export class OutboundRoute<T = unknown> implements Outlet<T> {
  private readonly type: TypeIdHalves;
  sender!: SenderCore<T>;
  private open = true;

  constructor(
    private readonly conn: Connection,
    readonly id: number,
    private readonly channel: ChannelType<T>,
  ) {
    this.type = splitTypeId(channel.typeId);
    conn.outbound.set(id, this as OutboundRoute);
  }

  write(value: T, seq: number): number {
    this.checkConnection();
    return windowCharge(this.conn.writeMessage(this.id, seq, this.type, this.channel.codec, value));
  }

  encodeDetached(value: T): Uint8Array {
    const w = this.conn.detachedWriter;
    try {
      this.channel.codec.encode(value, w);
    } catch (err) {
      w.pos = 0;
      throw err;
    }
    return w.take(); // a region that is never written again
  }

  writeEncoded(body: Uint8Array, seq: number): number {
    this.checkConnection();
    return windowCharge(this.conn.writeEncoded(this.id, seq, this.type, body));
  }

  close(lastSeq: number): void {
    if (!this.open) return;
    this.open = false;
    this.conn.writeFrame(Kind.Close, this.id, lastSeq);
    this.conn.outbound.delete(this.id);
    this.conn.routeEnded();
  }

  flush(): Promise<void> {
    return this.conn.flushed();
  }

  onCredit(bytes: number): void {
    this.sender.credit(bytes);
  }

  onGone(): void {
    this.finish("closed");
  }

  onConnectionLost(reason: EndReason, err: ProtochanError | undefined): void {
    this.finish(reason, err);
  }

  private finish(reason: EndReason, cause?: unknown): void {
    if (!this.open) return;
    this.open = false;
    this.conn.outbound.delete(this.id);
    this.sender.markGone(reason, cause);
    this.conn.routeEnded();
  }

  private checkConnection(): void {
    // A failed connection has already marked the sender gone; this is a guard.
    if (this.conn.failure !== undefined) this.sender.markGone("connection-lost", this.conn.failure);
    if (this.sender.gone !== undefined) throw this.sender.gone;
  }
}
