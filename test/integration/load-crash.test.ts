// SIGKILL of tsdockerd in the middle of `docker load` of a ~200 MB image (random,
// incompressible layers): after a restart on the same data root nothing partial
// is left (no ingest, no scratch files, every blob whole and needed, layer rows
// and directories matching, no image), and loading again succeeds with layers
// that verify. Two moments: while the archive is still arriving, and while its
// layers are being registered (one committed, the next being unpacked).
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, promises as fsp, readdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBigImage, type BigImage } from '../fixtures/big-image';
import { busyboxRootfsTar } from '../fixtures/busybox';
import { startDaemon, type TestDaemon } from '../helpers/daemon';

let work: string;
let img: BigImage;
const daemons: TestDaemon[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tsd-load-crash-'));
  // ~20 + 120 + 70 MB: the big middle layer gives a wide window while it unpacks.
  img = await makeBigImage(work, 'tsd-crash:1', [
    { bigFiles: 2, bigMB: 10 },
    { bigFiles: 12, bigMB: 10 },
    { bigFiles: 6, bigMB: 10, smallFiles: 1000, smallKB: 16 },
  ]);
}, 120_000);

afterAll(async () => {
  for (const d of daemons) await d.cleanup();
  for (const dir of [...dirs, work]) if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Upload {
  sent(): number;
  /** The response, or the error that ended the request (a killed daemon). */
  done: Promise<{ status: number; body: string } | { error: Error }>;
}

/** POSTs the archive to /images/load, at most `bytesPerSec` when given. */
function postLoad(socket: string, file: string, bytesPerSec?: number): Upload {
  let sent = 0;
  const done = new Promise<{ status: number; body: string } | { error: Error }>((resolve) => {
    const req = http.request({ socketPath: socket, method: 'POST', path: '/images/load', headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (error) => resolve({ error }));
      res.on('close', () => res.complete || resolve({ error: new Error('response cut short') }));
    });
    req.on('error', (error) => resolve({ error }));
    const started = Date.now();
    void (async () => {
      for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
        if (req.destroyed) return;
        if (!req.write(chunk)) await drainOrClose(req);
        sent += chunk.length;
        if (bytesPerSec) {
          const ahead = (sent / bytesPerSec) * 1000 - (Date.now() - started);
          if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
        }
      }
      req.end();
    })().catch((error: Error) => resolve({ error }));
  });
  return { sent: () => sent, done };
}

function drainOrClose(req: http.ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      req.off('drain', done).off('close', done);
      resolve();
    };
    req.on('drain', done).on('close', done);
  });
}

/** Bytes of the files under `dir` (0 when it does not exist). */
function bytesUnder(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    try {
      n += statSync(join(e.parentPath, e.name)).size;
    } catch {
      // removed meanwhile
    }
  }
  return n;
}

function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-test-'));
  dirs.push(dir);
  return dir;
}

async function until(what: string, cond: () => boolean, ms = 60_000, every = 5): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) hash.update(c);
  return hash.digest('hex');
}

const HEX64 = /^[0-9a-f]{64}$/;

interface Rows {
  layers: Array<{ chain_id: string; diff_id: string; parent: string | null; blob_digest: string }>;
  images: Array<{ id: string; top_layer: string | null }>;
  refs: Array<{ ref: string; image_id: string }>;
}

function readRows(d: TestDaemon): Rows {
  const db = new Database(join(d.dataRoot, 'tsdocker.db'), { readonly: true, fileMustExist: true });
  try {
    return {
      layers: db.prepare('SELECT chain_id, diff_id, parent, blob_digest FROM layers').all() as Rows['layers'],
      images: db.prepare('SELECT id, top_layer FROM images').all() as Rows['images'],
      refs: db.prepare('SELECT ref, image_id FROM image_refs').all() as Rows['refs'],
    };
  } finally {
    db.close();
  }
}

/** What must hold on the data root of a (restarted) daemon whatever a crash interrupted. */
async function expectConsistent(d: TestDaemon): Promise<Rows> {
  const content = join(d.dataRoot, 'content');
  const layersDir = join(d.dataRoot, 'layers');
  expect(readdirSync(join(content, 'ingest')), 'open ingests').toEqual([]);
  expect(existsSync(join(d.dataRoot, 'tmp')) ? readdirSync(join(d.dataRoot, 'tmp')) : [], 'load scratch files').toEqual([]);

  const rows = readRows(d);
  const chains = new Set(rows.layers.map((l) => l.chain_id.slice(7)));
  expect(readdirSync(layersDir).filter((n) => !chains.has(n)), 'layer directories without a row').toEqual([]);
  for (const l of rows.layers) {
    expect(existsSync(join(layersDir, l.chain_id.slice(7), 'diff')), `directory of layer ${l.chain_id}`).toBe(true);
    if (l.parent !== null) expect(chains.has(l.parent.slice(7)), `parent of ${l.chain_id}`).toBe(true);
  }
  for (const i of rows.images) if (i.top_layer !== null) expect(chains.has(i.top_layer.slice(7)), `top layer of ${i.id}`).toBe(true);

  const needed = new Set([...rows.layers.map((l) => l.blob_digest), ...rows.images.map((i) => i.id)]);
  const blobDir = join(content, 'blobs', 'sha256');
  for (const name of readdirSync(blobDir)) {
    expect(name, 'blob name').toMatch(HEX64);
    expect(await sha256File(join(blobDir, name)), `content of blob ${name}`).toBe(name);
    expect(needed.has(`sha256:${name}`), `blob ${name} is used by a layer or an image`).toBe(true);
  }
  for (const digest of needed) expect(existsSync(join(blobDir, digest.slice(7))), `blob ${digest}`).toBe(true);
  return rows;
}

