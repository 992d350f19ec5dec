// channel(): a connected sender/receiver pair in this process. Messages are
// encoded and decoded even here, so a value behaves the same whether its
// receiver is local or in another process (the receiver gets its own copy).
import { ByteWriter } from "../wire/byte-writer.js";
import { AnyChannel, toChannelType, type ChannelSpec, type ChannelType } from "./channel-type.js";
import { DEFAULT_LIMITS, windowCharge } from "./defaults.js";
import { Receiver, ReceiverCore, type Inlet } from "./receiver.js";
import { Sender, SenderCore, type Outlet } from "./sender.js";

class LocalLink<T> implements Outlet<T>, Inlet {
  private readonly scratch = new ByteWriter();
  sender!: SenderCore<T>;

  constructor(
    private readonly type: ChannelType<T>,
    private readonly receiver: ReceiverCore<T>,
  ) {}

  write(value: T): number {
    return this.writeEncoded(this.encodeDetached(value));
  }

  encodeDetached(value: T): Uint8Array {
    const w = this.scratch;
    try {
      this.type.codec.encode(value, w);
    } catch (err) {
      w.pos = 0;
      throw err;
    }
    // take() hands out a region that is never written again, so the decoded
    // value may keep views into it.
    return w.take();
  }

  writeEncoded(body: Uint8Array): number {
    const charge = windowCharge(body.length);
    this.receiver.push(this.type.codec.decode(body), charge, this);
    return charge;
  }

  close(): void {
    this.receiver.detach(this);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  consumed(bytes: number): void {
    this.sender.credit(bytes);
  }

  receiverGone(): void {
    this.sender.markGone("closed");
  }
}

export interface ChannelOptions {
  /** Flow-control window in bytes (default 8 MiB). */
  readonly window?: number;
}

/** A typed sender/receiver pair; with no type, an untyped (msgpack) channel. */
export function channel<T>(spec: ChannelSpec<T>, options?: ChannelOptions): [Sender<T>, Receiver<T>];
export function channel(): [Sender<unknown>, Receiver<unknown>];
export function channel<T>(spec?: ChannelSpec<T>, options?: ChannelOptions): [Sender<T>, Receiver<T>] {
  const type = (spec === undefined ? AnyChannel : toChannelType(spec)) as ChannelType<T>;
  const receiver = new ReceiverCore<T>(`receiver of ${type.typeName}`);
  const link = new LocalLink(type, receiver);
  link.sender = new SenderCore(link, options?.window ?? DEFAULT_LIMITS.window);
  receiver.attach(link);
  return [new Sender(link.sender), new Receiver(receiver)];
}
