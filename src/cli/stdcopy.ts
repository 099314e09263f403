// Docker's multiplexed stream (attach, exec and logs without a tty): frames of
// an 8-byte header — stream id (0 stdin, 1 stdout, 2 stderr, 3 system error),
// three zero bytes, a big-endian uint32 length — then that many bytes. The
// demuxer takes chunks as they arrive, split anywhere, and writes each frame's
// payload to its stream as soon as it has it, like moby's stdcopy.StdCopy.

export type Write = (chunk: Buffer) => void;

const HEADER = 8;

/** A system-error frame (stream 3): the daemon's error in the middle of a stream. */
export class StreamError extends Error {}

export class StdDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  /** Payload bytes still owed to the current frame, and its stream. */
  private remaining = 0;
  private stream = 0;
  private systemError = '';

  constructor(
    private readonly stdout: Write,
    private readonly stderr: Write,
  ) {}

  /** Feeds a chunk; throws StreamError when a system-error frame completes. */
  push(chunk: Buffer): void {
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.remaining === 0) {
        if (data.length < HEADER) {
          this.pending = Buffer.from(data);
          return;
        }
        this.stream = data[0]!;
        this.remaining = data.readUInt32BE(4);
        if (this.stream > 3) throw new StreamError(`Unrecognized input header: ${this.stream}`);
        data = data.subarray(HEADER);
        if (this.remaining === 0) continue;
      }
      const take = Math.min(this.remaining, data.length);
      this.deliver(data.subarray(0, take));
      this.remaining -= take;
      data = data.subarray(take);
    }
  }

  private deliver(payload: Buffer): void {
    if (this.stream === 3) {
      this.systemError += payload.toString('utf8');
      if (this.remaining === payload.length) throw new StreamError(this.systemError);
      return;
    }
    // Stream 0 (stdin echoed back) goes to stdout, as stdcopy does.
    (this.stream === 2 ? this.stderr : this.stdout)(payload);
  }
}
