// A worker's stdout/stderr split into lines, each at most `limit` bytes: a
// worker that writes without newlines must not make the host hold it all.
// A longer line is cut: its first `limit` bytes are passed on, marked cut,
// and the rest up to the next newline is dropped.

export type OnLine = (line: string, cut: boolean) => void;

export class LineSplitter {
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside a line already cut: drop bytes until its newline. */
  private dropping = false;

  constructor(
    private readonly limit: number,
    private readonly onLine: OnLine,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const nl = chunk.indexOf(0x0a, at);
      const end = nl < 0 ? chunk.length : nl;
      if (!this.dropping) this.keep(chunk.subarray(at, end));
      if (nl < 0) return;
      if (!this.dropping) this.emit(false);
      this.dropping = false;
      at = nl + 1;
    }
  }

  /** The stream ended: a last line without a newline is passed on too. */
  end(): void {
    if (!this.dropping && this.pendingBytes > 0) this.emit(false);
  }

  private keep(part: Buffer): void {
    const room = this.limit - this.pendingBytes;
    if (part.length <= room) {
      if (part.length > 0) this.pending.push(part);
      this.pendingBytes += part.length;
      return;
    }
    this.pending.push(part.subarray(0, room));
    this.pendingBytes += room;
    this.emit(true);
    this.dropping = true;
  }

  private emit(cut: boolean): void {
    const line = Buffer.concat(this.pending, this.pendingBytes).toString("utf8").replace(/\r$/, "");
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.onLine(line, cut);
  }
}
