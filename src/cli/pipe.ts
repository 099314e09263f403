// A unix socket for the CLI's short requests and output-only attach streams,
// on Node's pipe handle itself (the pipe_wrap binding node:net builds its
// Socket on): loading node:net and node:stream costs a command like `ps` ~5 ms
// of its ~15 over Node's own start, for one connection that sends a few
// hundred bytes. It offers what http.ts and an attach without stdin use of a
// net.Socket: write, end (half-close), unshift, data/end/error events,
// pause/resume, destroy. Where the binding is not as expected, connectPipe
// returns undefined and the caller uses node:net.
import { EventEmitter } from 'node:events';

interface Req { oncomplete?: (status: number) => void }
interface PipeHandle {
  connect(req: Req, path: string, cb?: (status: number) => void): number;
  readStart(): number;
  readStop(): number;
  writeUtf8String(req: Req, data: string): number;
  writeBuffer(req: Req, data: Buffer): number;
  shutdown(req: Req): number;
  close(cb?: () => void): void;
  onread: (this: PipeHandle, buffer: ArrayBuffer | undefined) => void;
}
interface PipeBinding {
  Pipe: new (type: number) => PipeHandle;
  PipeConnectWrap: new () => Req & { address?: string };
  constants: { SOCKET: number };
}
interface StreamBinding {
  WriteWrap: new () => Req;
  ShutdownWrap: new () => Req;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
}

const UV_EOF = -4095;
const ERRNO: Record<number, string> = { [-2]: 'ENOENT', [-13]: 'EACCES', [-32]: 'EPIPE', [-104]: 'ECONNRESET', [-111]: 'ECONNREFUSED' };

function bindings(): { pipe: PipeBinding; stream: StreamBinding } | undefined {
  try {
    const binding = (process as unknown as { binding(name: string): unknown }).binding;
    const pipe = binding('pipe_wrap') as PipeBinding;
    const stream = binding('stream_wrap') as StreamBinding;
    if (typeof pipe.Pipe !== 'function' || typeof stream.WriteWrap !== 'function' || !(stream.streamBaseState instanceof Int32Array)) return undefined;
    return { pipe, stream };
  } catch {
    return undefined;
  }
}

function uvError(status: number, syscall: string, path: string): NodeJS.ErrnoException {
  const code = ERRNO[status] ?? `E${-status}`;
  const err: NodeJS.ErrnoException = new Error(`${syscall} ${code} ${path}`);
  err.code = code;
  err.errno = status;
  err.syscall = syscall;
  return err;
}

export class PipeSocket extends EventEmitter {
  destroyed = false;
  private connected = false;
  private reading = false;
  private pending: (string | Buffer)[] = [];
  private unshifted: Buffer | undefined;
  private ending = false;
  /** Write requests in flight (the binding needs them kept alive). */
  private readonly writes = new Set<Req>();

  constructor(
    private readonly handle: PipeHandle,
    private readonly stream: StreamBinding,
    readonly path: string,
  ) {
    super();
  }

  /** Connects; data is read as soon as the connection is up (like a net.Socket, until paused). */
  start(connectWrap: Req & { address?: string }): void {
    let answered = false;
    const done = (status: number) => {
      if (answered || this.destroyed) return;
      answered = true;
      if (status < 0) return this.fail(uvError(status, 'connect', this.path));
      this.connected = true;
      this.handle.onread = (buffer) => this.onRead(buffer);
      this.resume();
      for (const data of this.pending.splice(0)) {
        if (data === '' && this.ending) {
          this.ending = false;
          this.end();
        } else this.write(data);
      }
    };
    connectWrap.oncomplete = done;
    connectWrap.address = this.path;
    const err = this.handle.connect(connectWrap, this.path, done);
    if (err < 0) queueMicrotask(() => done(err));
  }

  private onRead(buffer: ArrayBuffer | undefined): void {
    const state = this.stream.streamBaseState;
    const nread = state[this.stream.kReadBytesOrError]!;
    if (nread > 0 && buffer) {
      const chunk = Buffer.from(new Uint8Array(buffer, state[this.stream.kArrayBufferOffset]!, nread));
      this.emit('data', chunk);
    } else if (nread === UV_EOF) {
      this.pause();
      this.emit('end');
    } else if (nread < 0) this.fail(uvError(nread, 'read', this.path));
  }

  write(data: string | Buffer): void {
    if (this.destroyed) return;
    if (!this.connected) {
      this.pending.push(data);
      return;
    }
    this.dispatch(this.stream.WriteWrap, 'write', (req) => (typeof data === 'string' ? this.handle.writeUtf8String(req, data) : this.handle.writeBuffer(req, data)));
  }

  /** Half-closes: no more writes, reading goes on. */
  end(): void {
    if (this.destroyed || this.ending) return;
    this.ending = true;
    if (!this.connected) {
      this.pending.push('');
      return;
    }
    this.dispatch(this.stream.ShutdownWrap, 'shutdown', (req) => this.handle.shutdown(req));
  }

  /** Bytes read past an HTTP head: handed out first once reading resumes. */
  unshift(chunk: Buffer): void {
    this.unshifted = this.unshifted ? Buffer.concat([chunk, this.unshifted]) : chunk;
  }

  private dispatch(Wrap: new () => Req, syscall: string, send: (req: Req) => number): void {
    const req = new Wrap();
    req.oncomplete = (status: number) => {
      this.writes.delete(req);
      if (status < 0) this.fail(uvError(status, syscall, this.path));
    };
    Object.assign(req, { handle: this.handle, async: false });
    this.writes.add(req);
    const err = send(req);
    if (err < 0) {
      this.writes.delete(req);
      this.fail(uvError(err, syscall, this.path));
    }
  }

  pause(): this {
    if (this.reading && !this.destroyed) this.handle.readStop();
    this.reading = false;
    return this;
  }

  resume(): this {
    if (!this.reading && this.connected && !this.destroyed) this.reading = this.handle.readStart() === 0;
    const first = this.unshifted;
    if (first && this.reading) {
      this.unshifted = undefined;
      queueMicrotask(() => this.emit('data', first));
    }
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.reading = false;
    this.handle.close();
    this.emit('close');
    return this;
  }

  private fail(err: Error): void {
    if (this.destroyed) return;
    this.destroy();
    // An idle kept-alive connection has no listener: its next request finds it destroyed.
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

/** A connected-as-soon-as-possible socket to a unix path, or undefined where the pipe binding is not usable. */
export function connectPipe(path: string): PipeSocket | undefined {
  const b = bindings();
  if (!b) return undefined;
  const socket = new PipeSocket(new b.pipe.Pipe(b.pipe.constants.SOCKET), b.stream, path);
  socket.start(new b.pipe.PipeConnectWrap());
  return socket;
}
