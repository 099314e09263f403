// `docker top`: the host's ps, filtered to a container's processes, as moby's
// daemon/top_unix.go does it; and the container's pids, read from its cgroup.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerTopResponse } from '../api/containers';
import { isErrno } from '../errors';
import { hostCgroupLayout } from '../system/cgroup-layout';

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
  const layout = hostCgroupLayout();
  if (layout.version === '2') return existing(join(layout.root, path));
  const inUnified = layout.unified !== undefined ? existing(join(layout.unified, path)) : undefined;
  if (inUnified) return inUnified;
  const v1 = new Set([...V1_PREFERRED.flatMap((ctrl) => layout.mounts.get(ctrl) ?? []), ...layout.mounts.values()]);
  for (const mountPoint of v1) {
    const dir = existing(join(mountPoint, path));
    if (dir) return dir;
  }
  return undefined;
}

function existing(dir: string): string | undefined {
  return existsSync(join(dir, 'cgroup.procs')) ? dir : undefined;
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