/** After a crash: nothing of the image is visible, and a second load gives the whole image. */
async function expectRecoversAndReloads(dir: string): Promise<void> {
  const d = await startDaemon({ dir });
  daemons.push(d);
  const rows = await expectConsistent(d);
  expect(rows.images, 'images after the crash').toEqual([]);
  expect(rows.refs).toEqual([]);
  expect(d.docker(['images', '-a', '--format', '{{.ID}}'])).toEqual({ code: 0, stdout: '', stderr: '' });

  const retry = await postLoad(d.socket, img.archive).done;
  expect(retry).toMatchObject({ status: 200 });
  expect((retry as { body: string }).body).toContain(`Loaded image: ${img.name}`);
  expect(d.docker(['image', 'inspect', '--format', '{{.Id}} {{json .RootFS.Layers}}', img.name]).stdout).toBe(
    `${img.id} ${JSON.stringify(img.layers.map((l) => l.diffId))}\n`,
  );
  const after = await expectConsistent(d);
  for (const [i, layer] of img.layers.entries()) {
    const row = after.layers.find((l) => l.diff_id === layer.diffId);
    expect(row, `layer ${i}`).toBeDefined();
    const diff = join(d.dataRoot, 'layers', row!.chain_id.slice(7), 'diff');
    for (const [path, sum] of layer.files) expect(await sha256File(join(diff, path)), path).toBe(sum);
  }
  await d.cleanup();
}

describe('SIGKILL during docker load', () => {
  it('while the archive is arriving: restart leaves nothing partial, a retry loads it', async () => {
    const d = await startDaemon({ dir: newDir() });
    daemons.push(d);
    const upload = postLoad(d.socket, img.archive, 60 * 1024 * 1024);
    const scratch = join(d.dataRoot, 'tmp');
    await until('half the archive in the load scratch dir', () => existsSync(scratch) && bytesUnder(scratch) > img.archiveSize / 2, 60_000, 20);
    expect(await d.kill('SIGKILL')).toBe(null);
    expect(upload.sent()).toBeLessThan(img.archiveSize);
    expect(await upload.done).toHaveProperty('error');
    await expectRecoversAndReloads(d.dir);
  });

  it('while its layers are registered: restart leaves nothing partial, a retry loads it', async () => {
    const d = await startDaemon({ dir: newDir() });
    daemons.push(d);
    const upload = postLoad(d.socket, img.archive);
    const layersDir = join(d.dataRoot, 'layers');
    // One layer in place, the next one unpacking in a tmp- directory.
    await until('one layer registered and the next unpacking', () => {
      const names = existsSync(layersDir) ? readdirSync(layersDir) : [];
      return names.some((n) => HEX64.test(n)) && names.some((n) => n.startsWith('tmp-'));
    });
    expect(await d.kill('SIGKILL')).toBe(null);
    expect(await upload.done).toHaveProperty('error');
    await expectRecoversAndReloads(d.dir);
  });
});

// The instants between the steps of a load are too short to hit with a signal:
// plant what a crash at each would leave, and restart.
describe('what a crash at any instant leaves', () => {
  it('is removed at start, and the images already there stay whole', async () => {
    const d = await startDaemon({ dir: newDir() });
    daemons.push(d);
    const rootfs = await busyboxRootfsTar();
    expect(d.docker(['import', rootfs, 'tsd-keep:1']).code).toBe(0);
    expect(await d.kill('SIGKILL')).toBe(null);

    const plant = async (path: string, data: string | Buffer = 'x') => {
      await fsp.mkdir(join(path, '..'), { recursive: true });
      await fsp.writeFile(path, data);
    };
    const orphan = randomBytes(4096);
    const orphanHex = createHash('sha256').update(orphan).digest('hex');
    await plant(join(d.dataRoot, 'content', 'ingest', 'a'.repeat(64), 'data'), 'half a layer'); // writing a blob
    await plant(join(d.dataRoot, 'content', 'blobs', 'sha256', orphanHex), orphan); // blob committed, its row not yet
    await plant(join(d.dataRoot, 'layers', 'tmp-0123456789abcdef', 'diff', 'f')); // unpacking a layer
    await plant(join(d.dataRoot, 'layers', 'b'.repeat(64), 'diff', 'f')); // layer renamed into place, its row not yet
    await plant(join(d.dataRoot, 'layers', '.trash-0123456789abcdef', 'diff', 'f')); // removing a layer
    await plant(join(d.dataRoot, 'tmp', 'load-0123456789abcdef', 'blobs', 'sha256', 'c'.repeat(64))); // receiving an archive

    const again = await startDaemon({ dir: d.dir });
    daemons.push(again);
    const rows = await expectConsistent(again);
    expect(existsSync(join(again.dataRoot, 'content', 'blobs', 'sha256', orphanHex)), 'the unused blob').toBe(false);
    expect(rows.images).toHaveLength(1);
    expect(again.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout).toBe('tsd-keep:1\n');
    expect(again.docker(['save', '-o', join(again.dir, 'keep.tar'), 'tsd-keep:1']).code).toBe(0);
  });
});

// The archive itself must be what the image claims, or the test proves nothing.
describe('the big image fixture', () => {
  it('has layers whose tars hash to their diffIDs', async () => {
    for (const l of img.layers) expect(`sha256:${await sha256File(l.tarPath)}`).toBe(l.diffId);
    expect((await fsp.stat(img.archive)).size).toBeGreaterThan(200 * 1024 * 1024);
  });
});
