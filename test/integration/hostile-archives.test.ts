// Hostile uploads to every endpoint that takes a tar (load, import, docker
// cp's PUT): truncated, garbage and empty bodies, archives whose members point
// out of the archive (symlinks and hard links to host files, /dev/zero, a
// FIFO), malformed manifests and tags, and clients that half-close. The daemon
// must answer each as dockerd 20.10 does (its answers are quoted below, taken
// from a real dockerd with test/helpers/dockerd.ts), stay up, and keep nothing
// of a failed upload: no image, no blob, no ingest, no layer, no file.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fifo, file, hardlink, imageArchive, packTar, symlink, upload, uploadHalfClosed, type RawAnswer } from '../fixtures/hostile-archives';
import { startDaemon, type TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
let containerId: string;
let work: string;
let layerTar: Buffer;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tsd-hostile-'));
  d = await startDaemon();
  layerTar = await packTar([file('a.txt', 'a'.repeat(5000))]);
  expect((await upload(d.socket, 'POST', '/images/load', await imageArchive(['hostile:base']))).body).toContain('Loaded image: hostile:base');
  const c = await upload(d.socket, 'POST', '/containers/create', Buffer.from(JSON.stringify({ Image: 'hostile:base', Cmd: ['x'] })), 'application/json');
  containerId = (JSON.parse(c.body) as { Id: string }).Id;
}, 60_000);

