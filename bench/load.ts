// Image intake throughput: `import` (POST /images/create?fromSrc=-, one per
// layer tar) and `load` (POST /images/load of the `docker save` archive) of a
// ~100 MB two-layer image of random bytes (one layer of 5000 small files, one
// of 10 MiB files), in MB/s of tar bytes, on tsdockerd and the peer dockerd,
// next to `tar -x` of the same layer tars into a directory: the floor (no
// hashing, no copy kept, no fsync). Median of 5 rounds, the image removed and
// the page cache written back (`sync`) before every run.
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerBytes, makeBigImage, type BigImage } from '../test/fixtures/big-image';
import type { Daemon } from './daemons';
import { median, requestStatus } from './measure';
import type { Row } from './table';

const RUNS = 5;
const MB = 1e6;

/** POSTs a file and reads the JSON-lines answer; throws on an HTTP or stream error. */
function postFile(socket: string, path: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method: 'POST', path, headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode !== 200 || body.includes('"errorDetail"')) reject(new Error(`POST ${path}: ${res.statusCode} ${body.slice(0, 500)}`));
        else resolve();
      });
    });
    req.on('error', reject);
    createReadStream(file, { highWaterMark: 1024 * 1024 }).on('error', reject).pipe(req);
  });
}

/** Seconds `fn` takes, after `before` (untimed) and a `sync`. */
async function timed(before: () => Promise<void> | void, fn: () => Promise<void> | void): Promise<number> {
  await before();
  spawnSync('sync');
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Waits until the daemon has no removed layer directory left to delete (tsdockerd deletes them in the background). */
async function settled(d: Daemon): Promise<void> {
  if (d.dataRoot === undefined) return;
  const layers = join(d.dataRoot, 'layers');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && existsSync(layers) && readdirSync(layers).some((n) => n.startsWith('.trash-'))) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Subject {
  name: string;
  bytes: number;
  before(): Promise<void> | void;
  run(): Promise<void> | void;
}

/** Import and load on one daemon, each starting from no image. */
function daemonSubjects(label: string, d: Daemon, img: BigImage): Subject[] {
  const names = img.layers.map((_, i) => `bench-import:${i}`);
  const removeAll = async () => {
    for (const name of [...names, img.name]) await requestStatus(d.socket, 'DELETE', `/images/${name}?force=1`);
    await settled(d);
  };
  return [
    {
      name: `${label} import`,
      bytes: layerBytes(img),
      before: removeAll,
      run: async () => {
        for (const [i, l] of img.layers.entries()) await postFile(d.socket, `/images/create?fromSrc=-&repo=bench-import&tag=${i}`, l.tarPath);
      },
    },
    { name: `${label} load`, bytes: img.archiveSize, before: removeAll, run: () => postFile(d.socket, '/images/load?quiet=1', img.archive) },
  ];
}

/** The floor: `tar -x` of the layer tars, one after the other, into a fresh directory. */
function floorSubject(img: BigImage, work: string): Subject {
  const target = join(work, 'untar');
  return {
    name: 'floor',
    bytes: layerBytes(img),
    before: () => rmSync(target, { recursive: true, force: true }),
    run: () => {
      mkdirSync(target);
      for (const l of img.layers) {
        const r = spawnSync('tar', ['-x', '-f', l.tarPath, '-C', target]);
        if (r.status !== 0) throw new Error(`tar -x ${l.tarPath}: ${r.stderr.toString()}`);
      }
    },
  };
}

/**
 * MB/s of each subject, median of RUNS rounds. A round runs every subject once,
 * so a slow spell of the machine (file creation here varies several-fold from
 * minute to minute) weighs on all of them alike.
 */
async function rates(subjects: Subject[]): Promise<Map<string, number>> {
  const seconds = new Map(subjects.map((s) => [s.name, [] as number[]]));
  for (let i = 0; i < RUNS; i++) {
    for (const s of subjects) seconds.get(s.name)!.push(await timed(s.before, s.run));
  }
  for (const s of subjects) await s.before();
  return new Map(subjects.map((s) => [s.name, s.bytes / MB / median(seconds.get(s.name)!)]));
}

export async function loadRows(ours: Daemon, peer: Daemon | undefined): Promise<Row[]> {
  const work = mkdtempSync(join(tmpdir(), 'tsd-bench-load-'));
  try {
    const img = await makeBigImage(work, 'bench-load:1', [
      { bigFiles: 0, smallFiles: 5000, smallKB: 16 },
      { bigFiles: 6, bigMB: 10 },
    ]);
    const r = await rates([floorSubject(img, work), ...daemonSubjects('ours', ours, img), ...(peer ? daemonSubjects('peer', peer, img) : [])]);
    const floor = r.get('floor')!;
    const mine = { importRate: r.get('ours import')!, loadRate: r.get('ours load')! };
    const theirs = peer ? { importRate: r.get('peer import')!, loadRate: r.get('peer load')! } : undefined;
    const size = `${(layerBytes(img) / MB).toFixed(0)} MB`;
    const ofFloor = (r: number) => `${((r / floor) * 100).toFixed(0)} % of the floor`;
    return [
      { metric: `\`tar -x\` of the layer tars (${size}): the floor`, ours: floor, peer: undefined, unit: 'MB/s', lowerIsBetter: false },
      {
        metric: `import of the layer tars (${size}), POST /images/create?fromSrc=-`,
        ours: mine.importRate,
        peer: theirs?.importRate,
        unit: 'MB/s',
        lowerIsBetter: false,
        goal: `≥ dockerd, ≥ 70 % of the floor (now ${ofFloor(mine.importRate)})`,
      },
      {
        metric: `load of the saved image (${(img.archiveSize / MB).toFixed(0)} MB), POST /images/load`,
        ours: mine.loadRate,
        peer: theirs?.loadRate,
        unit: 'MB/s',
        lowerIsBetter: false,
        goal: `≥ dockerd, ≥ 70 % of the floor (now ${ofFloor(mine.loadRate)})`,
      },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
