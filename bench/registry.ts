// Section `registry`: pull and push of a ~100 MB, 3-layer image (gzip layers,
// each half random bytes, half text of words: together about what real
// layers compress to) against Debian's docker-registry on 127.0.0.1, tsdockerd next to the peer
// dockerd, median of RUNS, the image removed (and its layers' deletion
// finished) before each run. The floor: sha256 + gunzip of the same blobs, one
// after the other, in this process. Push goes to a fresh registry each run (no
// blob there to find or mount). Resume: a pull through a proxy that cuts its
// connection once half the image went through, then the pull again: all the
// bytes the registry sent, against the image's size.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { hasRegistry, startProxy, startRegistry, type TestRegistry } from '../test/helpers/registry';
import type { Daemon } from './daemons';
import { median, requestStatus } from './measure';
import type { Row } from './table';

const RUNS = 3;
const MiB = 1024 * 1024;
const LAYERS = 3;
/** Per layer: files of 4 MiB, half random, half text of words. */
const FILES_PER_LAYER = 8;

const VOCABULARY = Array.from({ length: 2000 }, () => randomBytes(3 + (randomBytes(1)[0]! % 6)).toString('hex').slice(0, 9));

/** `size` bytes of text: words of VOCABULARY, lines of about 80 characters. */
function words(size: number): Buffer {
  const out = Buffer.alloc(size);
  const picks = randomBytes(size / 2);
  let at = 0;
  for (let i = 0; at < size; i += 2) {
    const word = VOCABULARY[picks.readUInt16LE(i % (picks.length - 1)) % VOCABULARY.length]!;
    at += out.write(`${word}${at % 80 < 8 ? '\n' : ' '}`, at);
  }
  return out;
}

/** A docker-archive of LAYERS layers under `work`, for skopeo to push (gzip) into the registry. */
export function makeArchive(work: string): string {
  const layers: string[] = [];
  const diffIds: string[] = [];
  for (let l = 0; l < LAYERS; l++) {
    const dir = join(work, `layer${l}`);
    mkdirSync(join(dir, `l${l}`), { recursive: true });
    for (let f = 0; f < FILES_PER_LAYER; f++) {
      const bytes = f % 2 === 0 ? randomBytes(4 * MiB) : words(4 * MiB);
      writeFileSync(join(dir, `l${l}`, `f${f}`), bytes);
    }
    const tar = join(work, `layer${l}.tar`);
    execFileSync('tar', ['-C', dir, '-cf', tar, `l${l}`]);
    rmSync(dir, { recursive: true });
    layers.push(`layer${l}.tar`);
    diffIds.push(`sha256:${createHash('sha256').update(readFileSync(tar)).digest('hex')}`);
  }
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const config = JSON.stringify({ architecture: arch, os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIds }, history: [] });
  writeFileSync(join(work, 'config.json'), config);
  writeFileSync(join(work, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['bench/pull:1'], Layers: layers }]));
  const archive = join(work, 'archive.tar');
  execFileSync('tar', ['-C', work, '-cf', archive, 'config.json', 'manifest.json', ...layers]);
  for (const l of layers) rmSync(join(work, l));
  return archive;
}

