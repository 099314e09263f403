// run, create, start, attach and exec: the commands that may hijack a
// connection. The calls and their order are docker 28's (see
// shared/spec/CLI-CALLS.md): run is create → attach → wait (headers received)
// → start → resize, and its exit status is the container's, from wait's body.
import { closeSync, existsSync, openSync, unlinkSync, writeSync } from 'node:fs';
import type { Command } from 'commander';
import type { ContainerCreateResponse, ContainerInspect, ContainerWaitResponse, ExecInspect } from '../../api/containers';
import type { Cli } from '../cli';
import { CliError } from '../cli';
import { DaemonError, errorMessage } from '../client';
import { hijack } from '../hijack';
import { printMessages } from '../jsonstream';
import { monitorTerminalSize, terminalSize } from '../tty';
import { AttachedStreams, holdSignals, proxySignals, type StreamEnd } from './containers-io';
import { errorText } from './containers-ops';
import { goPathError } from './containers-units';
import { buildCreateRequest, type CreateRequest } from './containers-create';
import { readEnv } from './containers-env';
import type { ContainerFlags } from './containers-opts';

const PROG = 'tsdocker';
/** moby/term's EscapeError, which attach and exec print when the user detaches. */
const DETACHED = 'read escape sequence';

/** docker's reportError for run/create: `docker: <msg>`, a blank line, the help hint. */
function runError(command: string, message: string, exitCode: number): CliError {
  return new CliError(`${PROG}: ${message}\n\nRun '${PROG} ${command} --help' for more information`, exitCode);
}

/** runStartContainerErr: 127 for a missing executable, 126 for a forbidden one, else 125. */
export function startErrorStatus(message: string): number {
  const m = message.replace(/^Error response from daemon: /, '');
  if (m.includes('executable file not found') || m.includes('no such file or directory') || m.includes('system cannot find the file specified')) return 127;
  if (m.includes('permission denied') || m.includes('is a directory')) return 126;
  return 125;
}

interface PendingWait {
  /** The wait's answer, or the error that ended it. */
  result: Promise<ContainerWaitResponse | Error>;
  /** Drops the request (run -d, a detach): close() alone would wait for its answer. */
  abandon: () => void;
}

/** `/containers/{id}/wait` on a connection of its own; resolves once the daemon has sent the headers. */
async function waitRequest(cli: Cli, id: string, condition?: 'next-exit' | 'removed'): Promise<PendingWait> {
  const client = await cli.client.fork();
  const abandon = () => void client.destroy().catch(() => {});
  try {
    const res = await client.send('POST', `/containers/${id}/wait`, { query: { condition } });
    const result = res.body
      .then((text) => {
        if (res.status >= 400) throw new DaemonError(res.status, errorMessage(text, res.status));
        return JSON.parse(text) as ContainerWaitResponse;
      })
      .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))
      .finally(abandon);
    return { result, abandon };
  } catch (err) {
    abandon();
    return { result: Promise.resolve(err instanceof Error ? err : new Error(String(err))), abandon };
  }
}

/** run's and start's exit status from a wait: the container's, or 125 when waiting failed. */
async function exitStatus(cli: Cli, wait: PendingWait): Promise<number> {
  const r = await wait.result;
  if (r instanceof Error) {
    cli.err(`error waiting for container: ${errorText(r)}\n`);
    return 125;
  }
  if (r.Error?.Message) {
    cli.err(`Error waiting for container: ${r.Error.Message}\n`);
    return 125;
  }
  return r.StatusCode;
}

/** docker's --cidfile: refused when it exists, removed again when no ID was written. */
function openCidFile(path: string | undefined): { write(id: string): void; close(): void } {
  if (!path) return { write() {}, close() {} };
  if (existsSync(path)) throw new Error(`container ID file found, make sure the other container isn't running or delete ${path}`);
  let fd: number;
  try {
    fd = openSync(path, 'w', 0o666);
  } catch (err) {
    throw new Error(`failed to create the container ID file: ${goPathError(err)}`);
  }
  let written = false;
  return {
    write(id) {
      writeSync(fd, id);
      written = true;
    },
    close() {
      closeSync(fd);
      if (!written) unlinkSync(path);
    },
  };
}

