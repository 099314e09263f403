// The CLI end of a hijacked attach or exec stream, as docker's
// hijackedIOStreamer: output (raw with a tty, else demultiplexed to stdout and
// stderr), stdin piped up the socket and then half-closed on EOF while output
// keeps flowing, raw terminal and detach keys with a tty. Also the signal proxy.
import type { Duplex } from 'node:stream';
import { StdDemuxer } from '../stdcopy';
import { DEFAULT_DETACH_KEYS, DetachDetector, parseDetachKeys, rawMode } from '../tty';

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  detachKeys?: string | undefined;
  warn: (msg: string) => void;
}

/** How a stream ended: output finished, or the user typed the detach keys. */
export type StreamEnd = 'done' | 'detached';

const write = (stream: NodeJS.WriteStream) => (chunk: Buffer) => void stream.write(chunk);

let guarded = false;

/**
 * A reader of our output that went away (`run … | head`) ends the CLI as it
 * ends docker's: "write /dev/stdout: broken pipe", status 1. Exit handlers
 * still restore the terminal.
 */
export function exitOnClosedOutput(): void {
  if (guarded) return;
  guarded = true;
  for (const [stream, name] of [[process.stdout, 'stdout'], [process.stderr, 'stderr']] as const) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      if (name === 'stdout') process.stderr.write(`write /dev/stdout: broken pipe\n`);
      process.exit(1);
    });
  }
}

export class AttachedStreams {
  readonly done: Promise<StreamEnd>;
  private restoreInput: () => void = () => {};
  private stopInput: () => void = () => {};

  constructor(
    private readonly socket: Duplex,
    private readonly opts: StreamOptions,
  ) {
    exitOnClosedOutput();
    this.done = new Promise<StreamEnd>((resolve, reject) => this.begin(resolve, reject)).finally(() => this.release());
  }

  /** Ends streaming at once (start failed, or the CLI gives up): terminal restored, socket closed. */
  close(): void {
    this.release();
    this.socket.destroy();
  }

  private release(): void {
    this.restoreInput();
    this.stopInput();
  }

  private begin(resolve: (end: StreamEnd) => void, reject: (err: Error) => void): void {
    const { socket, opts } = this;
    // Output ending ends the stream; input ending only half-closes the socket.
    const hasOutput = opts.stdout || opts.stderr;

    if (opts.stdin && opts.tty) {
      this.restoreInput = rawMode();
    }
    socket.on('error', (err) => reject(err));
    if (hasOutput) {
      const out = opts.stdout ? write(process.stdout) : () => {};
      // With a tty the daemon sends one raw stream; stderr shares the terminal.
      const err = opts.stderr ? write(opts.tty ? process.stdout : process.stderr) : () => {};
      const demux = opts.tty ? undefined : new StdDemuxer(out, err);
      socket.on('data', (chunk: Buffer) => {
        if (!demux) return out(chunk);
        try {
          demux.push(chunk);
        } catch (e) {
          reject(e as Error);
          socket.destroy();
        }
      });
      socket.on('end', () => {
        // Restore the terminal as soon as output ends so later messages print normally.
        this.restoreInput();
        resolve('done');
      });
    }
    // The hijack left the socket paused after the response head.
    socket.resume();

    if (!opts.stdin) {
      // docker half-closes at once when there is no input to send.
      socket.end();
      if (!hasOutput) resolve('done');
      return;
    }
    const stdin = process.stdin;
    let detector: DetachDetector | undefined;
    if (opts.tty) {
      let keys: Buffer = DEFAULT_DETACH_KEYS;
      if (opts.detachKeys) {
        try {
          keys = parseDetachKeys(opts.detachKeys);
        } catch (e) {
          opts.warn(`invalid detach escape keys, using default: ${(e as Error).message}\n`);
        }
      }
      detector = new DetachDetector(keys);
    }
    const onData = (chunk: Buffer) => {
      if (!detector) return void socket.write(chunk);
      const { forward, detach } = detector.feed(chunk);
      if (forward.length) socket.write(forward);
      if (detach) {
        this.stopInput();
        resolve('detached');
      }
    };
    const onEnd = () => {
      this.stopInput();
      if (!socket.destroyed) socket.end();
      if (!hasOutput) resolve('done');
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onEnd);
    this.stopInput = () => {
      stdin.off('data', onData).off('end', onEnd).off('error', onEnd);
      stdin.pause();
      this.stopInput = () => {};
    };
  }
}

/** The signals docker's proxy forwards (all catchable ones but CHLD, PIPE and URG). */
const PROXIED: NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGTERM', 'SIGCONT', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGWINCH'];

/** Forwards the CLI's signals to the container (`kill?signal=INT`); returns the function that stops it. */
export function proxySignals(kill: (signal: string) => Promise<unknown>): () => void {
  const handlers = PROXIED.map((sig) => {
    const handler = () => void kill(sig.slice(3)).catch(() => {});
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  return () => {
    for (const [sig, handler] of handlers) process.off(sig, handler);
  };
}
