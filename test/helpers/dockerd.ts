// A real Debian dockerd (docker.io) as a peer: its own temporary socket, data
// root, exec root and pidfile, no bridge, no iptables, its own containerd
// namespace, stopped by PID with its directories removed. Tests use it to
// compare behaviour; bench/daemons.ts uses it as the bench's peer.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Dockerd {
  dir: string;
  socket: string;
  host: string;
  dataRoot: string;
  execRoot: string;
  pid: number;
  /** `20.10.24+dfsg1` */
  version: string;
  /** The last lines dockerd logged. */
  logs(): string;
  /** The real docker CLI against this dockerd. */
  docker(args: string[], opts?: { input?: string | Buffer; timeout?: number }): { code: number; stdout: string; stderr: string };
  /** SIGTERM (SIGKILL after 15 s), its containerd too, unmount what it left under dir, remove dir. */
  stop(): Promise<void>;
}

/** The dockerd version, or undefined when docker.io is not installed. */
export function dockerdVersion(): string | undefined {
  const r = spawnSync('dockerd', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return r.stdout.replace(/^Docker version /, '').split(',')[0]!.trim();
}

/** Why a test needing dockerd cannot run, or undefined when it can. */
export function dockerdMissingReason(): string | undefined {
  if (dockerdVersion() === undefined) return 'dockerd is not installed: apt-get install docker.io (CI installs it in .ci/run)';
  if (spawnSync('docker', ['--version']).status !== 0) return 'the docker CLI is not installed';
  return undefined;
}

export function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}

/** Waits until `socket` answers /_ping; fails early when `child` exits. */
export async function waitForPing(socket: string, child: ChildProcess | undefined, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`${what} exited with ${child.exitCode ?? child.signalCode}`);
    }
    if (existsSync(socket) && (await ping(socket))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not answer on ${socket} within ${ms} ms`);
}

/** Mount points at or below `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)))
    .map((p) => p.replace(/\\040/g, ' '));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

function pidFrom(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether `pid` is still the process we started: its command line names our exec root. */
function ownedBy(pid: number, execRoot: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(execRoot);
  } catch {
    return false;
  }
}

/** Starts dockerd on a fresh temp dir; throws (with its log) if it does not come up within a minute. */
/** `bridge`: an existing Linux bridge for dockerd's default network (still no iptables rules); none by default. */
export async function startDockerd(opts: { prefix?: string; namespace?: string; bridge?: string; args?: string[] } = {}): Promise<Dockerd> {
  const version = dockerdVersion();
  if (version === undefined) throw new Error(dockerdMissingReason());
  const dir = mkdtempSync(join(tmpdir(), opts.prefix ?? 'dockerd-test-'));
  const socket = join(dir, 'docker.sock');
  const dataRoot = join(dir, 'root');
  const execRoot = join(dir, 'exec');
  const namespace = opts.namespace ?? 'tsd-test';
  writeFileSync(join(dir, 'daemon.json'), '{}\n');
  const child = spawn(
    'dockerd',
    ['--host', `unix://${socket}`, '--data-root', dataRoot, '--exec-root', execRoot, '--pidfile', join(dir, 'dockerd.pid'),
      '--config-file', join(dir, 'daemon.json'), '--bridge', opts.bridge ?? 'none', '--iptables=false', '--ip6tables=false', '--ip-masq=false',
      '--containerd-namespace', namespace, '--containerd-plugins-namespace', `${namespace}-plugins`, ...(opts.args ?? [])],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    // dockerd supervises its own containerd; a dockerd killed hard leaves it running.
    const containerd = pidFrom(join(execRoot, 'containerd', 'containerd.pid'));
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    if (containerd !== undefined && alive(containerd) && ownedBy(containerd, execRoot)) {
      process.kill(containerd, 'SIGTERM');
      for (let i = 0; i < 100 && alive(containerd); i++) await new Promise((r) => setTimeout(r, 50));
    }
    for (const point of mountsUnder(dir)) spawnSync('umount', ['-l', point]);
    rmSync(dir, { recursive: true, force: true });
  };

  const daemon: Dockerd = {
    dir, socket, host: `unix://${socket}`, dataRoot, execRoot, pid: child.pid!, version,
    logs: () => log,
    docker: (args, o) => {
      const r = spawnSync('docker', args, {
        input: o?.input,
        encoding: 'utf8',
        env: { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(dir, 'docker-config') },
        timeout: o?.timeout ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    stop,
  };
  try {
    await waitForPing(socket, child, 'dockerd', 60_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return daemon;
}
