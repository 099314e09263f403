// `docker exec`: a process run in a running container by its own shim in exec
// mode (tsd-shim --exec-process), so that, like the container's, its stdio and
// exit status do not go through the daemon. Exec records live in memory only
// (Docker's do too) and go when their container is removed.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { ExecCreateBody, ExecInspect } from '../api/containers';
import { ConflictError, NotFoundError, messageOf } from '../errors';
import { ShimClient, ShimError, startShim } from '../native/shim-client';
import { buildExecProcess, serializeSpec, validateExecWorkingDir, type OciSpec } from '../runtime/spec';
import { joinAttach } from './attach';
import { resolveRuntime } from './runtimes';
import { containerEvent, type EventSink } from './lifecycle';
import type { ContainerService } from './service';
import type { ContainerRecord } from './store';
import { frame, parseDetachKeys, DEFAULT_DETACH_KEYS, STDOUT } from './stream';

const pausedForExec = (ref: string): string => `Container ${ref} is paused, unpause the container before exec`;

interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecCreateBody;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  client?: ShimClient;
}

/** Set by the job layer: an exec's end, to record as a job (its exec_die event). */
export type ExecExitHook = (rec: ContainerRecord, execId: string, exitCode: number) => void;

export class ExecService {
  private readonly execs = new Map<string, ExecRecord>();
  /** The state dirs of the shims this daemon launched (restore() leaves them alone). */
  private readonly launched = new Set<string>();
  onExit: ExecExitHook | undefined;

  constructor(
    private readonly containers: ContainerService,
    private readonly opts: { defaultRuntime: string; runtimes: Record<string, { path: string }> },
  ) {}

  idsOf(containerId: string): string[] {
    return [...this.execs.values()].filter((e) => e.containerId === containerId).map((e) => e.id);
  }

  forget(containerId: string): void {
    for (const id of this.idsOf(containerId)) this.execs.delete(id);
  }

  private get(id: string): ExecRecord {
    const e = this.execs.get(id);
    if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
    return e;
  }

