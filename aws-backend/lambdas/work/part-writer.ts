/**
 * Lines written as numbered S3 objects of about `partBytes` each: prepare's output never sits in
 * memory whole. One write is in flight at a time while the next part fills.
 */
export class PartWriter {
  private lines: string[] = [];
  private bytes = 0;
  private pending: Promise<void> = Promise.resolve();
  /** Parts written (or being written) so far. */
  parts = 0;
  /** Lines in the parts so far, this one included. */
  count = 0;

  constructor(
    private readonly write: (index: number, body: string) => Promise<void>,
    private readonly partBytes: number,
  ) {}

  /** Adds a line (no line break in it); resolves when the writer can take more. */
  async add(line: string): Promise<void> {
    this.lines.push(line);
    this.count++;
    this.bytes += line.length + 1;
    if (this.bytes >= this.partBytes) await this.flush();
  }

  /** Starts writing the current part; waits for the one before it. */
  private async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const body = this.lines.join("\n") + "\n";
    const index = this.parts++;
    this.lines = [];
    this.bytes = 0;
    await this.pending;
    this.pending = this.write(index, body);
    // A failed write surfaces on the next add or at close.
    this.pending.catch(() => {});
  }

  /** The lines added when none has been written yet (the writer then holds none and writes nothing); otherwise undefined. */
  takeUnwritten(): string[] | undefined {
    if (this.parts > 0) return undefined;
    const lines = this.lines;
    this.lines = [];
    this.bytes = 0;
    return lines;
  }

  /** Writes what is left and waits for every part; the number of parts. */
  async close(): Promise<number> {
    await this.flush();
    await this.pending;
    return this.parts;
  }
}