/** Normalized name and tag for POST /images/create?fromImage=… (and the familiar name for messages). */
async function pullTarget(image: string): Promise<{ fromImage: string; tag: string; familiar: string }> {
  const ref = await import('../../api/reference');
  const named = ref.withDefaultTag(ref.parseNormalizedNamed(image));
  return { fromImage: named.name, tag: named.digest ?? named.tag ?? 'latest', familiar: ref.familiarString(named) };
}

async function pullImage(cli: Cli, image: string, quiet: boolean, platform: string | undefined): Promise<void> {
  const { fromImage, tag } = await pullTarget(image);
  const res = await cli.client.stream('POST', '/images/create', {
    query: { fromImage, tag, platform },
    headers: { 'X-Registry-Auth': 'e30=' },
  });
  await printMessages(res.body, (s) => (quiet ? undefined : cli.err(s)));
}

const isNoSuchImage = (err: unknown) => err instanceof DaemonError && err.status === 404 && /^No such image/i.test(err.message);

/** docker's createContainer: create, and on a missing image pull it (unless --pull never) and create again. */
async function createContainer(cli: Cli, req: CreateRequest, f: ContainerFlags, image: string): Promise<string> {
  // Loaded only when asked for: a plain run does not pay for the tar writer.
  const apiSocket = f.useApiSocket ? await import('./containers-apisocket') : undefined;
  const config = apiSocket?.useApiSocket(cli.host, req.body);
  const cid = openCidFile(f.cidfile);
  try {
    if (f.pull === 'always') await pullImage(cli, image, f.quiet === true, f.platform);
    const create = () => cli.client.json<ContainerCreateResponse>('POST', '/containers/create', { query: req.query, body: req.body });
    let res;
    try {
      res = await create();
    } catch (err) {
      if (!isNoSuchImage(err) || f.pull !== 'missing') throw err;
      if (!f.quiet) cli.err(`Unable to find image '${(await pullTarget(image).catch(() => ({ familiar: image }))).familiar}' locally\n`);
      await pullImage(cli, image, f.quiet === true, f.platform);
      res = await create();
    }
    for (const w of res.body.Warnings ?? []) cli.err(`WARNING: ${w}\n`);
    if (apiSocket && config) await apiSocket.copyConfigIn(cli, res.body.Id, config);
    cid.write(res.body.Id);
    return res.body.Id;
  } finally {
    cid.close();
  }
}

/** The request of run/create from the command's flags, or docker's 125 error. */
export function createRequest(cmd: Command, command: string, image: string, args: string[]): { f: ContainerFlags; req: CreateRequest } {
  const f = cmd.opts<ContainerFlags>();
  if (!['always', 'missing', 'never', ''].includes(f.pull)) {
    throw runError(command, `invalid pull option: '${f.pull}': must be one of "always", "missing" or "never"`, 125);
  }
  const changed = (flag: string) => cmd.getOptionValueSource(flag.replace(/-(.)/g, (_m, c: string) => c.toUpperCase())) === 'cli';
  try {
    return { f, req: buildCreateRequest(f, image, args, changed, terminalSize()) };
  } catch (err) {
    if (err instanceof CliError) throw err; // its own words and status (--platform: exit 1, as docker's)
    throw runError(command, (err as Error).message, 125);
  }
}

export async function create(cli: Cli, cmd: Command, image: string, args: string[]): Promise<void> {
  const { f, req } = createRequest(cmd, 'create', image, args);
  cli.out(`${await createContainer(cli, req, f, image)}\n`);
}

