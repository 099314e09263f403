// Issue 6's stats bench: the wall time of `docker stats --no-stream <one
// container>` by the docker CLI against tsdockerd and against the peer dockerd
// (rounds interleaved), and the daemon's own part: GET
// /containers/{id}/stats?stream=0 (two reads, so that the CPU % is real:
// dockerd's collector ticks a second apart, ours are half a second apart) and
// ?stream=0&one-shot=1 (one read). The
// container is a sleeping busybox, the same on both daemons (`--network none`).
import http from 'node:http';
import type { Daemon } from './daemons';
import { docker, importBusybox, percentile, removeBenchContainers, RUN_ARGS, STATS, timedSpawn } from './run';
import type { Row } from './table';

const CLI_ROUNDS = 7;
const ONE_SHOT_ROUNDS = 51;

/** Wall time in ms of one GET over the daemon's socket (the body read to its end). */
function timedGet(socket: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    http
      .get({ socketPath: socket, path }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`${path}: ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

async function rounds(n: number, subjects: Array<() => Promise<number>>): Promise<number[][]> {
  for (const s of subjects) await s(); // warm-up
  const out = subjects.map(() => [] as number[]);
  for (let i = 0; i < n; i++) for (const [j, s] of subjects.entries()) out[j]!.push(await s());
  return out;
}

export async function statsRows(ours: Daemon, peer: Daemon | undefined): Promise<Row[]> {
  const daemons = peer ? [ours, peer] : [ours];
  await importBusybox(daemons);
  try {
    const ids = daemons.map((d) => docker(d, ['run', '-d', ...RUN_ARGS, 'sleep', '3600']).trim());
    const cli = await rounds(
      CLI_ROUNDS,
      daemons.map((d, i) => () => timedSpawn('docker', ['stats', '--no-stream', ids[i]!], { DOCKER_HOST: d.host })),
    );
    const api = await rounds(
      3,
      daemons.map((d, i) => () => timedGet(d.socket, `/v1.41/containers/${ids[i]}/stats?stream=0`)),
    );
    const oneShot = await rounds(
      ONE_SHOT_ROUNDS,
      daemons.map((d, i) => () => timedGet(d.socket, `/v1.41/containers/${ids[i]}/stats?stream=0&one-shot=1`)),
    );
    const row = (metric: string, times: number[][], p: number, goal?: string): Row => ({
      metric,
      ours: percentile(times[0]!, p),
      peer: times[1] && percentile(times[1], p),
      unit: 'ms',
      lowerIsBetter: true,
      ...(goal ? { goal } : {}),
    });
    return [
      ...STATS.map(({ stat, p }) => row(`\`docker stats --no-stream <one container>\` (docker CLI against each daemon), ${stat} of ${CLI_ROUNDS}`, cli, p, 'faster than dockerd\'s')),
      row(`GET /containers/{id}/stats?stream=0 (two reads, for the CPU %), median of 3`, api, 50),
      ...STATS.map(({ stat, p }) => row(`GET /containers/{id}/stats?stream=0&one-shot=1 (one read), ${stat} of ${ONE_SHOT_ROUNDS}`, oneShot, p)),
    ];
  } finally {
    for (const d of daemons) await removeBenchContainers(d);
  }
}
