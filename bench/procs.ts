// The processes that run a daemon's containers, and their memory. They are
// found through the daemon's own exec root (read from its command line) and
// the ids of the containers the bench started, never by process name alone,
// so nothing else on the machine is counted:
//   tsdockerd: the daemon + <exec-root>/<id>/shim.pid of each container.
//   dockerd:   the daemon + its containerd (<exec-root>/containerd/containerd.pid)
//              + each containerd-shim-runc-v2 whose command line names that
//              containerd's socket and the container's id.
// The container processes themselves (the same busybox on both) are left out.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes. PSS splits pages shared between processes (the shims' code) among them; RSS counts them in each. */
export interface Memory {
  rss: number;
  pss: number;
}

export interface DaemonProcesses {
  /** The daemon and its helper daemons (dockerd's containerd). */
  daemon: number[];
  /** One shim per container found. */
  shims: number[];
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return [];
  }
}

function pidFile(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The value of `--flag X` or `--flag=X` on a process's command line. */
function flagOf(pid: number, flag: string): string | undefined {
  const args = cmdline(pid);
  for (const [i, a] of args.entries()) {
    if (a === flag) return args[i + 1];
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
  }
  return undefined;
}

/** Memory of one process; zero when it has exited. */
export function memoryOf(pid: number): Memory {
  const field = (text: string, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  try {
    return { rss: field(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS'), pss: field(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss') };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

export function totalMemory(pids: number[]): Memory {
  return pids.map(memoryOf).reduce((a, b) => ({ rss: a.rss + b.rss, pss: a.pss + b.pss }), { rss: 0, pss: 0 });
}

/** tsdockerd and the shims of `ids` (each shim's --state is <exec-root>/<id>). */
export function tsdockerdProcesses(daemonPid: number, ids: string[]): DaemonProcesses {
  const execRoot = flagOf(daemonPid, '--exec-root');
  if (execRoot === undefined) throw new Error(`tsdockerd ${daemonPid}: no --exec-root on its command line`);
  const shims = ids
    .map((id) => ({ id, pid: pidFile(join(execRoot, id, 'shim.pid')) }))
    .filter((s): s is { id: string; pid: number } => s.pid !== undefined && flagOf(s.pid, '--state') === join(execRoot, s.id))
    .map((s) => s.pid);
  return { daemon: [daemonPid], shims };
}

/** dockerd, its containerd and the containerd shims of `ids`. */
export function dockerdProcesses(daemonPid: number, ids: string[]): DaemonProcesses {
  const execRoot = flagOf(daemonPid, '--exec-root') ?? '/var/run/docker';
  const containerd = pidFile(join(execRoot, 'containerd', 'containerd.pid'));
  const address = join(execRoot, 'containerd', 'containerd.sock');
  const wanted = new Set(ids);
  const shims: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const args = cmdline(pid);
    if (!args[0]?.endsWith('containerd-shim-runc-v2')) continue;
    const id = args[args.indexOf('-id') + 1];
    if (args[args.indexOf('-address') + 1] === address && id !== undefined && wanted.has(id)) shims.push(pid);
  }
  const daemon = [daemonPid];
  if (containerd !== undefined && cmdline(containerd).some((a) => a.includes(execRoot))) daemon.push(containerd);
  return { daemon, shims };
}