export async function run(cli: Cli, cmd: Command, image: string, args: string[]): Promise<void> {
  const { f, req } = createRequest(cmd, 'run', image, args);
  const config = req.body as { AttachStdin: boolean; AttachStdout: boolean; AttachStderr: boolean; Tty: boolean; StdinOnce: boolean };
  if (!f.detach) {
    if (config.AttachStdin && config.Tty && !process.stdin.isTTY) throw new CliError('the input device is not a TTY');
  } else {
    if (f.attach?.length) throw new CliError('conflicting options: cannot specify both --attach and --detach');
    Object.assign(config, { AttachStdin: false, AttachStdout: false, AttachStderr: false, StdinOnce: false });
  }
  let id: string;
  try {
    id = await createContainer(cli, req, f, image);
  } catch (err) {
    throw runError('run', errorText(err), startErrorStatus(errorText(err)));
  }
  const cleanups: Array<() => void> = [];
  try {
    if (f.sigProxy !== false) cleanups.push(proxySignals((signal) => cli.client.json('POST', `/containers/${id}/kill`, { query: { signal } })));
    else cleanups.push(holdSignals());
    const attached = config.AttachStdin || config.AttachStdout || config.AttachStderr;
    if (!config.AttachStdout && !config.AttachStderr) cli.out(`${id}\n`);
    // Attach and wait, each on its own connection, go out together; start waits for both.
    const attaching = attached
      ? hijack(cli.client, `/containers/${id}/attach`, {
          query: { detachKeys: f.detachKeys, stderr: config.AttachStderr ? 1 : undefined, stdin: config.AttachStdin ? 1 : undefined, stdout: config.AttachStdout ? 1 : undefined, stream: 1 },
          outputOnly: !config.AttachStdin,
        })
      : undefined;
    const waiting = waitRequest(cli, id, f.rm ? 'removed' : 'next-exit');
    const [socket, wait] = await Promise.all([attaching?.catch(async (err: unknown) => { (await waiting).abandon(); throw err; }), waiting]);
    cleanups.push(wait.abandon);
    let streams: AttachedStreams | undefined;
    if (socket) {
      streams = new AttachedStreams(socket, { stdin: config.AttachStdin, stdout: config.AttachStdout, stderr: config.AttachStderr, tty: config.Tty, detachKeys: f.detachKeys, warn: (m) => cli.err(m) });
      cleanups.push(() => streams!.close());
    }
    try {
      await cli.client.json('POST', `/containers/${id}/start`);
    } catch (err) {
      streams?.close();
      cli.err(`${PROG}: ${errorText(err)}\n\nRun '${PROG} run --help' for more information\n`);
      if (f.rm) await wait.result;
      throw new CliError('', startErrorStatus(errorText(err)));
    }
    if (attached && config.Tty && process.stdout.isTTY) cleanups.push(monitorResize(cli, `/containers/${id}/resize`));
    if (streams) {
      const end = await streamEnd(streams);
      if (end === 'detached') return;
    }
    if (!config.AttachStdout && !config.AttachStderr) return;
    const status = await exitStatus(cli, wait);
    if (status !== 0) throw new CliError('', status);
  } finally {
    for (const c of cleanups.reverse()) c();
  }
}

/** The streams' end; a broken stream is the command's error, as docker's "Error hijack". */
async function streamEnd(streams: AttachedStreams): Promise<StreamEnd> {
  try {
    return await streams.done;
  } catch (err) {
    throw new CliError(errorText(err));
  }
}

function monitorResize(cli: Cli, path: string): () => void {
  return monitorTerminalSize(
    async (h, w) => void (await cli.client.json('POST', path, { query: { h, w } })),
    (m) => cli.err(m),
  );
}

