// A real tsdockerd for one test file: its own temporary socket, data root,
// exec root and pidfile, started as users start it (bin/tsdockerd: the built
// bundle on the Node LTS the install pins) and stopped by PID.
// Also runs our CLI and the real docker CLI against it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { removeHostNetworking } from './host-net';

export const ROOT = join(__dirname, '..', '..');
export const DAEMON = join(ROOT, 'bin', 'tsdockerd');
export const CLI = join(ROOT, 'bin', 'tsdocker');

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface TestDaemon {
  dir: string;
  socket: string;
  host: string;
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  process: ChildProcess;
  /** What the daemon wrote to stderr so far (pino JSON lines). */
  logs(): string;
  /** Our CLI against this daemon. */
  cli(args: string[], opts?: { input?: string; env?: Record<string, string> }): CommandResult;
  /** The real docker CLI against this daemon. */
  docker(args: string[], opts?: { input?: string; env?: Record<string, string> }): CommandResult;
  request(method: string, path: string, body?: unknown): Promise<HttpResult>;
  /** Sends a signal and waits for the process to exit; returns its exit code. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** Stops the daemon (SIGTERM) and removes its directories. */
  cleanup(): Promise<void>;
}

export const hasDocker = spawnSync('docker', ['--version']).status === 0;

export interface StartOptions {
  dir?: string;
  args?: string[];
  /** Extra -H hosts besides the test's own socket. */
  hosts?: string[];
  waitReady?: boolean;
}

export async function startDaemon(opts: StartOptions = {}): Promise<TestDaemon> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'tsd-test-'));
  const socket = join(dir, 'tsdocker.sock');
  const dataRoot = join(dir, 'root');
  const execRoot = join(dir, 'exec');
  const pidfile = join(dir, 'tsdockerd.pid');
  if (!existsSync(join(dir, 'daemon.json'))) writeFileSync(join(dir, 'daemon.json'), '{}\n');
  const args = [
    '-H', `unix://${socket}`,
    ...(opts.hosts ?? []).flatMap((h) => ['-H', h]),
    '--data-root', dataRoot,
    '--exec-root', execRoot,
    '--pidfile', pidfile,
    '--config-file', join(dir, 'daemon.json'),
    ...(opts.args ?? []),
  ];
  // stderr goes to a file, not a pipe: a test blocked in spawnSync reads no
  // pipe, and a daemon whose stderr pipe is full waits in its log writes.
  const logFile = join(dir, 'daemon.log');
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  const logFd = openSync(logFile, 'a', 0o600);
  const child = spawn(DAEMON, args, { stdio: ['ignore', 'ignore', logFd] });
  closeSync(logFd);
  const logs = (): string => (existsSync(logFile) ? readFileSync(logFile).subarray(logStart).toString() : '');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const host = `unix://${socket}`;

  const run = (cmd: string, argv: string[], input?: string, env?: Record<string, string>): CommandResult => {
    const r = spawnSync(cmd, argv, {
      input,
      encoding: 'utf8',
      env: { ...process.env, DOCKER_HOST: host, TSDOCKER_HOST: '', DOCKER_CONFIG: join(dir, 'docker-config'), ...env },
      timeout: 60_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  const daemon: TestDaemon = {
    dir, socket, host, dataRoot, execRoot, pidfile,
    process: child,
    logs,
    cli: (argv, o) => run(CLI, argv, o?.input, o?.env),
    docker: (argv, o) => run('docker', argv, o?.input, o?.env),
    request: (method, path, body) => httpRequest(socket, method, path, body),
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
    async cleanup() {
      await daemon.kill('SIGTERM');
      removeHostNetworking(dataRoot, execRoot);
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  if (opts.waitReady !== false) {
    try {
      await waitReady(daemon, exited);
    } catch (err) {
      await daemon.kill('SIGKILL');
      throw err;
    }
  }
  return daemon;
}

async function waitReady(daemon: TestDaemon, exited: Promise<number | null>): Promise<void> {
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (dead) throw new Error(`tsdockerd exited during start:\n${daemon.logs()}`);
    if (existsSync(daemon.socket)) {
      try {
        const r = await daemon.request('GET', '/_ping');
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`tsdockerd did not become ready:\n${daemon.logs()}`);
}

export function httpRequest(socket: string, method: string, path: string, body?: unknown): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request(
      {
        socketPath: socket,
        method,
        path,
        headers: payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** A daemon with busybox:latest imported (made from the host's busybox-static). */
export async function startBusyboxDaemon(opts: StartOptions = {}): Promise<TestDaemon> {
  const { busyboxRootfsTar } = await import('../fixtures/busybox');
  const rootfs = await busyboxRootfsTar();
  const d = await startDaemon(opts);
  const r = d.docker(['import', '-c', 'CMD ["sh"]', rootfs, 'busybox:latest']);
  if (r.code !== 0) throw new Error(`docker import failed: ${r.stderr}`);
  return d;
}

/** The end of a test file's daemon: its containers, the daemon, and its directory (also when it was restarted in it). */
export async function cleanupWithContainers(d: TestDaemon | undefined): Promise<void> {
  if (!d) return;
  const ids = d.docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
  if (ids.length) d.docker(['rm', '-f', ...ids]);
  await d.cleanup();
  rmSync(d.dir, { recursive: true, force: true });
}

/** Asserts a command succeeded with nothing on stderr; returns its stdout. */
export function ok(r: CommandResult): string {
  expect(r.stderr, r.stderr).toBe('');
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** Starts tsdockerd with `args` (and a daemon.json) expecting it to refuse: its exit code and output. */
export function refusedStart(args: string[], daemonJson = '{}'): CommandResult {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-refuse-'));
  try {
    writeFileSync(join(dir, 'daemon.json'), daemonJson);
    const r = spawnSync(
      DAEMON,
      ['-H', `unix://${join(dir, 'sock')}`, '--data-root', join(dir, 'root'), '--exec-root', join(dir, 'exec'),
        '--pidfile', join(dir, 'pid'), '--config-file', join(dir, 'daemon.json'), ...args],
      { encoding: 'utf8', timeout: 15_000 },
    );
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