  /** `ref` is the container as the client named it: dockerd's paused error quotes it. */
  create(sink: EventSink, rec: ContainerRecord, body: ExecCreateBody, ref = rec.id): string {
    if (!rec.state.Running) throw new ConflictError(`container ${rec.id} is not running`);
    if (rec.state.Paused) throw new ConflictError(pausedForExec(ref));
    if (!body.Cmd?.length) throw new ConflictError('No exec command specified');
    if (body.DetachKeys) parseDetachKeys(body.DetachKeys);
    validateExecWorkingDir(body);
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, { id, containerId: rec.id, config: body, running: false, started: false, exitCode: null, pid: 0 });
    sink.emit(containerEvent(rec, `exec_create: ${body.Cmd.join(' ')}`, { execID: id }));
    return id;
  }

  inspect(id: string): ExecInspect {
    const e = this.get(id);
    const cmd = e.config.Cmd ?? [];
    return {
      CanRemove: false,
      DetachKeys: e.config.DetachKeys ?? '',
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: { tty: e.config.Tty ?? false, entrypoint: cmd[0] ?? '', arguments: cmd.slice(1), privileged: e.config.Privileged ?? false, ...(e.config.User ? { user: e.config.User } : {}) },
      OpenStdin: e.config.AttachStdin ?? false,
      OpenStderr: e.config.AttachStderr ?? false,
      OpenStdout: e.config.AttachStdout ?? false,
      ContainerID: e.containerId,
      Pid: e.pid,
    };
  }

  /** Checks an exec may start; call before hijacking the client's connection. */
  container(id: string): { exec: ExecRecord; rec: ContainerRecord } {
    const exec = this.get(id);
    if (exec.started) throw new ConflictError(`Error: Exec command ${id} has already run`);
    const rec = this.containers.store.resolve(exec.containerId);
    if (!rec.state.Running) throw new ConflictError(`container ${rec.id} is not running`);
    if (rec.state.Paused) throw new ConflictError(pausedForExec(rec.id));
    return { exec, rec };
  }

  /**
   * Runs the exec. With a socket, its output goes there (framed unless `tty`,
   * the start body's Tty: dockerd frames by it, not by the create's) and the
   * promise ends with the process; detached, it resolves once started.
   */
  async start(sink: EventSink, id: string, socket: Duplex | undefined, tty = false): Promise<void> {
    const { exec, rec } = this.container(id);
    exec.started = true;
    let launched: Awaited<ReturnType<ExecService['launch']>>;
    try {
      launched = await this.launch(rec, id, exec.config, socket !== undefined && (exec.config.AttachStdin ?? false));
    } catch (err) {
      exec.exitCode = 126;
      if (!socket) throw err;
      tellAfterHijack(socket, tty, messageOf(err));
      socket.end();
      return;
    }
    const { client, cleanup } = launched;
    exec.client = client;
    exec.running = true;
    const attached = socket
      ? await joinAttach(client, {
          socket,
          stdin: exec.config.AttachStdin ?? false,
          stdout: exec.config.AttachStdout ?? true,
          // dockerd has no stderr writer for a tty start: a process without a tty loses its stderr.
          stderr: (exec.config.AttachStderr ?? true) && !tty,
          tty,
          detachKeys: parseDetachKeys(exec.config.DetachKeys || DEFAULT_DETACH_KEYS),
          closeStdinOnEof: !(exec.config.Tty ?? false),
        })
      : undefined;
    let startFailed = false;
    const finished = client.wait().then(
      (exit) => exit.exitCode,
      () => 126,
    );
    try {
      await client.start();
      exec.pid = (await client.state()).pid;
      sink.emitNow(containerEvent(rec, `exec_start: ${(exec.config.Cmd ?? []).join(' ')}`, { execID: id }));
    } catch (err) {
      startFailed = true;
      const message = err instanceof ShimError ? `OCI runtime exec failed: ${err.message}: unknown` : messageOf(err);
      if (socket) tellAfterHijack(socket, tty, message);
    }
    // A command that cannot start (missing, not executable) exits 126, as under dockerd.
    const done = finished.then(async (exited) => {
      const code = startFailed ? 126 : exited;
      exec.exitCode = code;
      exec.running = false;
      exec.pid = 0;
      await client.shutdown(true).catch(() => undefined);
      cleanup();
      this.onExit?.(rec, id, code);
      return code;
    });
    if (!attached) {
      void done;
      return;
    }
    await done;
    await attached.done;
    socket?.end();
  }

  /** Starts an exec shim for `config` in the running container (its process waits for START). */
  private async launch(rec: ContainerRecord, id: string, config: ExecCreateBody, stdin: boolean): Promise<{ client: ShimClient; cleanup: () => void }> {
    const paths = this.containers.paths;
    const stateDir = paths.execState(id);
    const cleanup = (): void => {
      rmSync(stateDir, { recursive: true, force: true });
      this.launched.delete(stateDir);
    };
    cleanup();
    this.launched.add(stateDir);
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    try {
      const spec = JSON.parse(readFileSync(join(paths.state(rec.id), 'config.json'), 'utf8')) as OciSpec;
      const processFile = join(stateDir, 'process.json');
      writeFileSync(processFile, serializeSpec(buildExecProcess(spec, config, paths.rootfs(rec.id), rec.hostConfig.GroupAdd)));
      const runtime = resolveRuntime(rec.runtime, this.opts.defaultRuntime, this.opts.runtimes);
      const { client } = await startShim({
        id: rec.id,
        bundle: paths.state(rec.id),
        stateDir,
        runtime: runtime.path,
        runtimeRoot: paths.runtimeRoot(runtime.name),
        stdin,
        terminal: config.Tty ?? false,
        execProcess: processFile,
      });
      return { client, cleanup };
    } catch (err) {
      cleanup();
      throw err;
    }
  }

  /**
   * A health probe: runs `cmd` in the container without an exec record, keeps
   * the first 4 KiB of its output, and kills it after `timeoutMs` (exit code -1).
   */
  async probe(rec: ContainerRecord, cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const { client, cleanup } = await this.launch(rec, randomBytes(16).toString('hex'), { Cmd: cmd, AttachStdout: true, AttachStderr: true }, false);
    try {
      const attach = await client.attach({ stdout: true, stderr: true });
      let output = '';
      const keep = (b: Buffer): void => {
        if (output.length < 4096) output = (output + b.toString()).slice(0, 4096);
      };
      attach.stdout.on('data', keep);
      attach.stderr.on('data', keep);
      const exited = client.wait();
      try {
        await client.start();
      } catch (err) {
        return { exitCode: err instanceof ShimError ? err.exitCode : 126, output: messageOf(err) };
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs)));
      const exit = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (exit === null) {
        await client.kill(9, true).catch(() => undefined);
        return { exitCode: -1, output: `Health check exceeded timeout (${timeoutMs / 1000}s)` };
      }
      await attach.exit;
      return { exitCode: exit.exitCode, output };
    } finally {
      await client.shutdown(true).catch(() => undefined);
      cleanup();
    }
  }

  /**
   * At daemon start: exec records died with the daemon that made them (dockerd's
   * do too) but their shims did not. A running exec is left to finish, then its
   * shim is shut down; one that never started or has ended, at once. In the
   * background: a shim stuck in START (an exec into a frozen container) answers
   * only once the container thaws or dies. Shims this daemon launched (health
   * probes resumed by the container restore) are left alone.
   */
  async restore(): Promise<void> {
    const root = this.containers.paths.execStates;
    let dirs: string[];
    try {
      dirs = readdirSync(root);
    } catch {
      return;
    }
    for (const name of dirs) {
      const stateDir = join(root, name);
      if (this.launched.has(stateDir)) continue;
      const client = ShimClient.forStateDir(stateDir);
      const finish = async (): Promise<void> => {
        await client.shutdown(true).catch(() => undefined);
        rmSync(stateDir, { recursive: true, force: true });
      };
      void client
        .state()
        .then((st) => (st.status === 'running' ? client.wait() : undefined))
        .then(finish, finish);
    }
  }

  async resize(id: string, rows: number, cols: number): Promise<void> {
    const e = this.get(id);
    if (!e.running || !e.client) throw new ConflictError(`Exec ${id} is not running`);
    if (e.config.Tty) await e.client.resize(rows, cols);
  }
}

/** After the hijack the only way to tell the client is the stream itself (dockerd does the same). */
function tellAfterHijack(socket: Duplex, tty: boolean, message: string): void {
  const line = Buffer.from(`${message}\r\n`);
  socket.write(tty ? line : frame(STDOUT, line));
}