export async function start(cli: Cli, names: string[], o: { attach?: boolean; interactive?: boolean; detachKeys?: string }): Promise<void> {
  if (!o.attach && !o.interactive) {
    const failed: string[] = [];
    for (const name of names) {
      try {
        await cli.client.json('POST', `/containers/${name}/start`);
        cli.out(`${name}\n`);
      } catch (err) {
        cli.err(`${errorText(err)}\n`);
        failed.push(name);
      }
    }
    if (failed.length) throw new CliError(`Error: failed to start containers: ${failed.join(', ')}`);
    return;
  }
  if (names.length > 1) throw new CliError('you cannot start and attach multiple containers at once');
  const c = await cli.client.get<ContainerInspect>(`/containers/${names[0]}/json`);
  const cleanups: Array<() => void> = [];
  try {
    if (!c.Config.Tty) cleanups.push(proxySignals((signal) => cli.client.json('POST', `/containers/${c.Id}/kill`, { query: { signal } })));
    const stdin = o.interactive === true && c.Config.OpenStdin;
    const socket = await hijack(cli.client, `/containers/${c.Id}/attach`, {
      query: { detachKeys: o.detachKeys, stderr: 1, stdin: stdin ? 1 : undefined, stdout: 1, stream: 1 },
      outputOnly: !stdin,
    });
    const streams = new AttachedStreams(socket, { stdin, stdout: true, stderr: true, tty: c.Config.Tty, detachKeys: o.detachKeys, warn: (m) => cli.err(m) });
    cleanups.push(() => streams.close());
    const wait = await waitRequest(cli, c.Id, c.HostConfig.AutoRemove ? 'removed' : 'next-exit');
    cleanups.push(wait.abandon);
    try {
      await cli.client.json('POST', `/containers/${c.Id}/start`);
    } catch (err) {
      streams.close();
      if (c.HostConfig.AutoRemove) await wait.result;
      throw err;
    }
    if (c.Config.Tty && process.stdout.isTTY) cleanups.push(monitorResize(cli, `/containers/${c.Id}/resize`));
    if ((await streamEnd(streams)) === 'detached') return;
    const status = await exitStatus(cli, wait);
    if (status !== 0) throw new CliError('', status);
  } finally {
    for (const c of cleanups.reverse()) c();
  }
}

/** docker attach: refuses stopped, paused or restarting containers. */
async function attachableContainer(cli: Cli, name: string): Promise<ContainerInspect> {
  const c = await cli.client.get<ContainerInspect>(`/containers/${name}/json`);
  if (!c.State.Running) throw new CliError('You cannot attach to a stopped container, start it first');
  if (c.State.Paused) throw new CliError('cannot attach to a paused container, unpause it first');
  if (c.State.Restarting) throw new CliError('cannot attach to a restarting container, wait until it is running');
  return c;
}

export async function attach(cli: Cli, name: string, o: { stdin: boolean; sigProxy?: boolean; detachKeys?: string }): Promise<void> {
  const cleanups: Array<() => void> = [];
  try {
    // docker asks for the exit status first, so a quick exit is not missed.
    const wait = await waitRequest(cli, name);
    cleanups.push(wait.abandon);
    const c = await attachableContainer(cli, name);
    const stdinWanted = o.stdin !== false;
    if (stdinWanted && c.Config.Tty && !process.stdin.isTTY) throw new CliError('the input device is not a TTY');
    const stdin = stdinWanted && c.Config.OpenStdin;
    if (o.sigProxy !== false && !c.Config.Tty) cleanups.push(proxySignals((signal) => cli.client.json('POST', `/containers/${name}/kill`, { query: { signal } })));
    else cleanups.push(holdSignals());
    const socket = await hijack(cli.client, `/containers/${name}/attach`, {
      query: { detachKeys: o.detachKeys, stderr: 1, stdin: stdin ? 1 : undefined, stdout: 1, stream: 1 },
      outputOnly: !stdin,
    });
    const streams = new AttachedStreams(socket, { stdin, stdout: true, stderr: true, tty: c.Config.Tty, detachKeys: o.detachKeys, warn: (m) => cli.err(m) });
    cleanups.push(() => streams.close());
    await attachableContainer(cli, name);
    if (c.Config.Tty && process.stdout.isTTY) {
      // A size off by one first, so the shell redraws its prompt on a second attach.
      const [h, w] = terminalSize();
      if (h || w) await cli.client.json('POST', `/containers/${name}/resize`, { query: { h: h + 1, w: w + 1 } }).catch(() => {});
      cleanups.push(monitorResize(cli, `/containers/${name}/resize`));
    }
    // Unlike run and start, docker's attach reports a detach as its error.
    if ((await streamEnd(streams)) === 'detached') throw new CliError(DETACHED);
    const result = await wait.result;
    if (result instanceof Error) throw result;
    if (result.Error?.Message) throw new CliError(result.Error.Message);
    if (result.StatusCode !== 0) throw new CliError('', result.StatusCode);
  } finally {
    for (const c of cleanups.reverse()) c();
  }
}

