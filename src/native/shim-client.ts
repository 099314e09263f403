// Client of tsd-shim (native/src/shim.h documents the protocol): start a shim
// for a bundle, then talk to it over <stateDir>/shim.sock. One request line
// per connection; replies "OK[ json]" or "ERR message". ATTACH turns the
// connection into a stream of 8-byte-header frames (1 stdout, 2 stderr, 3 exit)
// from the shim, and raw stdin bytes to it (half-close = stdin EOF).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { shimPath } from './paths';

export interface ShimOptions {
  id: string;
  bundle: string;
  /** Directory of the shim's socket, pid, runtime log and exit files. */
  stateDir: string;
  /** OCI runtime binary (default: tsd-runtime next to the shim). */
  runtime?: string;
  runtimeRoot?: string;
  /** The log of the container's output (none without). */
  logFile?: string;
  /** How logFile rotates: json-file's FILE.1, FILE.2, … (default) or local's FILE.<gen>[.gz]. */
  logDriver?: 'json-file' | 'local';
  /** e.g. "10m" (default), "-1" for no rotation. */
  logMaxSize?: string;
  logMaxFile?: number;
  /** gzip the rotated files (local only). */
  logCompress?: boolean;
  /** Keep the container's stdin open for ATTACH stdin. */
  stdin?: boolean;
  /** process.terminal in config.json: the shim takes the pty master. */
  terminal?: boolean;
  /**
   * Exec mode: a process.json (OCI "process" object) to run in the running
   * container `id` at start() (`RUNTIME exec --detach`); one shim per exec.
   */
  execProcess?: string;
}

export interface ShimExit {
  id: string;
  pid: number;
  /** 128+signal when killed by a signal. */
  exitCode: number;
  signal: number;
  exitedAt: string;
  oomKilled: boolean;
}

export interface ShimState {
  id: string;
  pid: number;
  status: 'created' | 'running' | 'stopped';
  exitCode: number;
  exitedAt: string;
  oomKilled: boolean;
}

/** A refused request, or a failed start (exitCode: 125, 126 or 127 as the runtime said). */
export class ShimError extends Error {
  constructor(
    message: string,
    readonly exitCode = 125,
  ) {
    super(message);
    this.name = 'ShimError';
  }
}

export interface ShimAttach {
  stdout: PassThrough;
  stderr: PassThrough;
  /** Writes go to the container's stdin; end() closes it. Null without stdin. */
  stdin: Writable | null;
  /** The exit record when the container exits, or null if the connection ends first. */
  exit: Promise<ShimExit | null>;
  /** Detach (stdin is closed only by end()). */
  close(): void;
}

/**
 * Starts a shim and resolves once it is ready: the container is created (pid is
 * its init's), or, in exec mode, the stdio is ready (pid 0 until start()).
 */
export function startShim(opts: ShimOptions): Promise<{ pid: number; client: ShimClient }> {
  const args = ['--id', opts.id, '--bundle', opts.bundle, '--state', opts.stateDir];
  if (opts.runtime) args.push('--runtime', opts.runtime);
  if (opts.runtimeRoot) args.push('--runtime-root', opts.runtimeRoot);
  if (opts.logFile) args.push('--log-file', opts.logFile);
  if (opts.logDriver) args.push('--log-driver', opts.logDriver);
  if (opts.logCompress) args.push('--log-compress');
  if (opts.logMaxSize) args.push('--log-max-size', opts.logMaxSize);
  if (opts.logMaxFile !== undefined) args.push('--log-max-file', String(opts.logMaxFile));
  if (opts.stdin) args.push('--stdin');
  if (opts.terminal) args.push('--terminal');
  if (opts.execProcess) args.push('--exec-process', opts.execProcess);
  return new Promise((resolve, reject) => {
    const child = spawn(shimPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ pid: Number(out.trim()), client: new ShimClient(join(opts.stateDir, 'shim.sock')) });
      else reject(new ShimError(err.trim() || `tsd-shim exited with ${code}`, code ?? 125));
    });
  });
}