afterAll(async () => {
  if (containerId) await d?.request('DELETE', `/containers/${containerId}?force=1`);
  await d?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

/** What the daemon keeps of images on disk and in its answers. */
async function stored(): Promise<Record<string, unknown>> {
  const images = await d.request('GET', '/images/json?all=1');
  return {
    images: (JSON.parse(images.body) as Array<{ Id: string; RepoTags: string[] }>).map((i) => `${i.Id} ${i.RepoTags.join(',')}`).sort(),
    blobs: list(join(d.dataRoot, 'content', 'blobs', 'sha256')),
    ingests: list(join(d.dataRoot, 'content', 'ingest')),
    layers: list(join(d.dataRoot, 'layers')),
    scratch: list(join(d.dataRoot, 'tmp')),
  };
}

async function alive(): Promise<void> {
  expect((await d.request('GET', '/_ping')).body).toBe('OK');
}

/** An upload that must not hang (a FIFO or /dev/zero opened would). */
function bounded(answer: Promise<RawAnswer>, ms = 15_000): Promise<RawAnswer> {
  return Promise.race([answer, new Promise<RawAnswer>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);
}

const inBand = (message: string): string => `${JSON.stringify({ errorDetail: { message }, error: message })}\r\n`;

describe('truncated, garbage and empty uploads', () => {
  const EOF = 'Error processing tar file(exit status 1): unexpected EOF';
  const GARBAGE = 'Error processing tar file(exit status 1): archive/tar: invalid tar header';

  it('load: an in-band error as dockerd gives, the daemon up, nothing kept', async () => {
    const before = await stored();
    const archive = await imageArchive(['hostile:cut']);
    for (const [body, message] of [
      [archive.subarray(0, 1700), EOF], // cut in the middle of a member
      [archive.subarray(0, 3000), EOF],
      [Buffer.alloc(4096, 0x41), GARBAGE],
      [Buffer.alloc(0), 'invalid archive: no manifest.json or index.json'],
    ] as const) {
      const r = await bounded(upload(d.socket, 'POST', '/images/load', body));
      expect(r).toEqual({ status: 200, body: inBand(message) });
      await alive();
      expect(await stored()).toEqual(before);
    }
  });

  it('import: dockerd\'s HTTP error, the daemon up, nothing kept; an empty tar is an empty layer', async () => {
    const before = await stored();
    for (const [body, message] of [
      [layerTar.subarray(0, 1700), EOF],
      [Buffer.alloc(4096, 0x41), GARBAGE],
    ] as const) {
      const r = await bounded(upload(d.socket, 'POST', '/images/create?fromSrc=-&repo=hostile&tag=imported', body));
      expect(r).toEqual({ status: 500, body: JSON.stringify({ message }) });
      await alive();
      expect(await stored()).toEqual(before);
    }
    const empty = await upload(d.socket, 'POST', '/images/create?fromSrc=-&repo=hostile&tag=empty', Buffer.alloc(0));
    expect(empty.status).toBe(200);
    expect(empty.body).toMatch(/^\{"status":"sha256:[0-9a-f]{64}"\}\r\n$/);
    expect((await d.request('DELETE', '/images/hostile:empty')).status).toBe(200);
  });

  it('archive PUT: dockerd\'s 500, the daemon up, no file left in the container', async () => {
    for (const [body, status, message] of [
      [layerTar.subarray(0, 1700), 500, EOF],
      [Buffer.alloc(4096, 0x41), 500, GARBAGE],
      [Buffer.alloc(0), 200, undefined],
    ] as const) {
      const r = await bounded(upload(d.socket, 'PUT', `/containers/${containerId}/archive?path=/`, body));
      expect(r).toEqual({ status, body: message === undefined ? '' : JSON.stringify({ message }) });
      await alive();
      expect((await d.request('HEAD', `/containers/${containerId}/archive?path=/a.txt`)).status).toBe(404);
    }
  });
});

describe('members that point out of the archive', () => {
  let shadowHead: string;
  let hostFifo: string;
  beforeAll(() => {
    shadowHead = readFileSync('/etc/shadow', 'utf8').split(':')[0]!;
    hostFifo = join(work, 'fifo');
    execFileSync('mkfifo', [hostFifo]);
  });

  /** Loads `archive`: an error in time, nothing of the host file in it, the daemon up, nothing kept. */
  async function refused(archive: Buffer, message: string): Promise<void> {
    const before = await stored();
    const r = await bounded(upload(d.socket, 'POST', '/images/load', archive));
    expect(r).toEqual({ status: 200, body: inBand(message) });
    expect(r.body).not.toContain(`${shadowHead}:`);
    await alive();
    expect(await stored()).toEqual(before);
  }

  it('a manifest.json or index.json linked to /etc/shadow is looked for inside the archive', async () => {
    await refused(await packTar([symlink('manifest.json', '/etc/shadow')]), 'invalid archive: no manifest.json or index.json');
    await refused(await packTar([symlink('index.json', '/etc/shadow')]), 'invalid archive: no manifest.json or index.json');
    await refused(await packTar([symlink('manifest.json', '../../../../../../etc/shadow')]), 'invalid archive: no manifest.json or index.json');
  });

  it('a config linked to /etc/shadow, and a layer linked to /dev/zero, are not read from the host', async () => {
    const config = await packTar([
      symlink('c.json', '/etc/shadow'),
      file('manifest.json', JSON.stringify([{ Config: 'c.json', RepoTags: ['hostile:x'], Layers: [] }])),
    ]);
    await refused(config, 'invalid archive: c.json not found');
    const zero = await packTar([
      symlink('manifest.json', '/dev/zero'),
      symlink('index.json', '/dev/zero'),
    ]);
    await refused(zero, 'invalid archive: no manifest.json or index.json');
    const diffId = `sha256:${'0'.repeat(64)}`;
    const layerToZero = await packTar([
      file('c.json', JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] } })),
      symlink('l/layer.tar', '/dev/zero'),
      file('manifest.json', JSON.stringify([{ Config: 'c.json', RepoTags: ['hostile:zero'], Layers: ['l/layer.tar'] }])),
    ]);
    await refused(layerToZero, 'invalid archive: l/layer.tar not found');
  });

  it('reads at most 8 MiB of JSON metadata', async () => {
    const huge = `[${' '.repeat(8 * 1024 * 1024)}]`;
    await refused(await packTar([file('manifest.json', huge)]), 'invalid archive: manifest.json is larger than 8 MiB');
  });

  it('a manifest.json that is a FIFO, or a link to one on the host, never blocks a load', async () => {
    await refused(await packTar([fifo('manifest.json')]), 'invalid archive: manifest.json is a device or a FIFO');
    // More at once than Node's file thread pool has threads: none may hang in open().
    const links = await packTar([symlink('manifest.json', hostFifo)]);
    const before = await stored();
    const answers = await Promise.all(Array.from({ length: 6 }, () => bounded(upload(d.socket, 'POST', '/images/load', links))));
    for (const r of answers) expect(r).toEqual({ status: 200, body: inBand('invalid archive: no manifest.json or index.json') });
    expect(await stored()).toEqual(before);
    const good = await bounded(upload(d.socket, 'POST', '/images/load', await imageArchive(['hostile:after-fifo'])));
    expect(good.body).toContain('Loaded image: hostile:after-fifo');
    expect((await d.request('DELETE', '/images/hostile:after-fifo')).status).toBe(200);
  });

  it('a hard link escaping the archive names the archive\'s own path, as dockerd\'s', async () => {
    const message = 'Error processing tar file(exit status 1): link /etc/shadow /manifest.json: no such file or directory';
    await refused(await packTar([hardlink('manifest.json', '/etc/shadow')]), message);
    await refused(await packTar([hardlink('manifest.json', '../../../../../etc/shadow')]), message);
  });

  it('a hard link in an archive PUT to a path the container lacks is dockerd\'s 500, not a 404', async () => {
    for (const target of ['/etc/shadow', '../../etc/shadow']) {
      const r = await upload(d.socket, 'PUT', `/containers/${containerId}/archive?path=/`, await packTar([hardlink('x', target)]));
      expect(r).toEqual({ status: 500, body: JSON.stringify({ message: 'Error processing tar file(exit status 1): link /etc/shadow /x: no such file or directory' }) });
    }
    expect((await d.request('HEAD', `/containers/${containerId}/archive?path=/x`)).status).toBe(404);
  });
});

