// Issue 5's bench: the wall time of `run --rm busybox true`, by the docker CLI
// against tsdockerd and against the peer dockerd, by our `tsdocker run` against
// tsdockerd, and the floor: `unshare` + `chroot` into the same rootfs running
// /bin/true (namespaces and a fresh /proc, no daemon, no overlay, no cgroup).
// Runs are interleaved (one of each per round) so a slow spell of the machine
// weighs on all alike. Then one shim's memory, for a running container.
// Both daemons run containers with `--network none`: the peer runs with
// --bridge none, and so both do the same work.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxRootfsTar } from '../test/fixtures/busybox';
import { CLI_PATH, type Daemon } from './daemons';
import { dockerdProcesses, memoryOf, tsdockerdProcesses, type Memory } from './procs';
import type { Row } from './table';

const ROUNDS = 25;
const MB = 1024 * 1024;
/** Every container the benches start carries it, so clean-up removes only those. */
export const BENCH_LABEL = 'tsdocker-bench';
export const RUN_ARGS = ['--network', 'none', '--label', BENCH_LABEL, 'busybox'];

/** The figures each timing gives: its median and 90th percentile. */
export const STATS = [
  { stat: 'median', p: 50 },
  { stat: 'p90', p: 90 },
] as const;

/** Nearest-rank percentile (the median of an odd count is its middle value). */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** The docker CLI against `d`; throws with its stderr when it fails. */
export function docker(d: Daemon, args: string[]): string {
  const r = spawnSync('docker', args, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: d.host }, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} (${d.version}) exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Runs a command without blocking the event loop; resolves with its wall time in ms. */
export function timedSpawn(cmd: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`));
    });
  });
}

/** Imports the busybox rootfs fixture as busybox:latest (the same image id on both daemons). */
export async function importBusybox(daemons: Daemon[]): Promise<string> {
  const tar = await busyboxRootfsTar();
  for (const d of daemons) docker(d, ['import', tar, 'busybox:latest']);
  return tar;
}

function request(socket: string, method: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve(body) : reject(new Error(`${method} ${path}: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Ids of the bench's containers on `d` (running or not). */
export async function benchContainers(d: Daemon): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [BENCH_LABEL] }));
  const list = JSON.parse(await request(d.socket, 'GET', `/containers/json?all=1&filters=${filters}`)) as Array<{ Id: string }>;
  return list.map((c) => c.Id);
}

/** Removes (forcibly, 10 at a time) every container the bench started on `d`. */
export async function removeBenchContainers(d: Daemon): Promise<void> {
  const ids = await benchContainers(d);
  for (let i = 0; i < ids.length; i += 10) {
    await Promise.all(ids.slice(i, i + 10).map((id) => request(d.socket, 'DELETE', `/containers/${id}?force=1`)));
  }
}

/** Memory of the shim of one running `sleep` container, on tsdockerd (`ours`) or dockerd. */
async function oneShim(d: Daemon, ours: boolean): Promise<Memory | undefined> {
  const id = docker(d, ['run', '-d', ...RUN_ARGS, 'sleep', '600']).trim();
  try {
    await new Promise((r) => setTimeout(r, 500));
    const { shims } = (ours ? tsdockerdProcesses : dockerdProcesses)(d.pid, [id]);
    return shims.length === 1 ? memoryOf(shims[0]!) : undefined;
  } finally {
    await removeBenchContainers(d);
  }
}

interface Subject {
  name: string;
  run(): Promise<number>;
}

async function timesOf(subjects: Subject[]): Promise<Map<string, number[]>> {
  for (const s of subjects) await s.run(); // warm-up: page cache, first-use paths
  const times = new Map(subjects.map((s) => [s.name, [] as number[]]));
  for (let i = 0; i < ROUNDS; i++) {
    for (const s of subjects) times.get(s.name)!.push(await s.run());
  }
  return times;
}

/** Whether our CLI runs containers yet (it is younger than the daemon's side). */
async function cliRuns(d: Daemon): Promise<boolean> {
  return timedSpawn(CLI_PATH, ['run', '--rm', ...RUN_ARGS, 'true'], { DOCKER_HOST: d.host }).then(
    () => true,
    (err: unknown) => {
      process.stderr.write(`bench: tsdocker run does not work: ${(err as Error).message}\n`);
      return false;
    },
  );
}

