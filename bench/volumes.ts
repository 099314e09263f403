// The `volumes` section (issue 14): the added start cost of a container with
// 5 named volumes over one with none (`docker run --rm`, interleaved rounds),
// and copy-up: a 100 MB image directory copied into a new volume at the
// container's start, next to dockerd's and to `cp -a` of the same tree (the
// floor). The copy-up cost is the run with a new volume minus the run with
// `:nocopy` (the same start without the copy).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Daemon } from './daemons';
import { BENCH_LABEL, docker, importBusybox, percentile, removeBenchContainers, timedSpawn } from './run';
import type { Row } from './table';

const START_ROUNDS = 15;
const COPY_ROUNDS = 5;
const VOLS = ['bv1', 'bv2', 'bv3', 'bv4', 'bv5'];
const RUN = ['run', '--rm', '--network', 'none', '--label', BENCH_LABEL];
/** 100 files of 1 MiB of random bytes under /data, then VOLUME /data. */
const MAKE_BIG = 'mkdir /data && i=0; while [ $i -lt 100 ]; do head -c 1048576 /dev/urandom > /data/f$i; i=$((i+1)); done';

function removeVolumes(d: Daemon, names: string[]): void {
  if (names.length) spawnSync('docker', ['volume', 'rm', '-f', ...names], { env: { ...process.env, DOCKER_HOST: d.host } });
}

async function startRows(daemons: Array<{ label: string; d: Daemon }>): Promise<Row[]> {
  for (const { d } of daemons) for (const v of VOLS) docker(d, ['volume', 'create', v]);
  const withVols = VOLS.flatMap((v, i) => ['-v', `${v}:/v${i}`]);
  const t = new Map<string, number[]>();
  const subjects = daemons.flatMap(({ label, d }) => [
    { name: `${label} none`, run: () => timedSpawn('docker', [...RUN, 'busybox', 'true'], { DOCKER_HOST: d.host }) },
    { name: `${label} five`, run: () => timedSpawn('docker', [...RUN, ...withVols, 'busybox', 'true'], { DOCKER_HOST: d.host }) },
  ]);
  for (const s of subjects) await s.run();
  for (let i = 0; i < START_ROUNDS; i++) for (const s of subjects) (t.get(s.name) ?? t.set(s.name, []).get(s.name)!).push(await s.run());
  for (const { d } of daemons) removeVolumes(d, VOLS);
  const med = (name: string) => (t.has(name) ? percentile(t.get(name)!, 50) : undefined);
  const peer = daemons.find((x) => x.label === 'peer') ? 'peer' : undefined;
  return [
    { metric: `\`docker run --rm\` with 5 named volumes, median of ${START_ROUNDS}`, ours: med('ours five'), peer: peer && med('peer five'), unit: 'ms', lowerIsBetter: true },
    {
      metric: '… added cost of the 5 volumes over none (medians)',
      ours: med('ours five')! - med('ours none')!,
      peer: peer && med('peer five')! - med('peer none')!,
      unit: 'ms',
      lowerIsBetter: true,
    },
  ];
}

async function copyRows(daemons: Array<{ label: string; d: Daemon }>): Promise<Row[]> {
  for (const { d } of daemons) {
    docker(d, ['run', '--name', 'tsd-bench-big', '--network', 'none', 'busybox', 'sh', '-c', MAKE_BIG]);
    docker(d, ['commit', '-c', 'VOLUME /data', 'tsd-bench-big', 'tsd-bench-bigvol']);
    docker(d, ['rm', 'tsd-bench-big']);
  }
  const floorDir = mkdtempSync(join(tmpdir(), 'tsd-bench-cpa-'));
  const src = join(floorDir, 'src');
  mkdirSync(src);
  spawnSync('sh', ['-c', `i=0; while [ $i -lt 100 ]; do head -c 1048576 /dev/urandom > ${src}/f$i; i=$((i+1)); done`]);
  const t = new Map<string, number[]>();
  const push = (k: string, v: number) => (t.get(k) ?? t.set(k, []).get(k)!).push(v);
  try {
    for (let i = 0; i < COPY_ROUNDS; i++) {
      for (const { label, d } of daemons) {
        const env = { DOCKER_HOST: d.host };
        push(`${label} copy`, await timedSpawn('docker', [...RUN, '-v', `bcu${i}:/data`, 'tsd-bench-bigvol', 'true'], env));
        push(`${label} nocopy`, await timedSpawn('docker', [...RUN, '-v', `bnc${i}:/data:nocopy`, 'tsd-bench-bigvol', 'true'], env));
        removeVolumes(d, [`bcu${i}`, `bnc${i}`]);
      }
      const dst = join(floorDir, `dst${i}`);
      push('cp', await timedSpawn('sh', ['-c', `cp -a ${src} ${dst} && sync -f ${dst}`]));
      rmSync(dst, { recursive: true, force: true });
    }
  } finally {
    rmSync(floorDir, { recursive: true, force: true });
    for (const { d } of daemons) spawnSync('docker', ['rmi', 'tsd-bench-bigvol'], { env: { ...process.env, DOCKER_HOST: d.host } });
  }
  const med = (name: string) => (t.has(name) ? percentile(t.get(name)!, 50) : undefined);
  const cost = (label: string) => (t.has(`${label} copy`) ? med(`${label} copy`)! - med(`${label} nocopy`)! : undefined);
  const floor = med('cp')!;
  const oursCost = cost('ours')!;
  return [
    {
      metric: `copy-up of a 100 MB image directory into a new volume (run − run with :nocopy, medians of ${COPY_ROUNDS})`,
      ours: oursCost,
      peer: cost('peer'),
      unit: 'ms',
      lowerIsBetter: true,
      goal: `floor: \`cp -a\` + syncfs of the same tree ${floor.toFixed(0)} ms (ours ${(oursCost / floor).toFixed(1)}× the floor)`,
    },
    { metric: '… `docker run --rm` with a new 100 MB volume, copy-up included (median)', ours: med('ours copy'), peer: med('peer copy'), unit: 'ms', lowerIsBetter: true },
    { metric: '… floor: `cp -a` of the 100 MB tree + `sync -f` (median)', ours: floor, peer: undefined, unit: 'ms', lowerIsBetter: true },
  ];
}

export async function volumeRows(ours: Daemon, peer: Daemon | undefined): Promise<Row[]> {
  await importBusybox(peer ? [ours, peer] : [ours]);
  const daemons = [{ label: 'ours', d: ours }, ...(peer ? [{ label: 'peer', d: peer }] : [])];
  try {
    return [...(await startRows(daemons)), ...(await copyRows(daemons))];
  } finally {
    await removeBenchContainers(ours);
    if (peer) await removeBenchContainers(peer);
  }
}
