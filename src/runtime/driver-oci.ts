// A RuntimeDriver for any runtime with runc's command line (tsd-runtime,
// runc, crun): each call runs `<binary> --root <root> <command> …`.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { isErrno, NotFoundError, TsdError } from '../errors';
import type { RuntimeDriver, RuntimeState } from './driver';

/** A failed runtime command: its stderr and exit status. */
export class RuntimeCommandError extends TsdError {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 30_000;

export class OciRuntime implements RuntimeDriver {
  constructor(
    readonly name: string,
    private readonly binary: string,
    private readonly root: string,
  ) {}

  async create(id: string, bundle: string, opts: { pidFile?: string } = {}): Promise<void> {
    // The container's init inherits the runtime's stdio: nothing of ours may stay open in it.
    await this.run(['create', '--bundle', bundle, ...(opts.pidFile ? ['--pid-file', opts.pidFile] : []), id], { detached: true });
  }

  async start(id: string): Promise<void> {
    await this.run(['start', id]);
  }

  async state(id: string): Promise<RuntimeState> {
    try {
      const out = await this.run(['state', id]);
      const st = JSON.parse(out) as RuntimeState;
      return { id: st.id, pid: st.pid, status: st.status, bundle: st.bundle };
    } catch (err) {
      if (err instanceof RuntimeCommandError && !(await this.list()).includes(id)) throw new NotFoundError(`${this.name}: container ${id} does not exist`);
      throw err;
    }
  }

  async kill(id: string, signal: string | number, opts: { all?: boolean } = {}): Promise<void> {
    await this.run(['kill', ...(opts.all ? ['--all'] : []), id, String(signal)]);
  }

  async exec(id: string, processFile: string, opts: { detach?: boolean; pidFile?: string } = {}): Promise<void> {
    const args = ['exec', ...(opts.detach ? ['--detach'] : []), ...(opts.pidFile ? ['--pid-file', opts.pidFile] : []), '--process', processFile, id];
    await this.run(args, { detached: opts.detach ?? false });
  }

  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.run(['delete', ...(opts.force ? ['--force'] : []), id]);
  }

  async list(): Promise<string[]> {
    try {
      return readdirSync(this.root, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
  }

  /**
   * Runs one command; its stdout. `detached`: the command leaves a process
   * behind that holds its stdio, so none is piped and the exit alone counts.
   */
  private run(args: string[], opts: { detached?: boolean } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, ['--root', this.root, ...args], { stdio: opts.detached ? 'ignore' : ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on(opts.detached ? 'exit' : 'close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(out);
        else reject(new RuntimeCommandError(`${this.name} ${args[0]}: ${err.trim() || `exit status ${code}`}`, code));
      });
    });
  }
}