export async function runRows(ours: Daemon, peer: Daemon | undefined): Promise<Row[]> {
  const tar = await importBusybox(peer ? [ours, peer] : [ours]);
  const floorRoot = mkdtempSync(join(tmpdir(), 'tsd-bench-floor-'));
  try {
    const untar = spawnSync('tar', ['-x', '-f', tar, '-C', floorRoot]);
    if (untar.status !== 0) throw new Error(`tar -x ${tar}: ${untar.stderr.toString()}`);
    const hasCli = await cliRuns(ours);
    const dockerRun = (d: Daemon) => () => timedSpawn('docker', ['run', '--rm', ...RUN_ARGS, 'true'], { DOCKER_HOST: d.host });
    const subjects: Subject[] = [
      // -f: the pid namespace needs a child to be its init; --mount-proc=…: a /proc of that namespace inside the rootfs.
      { name: 'floor', run: () => timedSpawn('unshare', ['-fpmnui', `--mount-proc=${join(floorRoot, 'proc')}`, 'chroot', floorRoot, '/bin/true']) },
      { name: 'docker → ours', run: dockerRun(ours) },
      ...(hasCli ? [{ name: 'tsdocker → ours', run: () => timedSpawn(CLI_PATH, ['run', '--rm', ...RUN_ARGS, 'true'], { DOCKER_HOST: ours.host }) }] : []),
      ...(peer ? [{ name: 'docker → peer', run: dockerRun(peer) }] : []),
    ];
    const t = await timesOf(subjects);
    const floor = t.get('floor')!;
    const peerTimes = t.get('docker → peer');
    const rowsOf = (label: string, mine: number[] | undefined): Row[] =>
      STATS.map(({ stat, p }) => {
        const oursMs = mine && percentile(mine, p);
        const peerMs = peerTimes && percentile(peerTimes, p);
        const vsPeer = oursMs !== undefined && peerMs !== undefined ? `now ${((oursMs / peerMs) * 100).toFixed(0)} % of dockerd's, ` : '';
        const vsFloor = oursMs !== undefined ? `${(oursMs / percentile(floor, p)).toFixed(1)}× the floor` : '';
        return {
          metric: `${label}, ${stat} of ${ROUNDS}${mine ? '' : ' (n/a: CLI run not built)'}`,
          ours: oursMs,
          peer: peerMs,
          unit: 'ms',
          lowerIsBetter: true,
          goal: `≤ 1/3 of dockerd's (${vsPeer}${vsFloor})`,
        };
      });
    const shimOurs = await oneShim(ours, true);
    const shimPeer = peer && (await oneShim(peer, false));
    return [
      ...rowsOf('`docker run --rm busybox true` (docker CLI against each daemon)', t.get('docker → ours')),
      ...rowsOf('`tsdocker run --rm busybox true` (peer: docker CLI against dockerd)', t.get('tsdocker → ours')),
      ...STATS.map(({ stat, p }) => ({
        metric: `floor: \`unshare -fpmnui --mount-proc\` + \`chroot\` into the rootfs, /bin/true, ${stat} of ${ROUNDS}`,
        ours: percentile(floor, p),
        peer: undefined,
        unit: 'ms',
        lowerIsBetter: true,
      })),
      {
        metric: 'one shim of a running container, RSS (peer: containerd-shim-runc-v2)',
        ours: shimOurs && shimOurs.rss / MB,
        peer: shimPeer && shimPeer.rss / MB,
        unit: 'MB',
        lowerIsBetter: true,
        goal: '≤ 2 MB',
      },
      {
        metric: 'one shim of a running container, PSS (shared pages split among processes)',
        ours: shimOurs && shimOurs.pss / MB,
        peer: shimPeer && shimPeer.pss / MB,
        unit: 'MB',
        lowerIsBetter: true,
      },
    ];
  } finally {
    rmSync(floorRoot, { recursive: true, force: true });
    await removeBenchContainers(ours);
    if (peer) await removeBenchContainers(peer);
  }
}
