// `docker top`: the host's ps, filtered to a container's processes, as moby's
// daemon/top_unix.go does it; and the container's pids, read from its cgroup.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerTopResponse } from '../api/containers';
import { isErrno } from '../errors';
import { detectCgroupVersion } from '../system/host';

const CGROUP_ROOT = '/sys/fs/cgroup';
/** v1 hierarchies that hold every process of a container, best first. */
const V1_PREFERRED = ['pids', 'memory', 'freezer'];

/**
 * Pids of the processes in a container's cgroup and its sub-cgroups (runc's
 * GetAllPids), sorted. cgroupsPath is the spec's linux.cgroupsPath, laid out
 * as native/src/cgroups.c does: "/tsdocker/<id>" (or relative), or systemd's
 * "slice:prefix:name" as /slice/prefix-name.scope. On cgroup v2 it is read
 * under /sys/fs/cgroup; on a hybrid host from the unified hierarchy when the
 * cgroup exists there, else from the pids, memory or freezer hierarchy, else
 * the first v1 hierarchy that has it. No cgroup: no pids.
 */
export function cgroupPids(cgroupsPath: string): number[] {
  const dir = cgroupDir(cgroupPathOf(cgroupsPath));
  if (dir === undefined) return [];
  const pids = new Set<number>();
  collectPids(dir, pids);
  return [...pids].sort((a, b) => a - b);
}

function cgroupPathOf(spec: string): string {
  const systemd = /^([^/:]+):([^:]+):([^:]+)$/.exec(spec);
  if (systemd) return `/${systemd[1]}/${systemd[2]}-${systemd[3]}.scope`;
  return spec.startsWith('/') ? spec : `/${spec}`;
}

function cgroupDir(path: string): string | undefined {
  if (detectCgroupVersion(CGROUP_ROOT) === '2') return existing(join(CGROUP_ROOT, path));
  const hierarchies = mountedHierarchies();
  const unified = hierarchies.find((h) => h.v2);
  const inUnified = unified && existing(join(unified.mountPoint, path));
  if (inUnified) return inUnified;
  const v1 = hierarchies.filter((h) => !h.v2);
  for (const ctrl of V1_PREFERRED) {
    const h = v1.find((x) => x.controllers.includes(ctrl));
    const dir = h && existing(join(h.mountPoint, path));
    if (dir) return dir;
  }
  for (const h of v1) {
    const dir = existing(join(h.mountPoint, path));
    if (dir) return dir;
  }
  return undefined;
}

function existing(dir: string): string | undefined {
  return existsSync(join(dir, 'cgroup.procs')) ? dir : undefined;
}

interface Hierarchy {
  mountPoint: string;
  controllers: string[];
  v2: boolean;
}

/** cgroup mounts of /proc/self/mountinfo whose root is the hierarchy's root. */
function mountedHierarchies(): Hierarchy[] {
  const out: Hierarchy[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (pre === undefined || post === undefined) continue;
    const fields = pre.split(' ');
    const [fstype, , superOpts = ''] = post.split(' ');
    if ((fstype !== 'cgroup' && fstype !== 'cgroup2') || fields[3] !== '/' || fields[4] === undefined) continue;
    out.push({ mountPoint: unescapeMountinfo(fields[4]), controllers: superOpts.split(','), v2: fstype === 'cgroup2' });
  }
  return out;
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

function collectPids(dir: string, into: Set<number>): void {
  let text: string;
  try {
    text = readFileSync(join(dir, 'cgroup.procs'), 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENODEV')) return; // removed meanwhile
    throw err;
  }
  for (const line of text.split('\n')) if (line !== '') into.add(Number(line));
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  for (const e of entries) if (e.isDirectory()) collectPids(join(dir, e.name), into);
}

/**
 * ps with psArgs (split on single spaces, as Docker does; "" means "-ef"),
 * keeping the header and the rows of `pids` (and, with `m`, the thread rows
 * that follow them), as moby's daemon/top_unix.go (checked against dockerd
 * 20.10): ps is tried with -q<pids> first and without it when that fails;
 * errors are Docker's: `specifying "user=PID" is not allowed`, "ps: <first
 * line of ps's stderr>", "Couldn't find PID field in ps output".
 */
export async function top(pids: number[], psArgs: string): Promise<ContainerTopResponse> {
  const argsText = psArgs === '' ? '-ef' : psArgs;
  validatePsArgs(argsText);
  const args = argsText.split(' ');
  let output: string;
  try {
    output = await runPs([...args, `-q${pids.join(',')}`]);
  } catch {
    // Some options (f) cannot be combined with -q: list everything and filter.
    output = await runPs(args).catch((err: unknown) => {
      throw new Error(`ps: ${psFailure(err)}`);
    });
  }
  return parsePsOutput(output, new Set(pids));
}

/** A column renamed to PID… would fool the filter: refused, as moby's validatePSArgs does. */
function validatePsArgs(psArgs: string): void {
  // Go's \s is ASCII white space only.
  for (const m of psArgs.matchAll(/[\t\n\f\r ]+([^\t\n\f\r ]*)=[\t\n\f\r ]*(PID[^\t\n\f\r ]*)/g)) {
    if (m[1] !== 'pid') throw new Error(`specifying "${m[1]}=${m[2]}" is not allowed`);
  }
}

interface ExecFailure {
  stderr?: string;
  code?: number | string;
  signal?: string | null;
  message?: string;
}

function runPs(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ps', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolve(stdout);
    });
  });
}

/** What Go's exec error would say: ps's first stderr line, else the exit. */
function psFailure(err: unknown): string {
  const e = err as ExecFailure;
  const first = (e.stderr ?? '').split('\n')[0] ?? '';
  if (first !== '') return first;
  if (e.code === 'ENOENT') return 'exec: "ps": executable file not found in $PATH';
  if (typeof e.code === 'number') return `exit status ${e.code}`;
  if (e.signal) return `signal: ${e.signal}`;
  return e.message ?? String(err);
}

/** Go's strings.FieldsFunc with ASCII white space (moby's fieldsASCII). */
function fieldsAscii(s: string): string[] {
  return s.split(/[\t\n\f\r ]+/).filter((f) => f !== '');
}

export function parsePsOutput(output: string, pids: ReadonlySet<number>): ContainerTopResponse {
  const lines = output.split('\n');
  const titles = fieldsAscii(lines[0] ?? '');
  const pidIndex = titles.indexOf('PID');
  if (pidIndex === -1) throw new Error("Couldn't find PID field in ps output");
  const processes: string[][] = [];
  // Overhanging fields (a command's arguments) are joined into the last column.
  const add = (fields: string[]) => processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
  // Thread rows ("-" as pid, with `m`) belong to the process row above them.
  let inContainer = false;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const fields = fieldsAscii(line);
    const pidField = fields[pidIndex];
    if (pidField === undefined) continue;
    if (pidField === '-') {
      if (inContainer) add(fields);
      continue;
    }
    if (!/^[+-]?\d+$/.test(pidField)) {
      throw new Error(`Unexpected pid '${pidField}': strconv.Atoi: parsing ${JSON.stringify(pidField)}: invalid syntax`);
    }
    inContainer = pids.has(Number(pidField));
    if (inContainer) add(fields);
  }
  // Docker's field order (Processes first).
  return { Processes: processes, Titles: titles };
}