/** The blobs of `name:1` in the registry's storage: [digest, path, size]. */
function blobsOf(reg: TestRegistry, name: string): Array<{ digest: string; file: string; size: number }> {
  const raw = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/${name}:1`], { encoding: 'utf8' });
  const manifest = JSON.parse(raw) as { layers: Array<{ digest: string; size: number }> };
  return manifest.layers.map((l) => {
    const hex = l.digest.slice(7);
    return { digest: l.digest, size: l.size, file: join(reg.dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data') };
  });
}

/** A POST whose JSON-lines answer must end without an error. */
function post(socket: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const auth = Buffer.from('{}').toString('base64');
    const req = http.request({ socketPath: socket, method: 'POST', path, headers: { 'X-Registry-Auth': auth } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode !== 200 || body.includes('"errorDetail"')) reject(new Error(`POST ${path}: ${res.statusCode} ${body.slice(-500)}`));
        else resolve();
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Removes `images` and waits until tsdockerd's background deletion of their layers is done. */
async function removeImages(d: Daemon, images: string[]): Promise<void> {
  for (const image of images) await requestStatus(d.socket, 'DELETE', `/images/${encodeURIComponent(image)}?force=1`);
  if (d.dataRoot === undefined) return;
  const layers = join(d.dataRoot, 'layers');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && existsSync(layers) && readdirSync(layers).some((n) => n.startsWith('.trash-'))) await new Promise((r) => setTimeout(r, 50));
}

/** Milliseconds `fn` takes, after a `sync`. */
async function millis(fn: () => Promise<void>): Promise<number> {
  spawnSync('sync');
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** The floor: sha256 and gunzip of each blob, one after the other. */
async function floor(blobs: Array<{ file: string }>): Promise<void> {
  for (const b of blobs) {
    const hash = createHash('sha256');
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    await pipeline(createReadStream(b.file, { highWaterMark: MiB }).on('data', (c) => hash.update(c)), createGunzip({ chunkSize: 256 * 1024 }), sink);
    hash.digest();
  }
}

/** Median milliseconds of a pull of `image` on `d`, the image removed before each. */
async function pullTimes(d: Daemon, image: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await removeImages(d, [image]);
    times.push(await millis(() => post(d.socket, `/images/create?fromImage=${encodeURIComponent(image)}`)));
  }
  return median(times);
}

/** Median milliseconds of a push of the pulled image to a fresh registry. */
async function pushTimes(d: Daemon, pulled: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const target = await startRegistry();
    try {
      const repo = `${target.host}/bench-push`;
      const status = await requestStatus(d.socket, 'POST', `/images/${encodeURIComponent(pulled)}/tag?repo=${encodeURIComponent(repo)}&tag=1`);
      if (status !== 201) throw new Error(`tag: ${status}`);
      times.push(await millis(() => post(d.socket, `/images/${encodeURIComponent(repo)}/push?tag=1`)));
      await removeImages(d, [`${repo}:1`]);
    } finally {
      await target.stop();
    }
  }
  return median(times);
}

/** Bytes the registry sent for a pull cut at half the image and pulled again, over the image's size. */
async function resumedRatio(d: Daemon, reg: TestRegistry, total: number): Promise<number> {
  const proxy = await startProxy(reg.port);
  try {
    const image = `${proxy.host}/bench-pull:1`;
    await removeImages(d, [image]);
    proxy.interrupt = { after: Math.floor(total / 2), mode: 'cut' };
    await post(d.socket, `/images/create?fromImage=${encodeURIComponent(image)}`).then(
      () => undefined,
      () => undefined, // the cut pull fails (dockerd may retry and succeed on its own)
    );
    await post(d.socket, `/images/create?fromImage=${encodeURIComponent(image)}`);
    await removeImages(d, [image]);
    return proxy.sent / total;
  } finally {
    await proxy.close();
  }
}

export async function registryRows(ours: Daemon, peer: Daemon | undefined): Promise<Row[]> {
  if (!hasRegistry) {
    process.stderr.write('bench registry: skipped (needs docker-registry and skopeo)\n');
    return [];
  }
  const work = mkdtempSync(join(tmpdir(), 'tsd-bench-registry-'));
  const reg = await startRegistry();
  try {
    reg.seed(makeArchive(work), 'bench-pull:1', ['--dest-compress']);
    const blobs = blobsOf(reg, 'bench-pull');
    const total = blobs.reduce((n, b) => n + b.size, 0);
    const unpacked = LAYERS * FILES_PER_LAYER * 4 * MiB;
    const size = `${(total / 1e6).toFixed(0)} MB gzip, ${(unpacked / 1e6).toFixed(0)} MB unpacked, ${LAYERS} layers`;
    const image = `${reg.host}/bench-pull:1`;
    const floors: number[] = [];
    for (let i = 0; i < RUNS; i++) floors.push(await millis(() => floor(blobs)));
    const pullOurs = await pullTimes(ours, image);
    const pullPeer = peer ? await pullTimes(peer, image) : undefined;
    if (peer) await post(peer.socket, `/images/create?fromImage=${encodeURIComponent(image)}`);
    await post(ours.socket, `/images/create?fromImage=${encodeURIComponent(image)}`);
    const pushOurs = await pushTimes(ours, image);
    const pushPeer = peer ? await pushTimes(peer, image) : undefined;
    await removeImages(ours, [image]);
    if (peer) await removeImages(peer, [image]);
    const resumed = await resumedRatio(ours, reg, total);
    const resumedPeer = peer ? await resumedRatio(peer, reg, total) : undefined;
    return [
      { metric: `sha256 + gunzip of the image's blobs one after the other (${size}): the floor`, ours: median(floors), peer: undefined, unit: 'ms', lowerIsBetter: true },
      { metric: `pull from docker-registry on 127.0.0.1 (${size}), median of ${RUNS}`, ours: pullOurs, peer: pullPeer, unit: 'ms', lowerIsBetter: true, goal: '≤ 600 ms (layers in parallel beat the serial floor)' },
      { metric: `push of the same to an empty docker-registry, median of ${RUNS}`, ours: pushOurs, peer: pushPeer, unit: 'ms', lowerIsBetter: true, goal: '≤ 1000 ms' },
      { metric: 'pull cut once at 50 % (tsdockerd asks again for the rest within the pull, as dockerd): bytes sent by the registry / image size', ours: resumed, peer: resumedPeer, unit: '×', lowerIsBetter: true, goal: '≤ 1.1' },
    ];
  } finally {
    await reg.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