describe('malformed manifests and tags', () => {
  it('refuses a manifest of the wrong shape with encoding/json\'s words', async () => {
    const before = await stored();
    for (const [manifest, message] of [
      ['[null]', 'invalid archive: manifest.json entry 0 names no config'],
      ['{}', 'json: cannot unmarshal object into Go value of type []tarexport.manifestItem'],
      ['[1]', 'json: cannot unmarshal number into Go value of type tarexport.manifestItem'],
      ['[{"Config":7}]', 'json: cannot unmarshal number into Go struct field manifestItem.Config of type string'],
      ['[{"Config":"c.json","Layers":"x"}]', 'json: cannot unmarshal string into Go struct field manifestItem.Layers of type []string'],
      ['[{"Config":"c.json","RepoTags":[null]}]', 'json: cannot unmarshal null into Go struct field manifestItem.RepoTags of type string'],
    ] as const) {
      const r = await upload(d.socket, 'POST', '/images/load', await packTar([file('manifest.json', manifest)]));
      expect(r).toEqual({ status: 200, body: inBand(message) });
    }
    expect(await stored()).toEqual(before);
  });

  it('refuses the tags dockerd refuses, before storing anything', async () => {
    const before = await stored();
    for (const [tag, message] of [
      ['UPPER/x:y', 'invalid reference format: repository name must be lowercase'],
      ['x/Y:z', 'invalid reference format: repository name (x/Y) must be lowercase'],
      [`x@sha256:${'a'.repeat(64)}`, `invalid tag "x@sha256:${'a'.repeat(64)}"`],
      ['untagged', 'invalid tag "untagged"'],
    ] as const) {
      const r = await upload(d.socket, 'POST', '/images/load', await imageArchive([tag]));
      expect(r).toEqual({ status: 200, body: inBand(message) });
    }
    expect(await stored()).toEqual(before);
  });
});

describe('a client that half-closes after its body', () => {
  it('gets the whole answer of a load, and the image', async () => {
    const answer = await uploadHalfClosed(d.socket, '/images/load', await imageArchive(['hostile:half']));
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toContain('Loaded image: hostile:half');
    expect((await d.request('GET', '/images/hostile:half/json')).status).toBe(200);
  });

  it('gets the whole answer of an import, and the image', async () => {
    const answer = await uploadHalfClosed(d.socket, '/images/create?fromSrc=-&repo=hostile&tag=half-import', layerTar);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toMatch(/\{"status":"sha256:[0-9a-f]{64}"\}/);
    expect((await d.request('GET', '/images/hostile:half-import/json')).status).toBe(200);
  });
});

describe('the CLI applies a copy with src/archive alone (no native addon)', () => {
  it('makes the FIFO and the device node of a container\'s archive, as docker cp does as root', async () => {
    const r = await upload(d.socket, 'PUT', `/containers/${containerId}/archive?path=/`, await packTar([
      fifo('pipe'),
      { header: { name: 'null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 } },
    ]));
    expect(r.status).toBe(200);
    const out = join(work, 'cli-copy');
    mkdirSync(out);
    expect(d.cli(['cp', `${containerId}:/pipe`, out])).toMatchObject({ code: 0, stderr: '' });
    expect(d.cli(['cp', `${containerId}:/null`, out])).toMatchObject({ code: 0, stderr: '' });
    expect(lstatSync(join(out, 'pipe')).isFIFO()).toBe(true);
    const dev = lstatSync(join(out, 'null'));
    expect([dev.isCharacterDevice(), dev.rdev, dev.mode & 0o777]).toEqual([true, lstatSync('/dev/null').rdev, 0o666]);
  });
});
