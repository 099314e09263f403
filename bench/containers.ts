// Issue 6's bench: many containers at once.
//  - 20 `docker run -d … sleep` started concurrently (20 docker CLIs in
//    parallel): wall time until all have returned, tsdockerd vs dockerd,
//    rounds interleaved, the containers removed (untimed) after each round.
//  - 100 `busybox sleep` containers running at once: memory of tsdockerd + its
//    100 tsd-shims next to dockerd + containerd + 100 containerd-shim-runc-v2
//    (./procs.ts finds exactly those), PSS and RSS, in total and per container.
// Every container carries the bench's label and is removed at the end.
import { spawn } from 'node:child_process';
import type { Daemon } from './daemons';
import { dockerdProcesses, totalMemory, tsdockerdProcesses, type Memory } from './procs';
import { benchContainers, importBusybox, percentile, removeBenchContainers, RUN_ARGS, STATS } from './run';
import type { Row } from './table';

const CONCURRENT = 20;
const CONCURRENT_ROUNDS = 7;
const MANY = 100;
const MB = 1024 * 1024;

/** `docker run -d` of a sleeping busybox on `d`; resolves when the CLI returns. */
function runDetached(d: Daemon): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['run', '-d', ...RUN_ARGS, 'sleep', '3600'], { env: { ...process.env, DOCKER_HOST: d.host }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker run -d (${d.version}) exited ${code}: ${err.trim()}`))));
  });
}

/** Wall time in ms of `n` concurrent `docker run -d`. */
async function startAtOnce(d: Daemon, n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: n }, () => runDetached(d)));
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Starts `n` containers, `width` at a time (not timed). */
async function startMany(d: Daemon, n: number, width: number): Promise<void> {
  for (let started = 0; started < n; started += width) {
    await Promise.all(Array.from({ length: Math.min(width, n - started) }, () => runDetached(d)));
  }
}

interface Footprint {
  daemon: Memory;
  shims: Memory;
  shimCount: number;
}

function footprint(d: Daemon, ours: boolean, ids: string[]): Footprint {
  const p = (ours ? tsdockerdProcesses : dockerdProcesses)(d.pid, ids);
  return { daemon: totalMemory(p.daemon), shims: totalMemory(p.shims), shimCount: p.shims.length };
}

async function concurrentRows(ours: Daemon, peer: Daemon | undefined): Promise<Row[]> {
  const daemons = peer ? [ours, peer] : [ours];
  const times = new Map(daemons.map((d) => [d, [] as number[]]));
  for (const d of daemons) {
    await startAtOnce(d, 2); // warm-up
    await removeBenchContainers(d);
  }
  for (let i = 0; i < CONCURRENT_ROUNDS; i++) {
    for (const d of daemons) {
      times.get(d)!.push(await startAtOnce(d, CONCURRENT));
      await removeBenchContainers(d);
    }
  }
  const at = (d: Daemon | undefined, p: number) => (d ? percentile(times.get(d)!, p) : undefined);
  return STATS.map(({ stat, p }) => ({
    metric: `${CONCURRENT} \`docker run -d busybox sleep\` at once (parallel CLIs), wall time, ${stat} of ${CONCURRENT_ROUNDS}`,
    ours: at(ours, p),
    peer: at(peer, p),
    unit: 'ms',
    lowerIsBetter: true,
    goal: 'faster than dockerd',
  }));
}

async function memoryRows(ours: Daemon, peer: Daemon | undefined): Promise<Row[]> {
  const daemons = peer ? [ours, peer] : [ours];
  const idle = new Map<Daemon, Footprint>();
  const busy = new Map<Daemon, Footprint>();
  for (const d of daemons) {
    const isOurs = d === ours;
    idle.set(d, footprint(d, isOurs, []));
    await startMany(d, MANY, 10);
    await new Promise((r) => setTimeout(r, 3000)); // let the daemons settle (GC, shims' start-up allocations)
    const ids = await benchContainers(d);
    const f = footprint(d, isOurs, ids);
    if (ids.length !== MANY || f.shimCount !== MANY) throw new Error(`${d.version}: ${ids.length} containers, ${f.shimCount} shims found (expected ${MANY})`);
    busy.set(d, f);
    await removeBenchContainers(d);
  }
  const total = (f: Footprint | undefined, k: keyof Memory) => f && (f.daemon[k] + f.shims[k]) / MB;
  const perContainer = (d: Daemon | undefined, k: keyof Memory) => {
    const b = d && busy.get(d);
    const i = d && idle.get(d);
    return b && i && (b.daemon[k] + b.shims[k] - i.daemon[k]) / MB / MANY;
  };
  const fourth = (k: keyof Memory) => {
    const o = total(busy.get(ours), k);
    const p = total(peer && busy.get(peer), k);
    return o !== undefined && p !== undefined ? ` (now ${((o / p) * 100).toFixed(0)} %)` : '';
  };
  const who = 'tsdockerd + tsd-shims (peer: dockerd + containerd + containerd-shim-runc-v2)';
  return [
    {
      metric: `${MANY} running \`busybox sleep\`: PSS of ${who}`,
      ours: total(busy.get(ours), 'pss'),
      peer: total(peer && busy.get(peer), 'pss'),
      unit: 'MB',
      lowerIsBetter: true,
      goal: `≤ 1/4 of Docker's${fourth('pss')}`,
    },
    {
      metric: `${MANY} running \`busybox sleep\`: RSS (summed VmRSS, shared pages counted in each process) of the same`,
      ours: total(busy.get(ours), 'rss'),
      peer: total(peer && busy.get(peer), 'rss'),
      unit: 'MB',
      lowerIsBetter: true,
      goal: `≤ 1/4 of Docker's${fourth('rss')}`,
    },
    {
      metric: `… of which the daemons (PSS, idle before → with ${MANY})`,
      ours: busy.get(ours)!.daemon.pss / MB,
      peer: peer && busy.get(peer)!.daemon.pss / MB,
      unit: 'MB',
      lowerIsBetter: true,
      goal: `idle: ${(idle.get(ours)!.daemon.pss / MB).toFixed(1)} vs ${peer ? (idle.get(peer)!.daemon.pss / MB).toFixed(1) : 'n/a'} MB`,
    },
    {
      metric: '… per container: a shim (PSS)',
      ours: busy.get(ours)!.shims.pss / MB / MANY,
      peer: peer && busy.get(peer)!.shims.pss / MB / MANY,
      unit: 'MB',
      lowerIsBetter: true,
    },
    {
      metric: '… per container: shim + daemon growth over idle (PSS)',
      ours: perContainer(ours, 'pss'),
      peer: perContainer(peer, 'pss'),
      unit: 'MB',
      lowerIsBetter: true,
    },
  ];
}

export async function containerRows(ours: Daemon, peer: Daemon | undefined): Promise<Row[]> {
  try {
    await importBusybox(peer ? [ours, peer] : [ours]);
    return [...(await concurrentRows(ours, peer)), ...(await memoryRows(ours, peer))];
  } finally {
    await removeBenchContainers(ours);
    if (peer) await removeBenchContainers(peer);
  }
}
