// The daemons a bench run compares: our tsdockerd and a real dockerd, each on
// its own socket and data root under a temporary directory, stopped by PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..');
export const CLI_PATH = join(ROOT, 'bin', 'tsdocker');

export interface Daemon {
  host: string;
  socket: string;
  pid: number;
  version: string;
  stop(): Promise<void>;
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}

async function waitFor(socket: string, child: ChildProcess | undefined, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    if (existsSync(socket) && (await ping(socket))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not answer on ${socket} within ${ms} ms`);
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

export async function startTsdockerd(): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-bench-'));
  const socket = join(dir, 'tsdocker.sock');
  writeFileSync(join(dir, 'none.json'), '{}');
  const child = spawn(
    process.execPath,
    [join(ROOT, 'dist', 'tsdockerd.js'), '-H', `unix://${socket}`, '--data-root', join(dir, 'root'), '--exec-root', join(dir, 'exec'),
      '--pidfile', join(dir, 'd.pid'), '--config-file', join(dir, 'none.json'), '--log-level', 'warn'],
    { stdio: 'ignore' },
  );
  await waitFor(socket, child, 'tsdockerd', 20_000);
  return { host: `unix://${socket}`, socket, pid: child.pid!, version: 'tsdocker', stop: stopper(child, dir) };
}

export async function startPeerDockerd(): Promise<Daemon | undefined> {
  const given = process.env['BENCH_PEER_HOST'];
  if (given) {
    const socket = given.replace(/^unix:\/\//, '');
    await waitFor(socket, undefined, 'BENCH_PEER_HOST', 5000);
    const pid = Number(spawnSync('fuser', [socket], { encoding: 'utf8' }).stdout.trim().split(/\s+/)[0] ?? 0);
    return { host: given, socket, pid, version: 'given', stop: async () => undefined };
  }
  if (process.env['BENCH_PEER'] === '0' || spawnSync('dockerd', ['--version']).status !== 0) return undefined;
  const version = spawnSync('dockerd', ['--version'], { encoding: 'utf8' }).stdout.replace(/^Docker version /, '').split(',')[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'dockerd-bench-'));
  const socket = join(dir, 'docker.sock');
  writeFileSync(join(dir, 'none.json'), '{}');
  const child = spawn(
    'dockerd',
    ['--host', `unix://${socket}`, '--data-root', join(dir, 'root'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'd.pid'),
      '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--config-file', join(dir, 'none.json'),
      '--containerd-namespace', 'tsd-bench', '--containerd-plugins-namespace', 'tsd-bench-plugins'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  try {
    await waitFor(socket, child, 'dockerd', 60_000);
  } catch (err) {
    await stopper(child, dir)();
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return { host: `unix://${socket}`, socket, pid: child.pid!, version, stop: stopper(child, dir) };
}