export interface ExecFlags {
  detach?: boolean;
  detachKeys?: string;
  env?: string[];
  envFile?: string[];
  interactive?: boolean;
  privileged?: boolean;
  tty?: boolean;
  user?: string;
  workdir?: string;
}

export async function exec(cli: Cli, name: string, command: string[], o: ExecFlags): Promise<void> {
  let env: string[] | null;
  try {
    env = readEnv(o.envFile, o.env);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const detach = o.detach === true;
  const tty = o.tty === true;
  const attachStdin = !detach && o.interactive === true;
  // Inspect first: a missing container is the error to report, before any exec is created.
  await cli.client.get(`/containers/${name}/json`);
  if (!detach && attachStdin && tty && !process.stdin.isTTY) throw new CliError('the input device is not a TTY');
  const consoleSize = tty ? terminalSize() : undefined;
  const body = {
    User: o.user ?? '',
    Privileged: o.privileged === true,
    Tty: tty,
    ...(consoleSize ? { ConsoleSize: consoleSize } : {}),
    AttachStdin: attachStdin,
    AttachStderr: !detach,
    AttachStdout: !detach,
    Detach: detach,
    DetachKeys: o.detachKeys ?? '',
    Env: env,
    WorkingDir: o.workdir ?? '',
    Cmd: command,
  };
  const { body: created } = await cli.client.json<{ Id: string }>('POST', `/containers/${name}/exec`, { body });
  if (!created.Id) throw new CliError('exec ID empty');
  const startBody = { Detach: detach, Tty: tty, ...(consoleSize ? { ConsoleSize: consoleSize } : {}) };
  if (detach) {
    await cli.client.json('POST', `/exec/${created.Id}/start`, { body: startBody });
    return;
  }
  const socket = await hijack(cli.client, `/exec/${created.Id}/start`, { body: startBody, outputOnly: !attachStdin });
  const streams = new AttachedStreams(socket, { stdin: attachStdin, stdout: true, stderr: true, tty, detachKeys: o.detachKeys, warn: (m) => cli.err(m) });
  let stopResize = () => {};
  // exec forwards no signal: SIGINT/SIGTERM end the CLI at once with 0 as docker 28's does, the process lives on.
  const leave = () => {
    streams.close();
    process.exit(0);
  };
  process.once('SIGINT', leave).once('SIGTERM', leave);
  try {
    if (tty && process.stdin.isTTY) stopResize = monitorResize(cli, `/exec/${created.Id}/resize`);
    if ((await streamEnd(streams)) === 'detached') throw new CliError(DETACHED);
  } finally {
    process.off('SIGINT', leave).off('SIGTERM', leave);
    stopResize();
    streams.close();
  }
  const inspect = await cli.client.get<ExecInspect>(`/exec/${created.Id}/json`);
  if (inspect.ExitCode) throw new CliError('', inspect.ExitCode);
}
