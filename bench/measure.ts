// Measuring helpers for the bench: bounded request loops, wall times, RSS.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** One GET that resolves once its 200 answer has been read; `send` starts it with the response callback. */
export function okGet(path: string, send: (onResponse: (res: http.IncomingMessage) => void) => http.ClientRequest): () => Promise<void> {
  return () =>
    new Promise<void>((resolve, reject) => {
      const req = send((res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${path}: ${res.statusCode}`))));
      });
      req.on('error', reject);
    });
}

/** Requests per second of `get` after 200 warm-up requests: 8 at a time, at most 3 s or 20 000 requests. */
export async function rateOf(get: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 200; i++) await get();
  const started = process.hrtime.bigint();
  const deadline = Date.now() + 3000;
  let done = 0;
  const worker = async () => {
    while (done < 20_000 && Date.now() < deadline) {
      done++;
      await get();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return done / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** Requests per second for GET `path` over the Unix socket, 8 keep-alive connections (see rateOf). */
export async function requestRate(socket: string, path: string): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  try {
    return await rateOf(okGet(path, (cb) => http.get({ socketPath: socket, path, agent }, cb)));
  } finally {
    agent.destroy();
  }
}

/** The status of one bodiless request over the Unix socket, once its answer has been read. */
export function requestStatus(socket: string, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Wall times in ms of `runs` runs of a command (after one warm-up run). */
export function wallTimes(cmd: string, args: string[], env: Record<string, string>, runs: number): number[] {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
    if (i > 0) times.push(ms);
  }
  return times;
}

/** Resident memory in bytes of a process and all its descendants. */
export function rssOfTree(root: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited while we looked
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += Number(m?.[1] ?? 0) * 1024;
    } catch {
      // exited
    }
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}
