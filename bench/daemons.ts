// The daemons a bench run compares: our tsdockerd and a real dockerd, each on
// its own socket and data root under a temporary directory, stopped by PID
// (dockerd is started by the tests' helper, test/helpers/dockerd.ts).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerdVersion, startDockerd, waitForPing } from '../test/helpers/dockerd';
import { removeHostNetworking } from '../test/helpers/host-net';

export const ROOT = join(__dirname, '..');
export const CLI_PATH = join(ROOT, 'bin', 'tsdocker');

export interface Daemon {
  host: string;
  socket: string;
  pid: number;
  version: string;
  /** The data root, when this bench started the daemon. */
  dataRoot?: string;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess, dir: string, after: () => void = () => undefined): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    after();
    rmSync(dir, { recursive: true, force: true });
  };
}

/** Our daemon on its own socket; `args` adds flags (more -H hosts, TLS). */
export async function startTsdockerd(args: string[] = []): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-bench-'));
  const socket = join(dir, 'tsdocker.sock');
  writeFileSync(join(dir, 'none.json'), '{}');
  // Started as users start it: its #! line carries the daemon's V8 flags.
  const child = spawn(
    join(ROOT, 'bin', 'tsdockerd'),
    ['-H', `unix://${socket}`, '--data-root', join(dir, 'root'), '--exec-root', join(dir, 'exec'),
      '--pidfile', join(dir, 'd.pid'), '--config-file', join(dir, 'none.json'), '--log-level', 'warn', ...args],
    { stdio: 'ignore' },
  );
  await waitForPing(socket, child, 'tsdockerd', 20_000);
  // Its bridges and nft table stay at exit (as docker0 does): removed with the bench's daemon.
  const cleanup = () => removeHostNetworking(join(dir, 'root'), join(dir, 'exec'));
  return { host: `unix://${socket}`, socket, pid: child.pid!, version: 'tsdocker', dataRoot: join(dir, 'root'), stop: stopper(child, dir, cleanup) };
}

/** A second dockerd peer on a bridge the bench made (no iptables rules on the host): its veth set-up cost. */
export async function startBridgedDockerd(bridge: string): Promise<Daemon | undefined> {
  if (process.env['BENCH_PEER'] === '0' || dockerdVersion() === undefined) return undefined;
  const d = await startDockerd({ prefix: 'dockerd-benchnet-', namespace: 'tsd-benchnet', bridge });
  return { host: d.host, socket: d.socket, pid: d.pid, version: d.version, dataRoot: d.dataRoot, stop: d.stop };
}

export async function startPeerDockerd(): Promise<Daemon | undefined> {
  const given = process.env['BENCH_PEER_HOST'];
  if (given) {
    const socket = given.replace(/^unix:\/\//, '');
    await waitForPing(socket, undefined, 'BENCH_PEER_HOST', 5000);
    const pid = Number(spawnSync('fuser', [socket], { encoding: 'utf8' }).stdout.trim().split(/\s+/)[0] ?? 0);
    return { host: given, socket, pid, version: 'given', stop: async () => undefined };
  }
  if (process.env['BENCH_PEER'] === '0' || dockerdVersion() === undefined) return undefined;
  const d = await startDockerd({ prefix: 'dockerd-bench-', namespace: 'tsd-bench' });
  return { host: d.host, socket: d.socket, pid: d.pid, version: d.version, dataRoot: d.dataRoot, stop: d.stop };
}