/** The exit record a shim left in its state dir, or null while none. */
export function readExitFile(stateDir: string): ShimExit | null {
  try {
    return JSON.parse(readFileSync(join(stateDir, 'exit.json'), 'utf8')) as ShimExit;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export class ShimClient {
  constructor(readonly socketPath: string) {}

  static forStateDir(stateDir: string): ShimClient {
    return new ShimClient(join(stateDir, 'shim.sock'));
  }

  async state(): Promise<ShimState> {
    return JSON.parse(await this.request('STATE')) as ShimState;
  }

  async start(): Promise<void> {
    await this.request('START');
  }

  /** Signal the init, or every process of the container with all=true. */
  async kill(signal: string | number, all = false): Promise<void> {
    await this.request(`KILL ${signal}${all ? ' all' : ''}`);
  }

  async resize(rows: number, cols: number): Promise<void> {
    await this.request(`RESIZE ${Math.trunc(rows)} ${Math.trunc(cols)}`);
  }

  async closeStdin(): Promise<void> {
    await this.request('CLOSESTDIN');
  }

  /** Resolves when the container has exited (at once if it has). */
  async wait(): Promise<ShimExit> {
    return JSON.parse(await this.request('WAIT')) as ShimExit;
  }

  /** Makes the shim exit; refused while the container runs unless force. */
  async shutdown(force = false): Promise<void> {
    await this.request(force ? 'SHUTDOWN force' : 'SHUTDOWN');
  }

  /** One request, one reply line; resolves with the text after "OK". */
  request(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const sock = connect(this.socketPath);
      let buf = '';
      sock.setEncoding('utf8');
      sock.on('connect', () => sock.write(`${line}\n`));
      sock.on('data', (d: string) => (buf += d));
      sock.on('error', reject);
      sock.on('close', () => {
        const reply = buf.split('\n')[0] ?? '';
        if (reply === 'OK' || reply.startsWith('OK ')) resolve(reply.slice(3));
        else if (reply.startsWith('ERR ')) reject(new ShimError(reply.slice(4)));
        else reject(new ShimError(`bad reply from shim: ${JSON.stringify(reply)}`));
      });
    });
  }

  /** Attach to the container's streams (call before start() to miss nothing). */
  /** `stdinOnce`: the end of what this attach sends is the end of the container's stdin. */
  attach(streams: { stdin?: boolean; stdinOnce?: boolean; stdout?: boolean; stderr?: boolean }): Promise<ShimAttach> {
    const words = ['ATTACH'];
    if (streams.stdin) words.push('stdin');
    if (streams.stdin && streams.stdinOnce) words.push('stdin-once');
    if (streams.stdout ?? true) words.push('stdout');
    if (streams.stderr ?? true) words.push('stderr');
    return new Promise((resolve, reject) => {
      const sock = connect(this.socketPath);
      let head: Buffer = Buffer.alloc(0);
      let ready = false;
      sock.on('connect', () => sock.write(`${words.join(' ')}\n`));
      sock.on('error', (err) => (ready ? undefined : reject(err)));
      const onHead = (d: Buffer): void => {
        head = Buffer.concat([head, d]);
        const nl = head.indexOf(0x0a);
        if (nl < 0) return;
        const reply = head.subarray(0, nl).toString();
        const rest = head.subarray(nl + 1);
        sock.off('data', onHead);
        if (reply !== 'OK') {
          sock.destroy();
          reject(new ShimError(reply.startsWith('ERR ') ? reply.slice(4) : `bad reply from shim: ${reply}`));
          return;
        }
        ready = true;
        resolve(makeAttach(sock, rest, streams.stdin === true));
      };
      sock.on('data', onHead);
    });
  }
}

function makeAttach(sock: Socket, initial: Buffer, withStdin: boolean): ShimAttach {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let buf: Buffer = Buffer.alloc(0);
  let exit: ShimExit | null = null;
  let settle: (e: ShimExit | null) => void = () => undefined;
  const exitP = new Promise<ShimExit | null>((r) => (settle = r));

  const onData = (d: Buffer): void => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const stream = buf[0];
      const payload = buf.subarray(8, 8 + size);
      buf = buf.subarray(8 + size);
      if (stream === 1) stdout.write(payload);
      else if (stream === 2) stderr.write(payload);
      else if (stream === 3) exit = JSON.parse(payload.toString()) as ShimExit;
    }
  };
  sock.on('data', onData);
  sock.on('close', () => {
    stdout.end();
    stderr.end();
    settle(exit);
  });
  sock.on('error', () => undefined);
  if (initial.length) onData(initial);

  const stdin = withStdin
    ? new Writable({
        // Input for a process that has gone (the shim ended its side: an exec that exited while the client still
        // types) is dropped, as dockerd drops it; a failed write is the connection's error (handled above), never
        // this stream's, whose unhandled 'error' would end the daemon.
        write(chunk: Buffer, _enc, cb) {
          if (sock.destroyed || !sock.writable) return cb();
          sock.write(chunk, () => cb());
        },
        final(cb) {
          sock.end();
          cb();
        },
      })
    : null;
  return { stdout, stderr, stdin, exit: exitP, close: () => sock.destroy() };
}
