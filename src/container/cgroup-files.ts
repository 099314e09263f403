// The files of a cgroup: the formats the kernel writes (flat keyed, limits,
// blkio and io.stat lines), Docker's unit conversions, and reading, writing
// and polling control files with errors that say what and where.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../errors';

const FREEZE_TIMEOUT_MS = 5_000;

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

// ---- file formats --------------------------------------------------------------

/** "key value" lines (memory.stat, cpu.stat, cpuacct.stat, memory.events). */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^-?\d+$/.test(value)) out[key] = Number(value);
  }
  return out;
}

/** A limit file: a number, or "max" (no limit: undefined). */
export function parseLimit(text: string): number | undefined {
  const v = text.trim();
  return v === 'max' || v === '' ? undefined : Number(v);
}

/** v1 blkio files: "8:0 Read 4096" lines; the closing "Total N" line has no device and is skipped (as containerd does). */
export function parseBlkioV1(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 2) continue;
    const dev = /^(\d+):(\d+)$/.exec(fields[0]!);
    if (!dev) continue;
    // time_recursive and sectors_recursive have no op column.
    const [op, value] = fields.length >= 3 ? [fields[1]!, fields[2]!] : ['', fields[1]!];
    out.push({ major: Number(dev[1]), minor: Number(dev[2]), op, value: Number(value) });
  }
  return out;
}

/** v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" lines. */
export function parseIoStatV2(text: string): Array<{ major: number; minor: number; values: Record<string, number> }> {
  const out: Array<{ major: number; minor: number; values: Record<string, number> }> = [];
  for (const line of text.split('\n')) {
    const [dev, ...pairs] = line.trim().split(/\s+/);
    const m = dev ? /^(\d+):(\d+)$/.exec(dev) : null;
    if (!m) continue;
    const values: Record<string, number> = {};
    for (const p of pairs) {
      const [k, v] = p.split('=');
      if (k && v !== undefined) values[k] = Number(v);
    }
    out.push({ major: Number(m[1]), minor: Number(m[2]), values });
  }
  return out;
}

/** runc's conversion of cpu shares (2-262144) to cgroup v2 cpu.weight (1-10000). */
export function sharesToWeight(shares: number): number {
  return shares === 0 ? 0 : 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** runc's conversion of a blkio weight (10-1000) to v2 io.weight (1-10000). */
export function blkioToIoWeight(weight: number): number {
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

// ---- file access ---------------------------------------------------------------

/** The file's text, or undefined when the controller does not offer it. */
export function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') && !dirGone(path)) return undefined;
    throw err;
  }
}

/** Whether the cgroup directory itself is gone (the container exited), as opposed to one file missing. */
function dirGone(file: string): boolean {
  return !existsSync(join(file, '..', 'cgroup.procs'));
}

export function readNumber(path: string): number | undefined {
  const text = readOptional(path);
  return text === undefined ? undefined : Number(text.trim());
}

/** Writes a control file; the error says what was written where, as runc's do. */
export function writeControl(path: string, value: string | number): void {
  try {
    writeFileSync(path, String(value));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = /^E[A-Z]+: ([^,]+)/.exec(e.message)?.[1] ?? e.message;
    throw Object.assign(new Error(`failed to write ${JSON.stringify(String(value))}: write ${path}: ${reason}`), { code: e.code });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `done` (1 ms, doubling to 50 ms) until it holds or the timeout passes. */
export async function waitFor(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + FREEZE_TIMEOUT_MS;
  for (let delay = 1; !done(); delay = Math.min(delay * 2, 50)) {
    if (Date.now() > deadline) throw new Error(`${what}: timed out`);
    await sleep(delay);
  }
}
