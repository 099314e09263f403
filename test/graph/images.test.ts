import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Graph } from '../../src/graph/graph';
import { openDb, type Db } from '../../src/state/db';
import type { JSONMessage } from '../../src/api/types';
import { busyboxRootfsTar } from '../fixtures/busybox';
import { listTar, makeTar, tempDir } from './helpers';

let dir: string;
let db: Db;
let g: Graph;
let users: Array<{ image: string; id: string; running: boolean }>;

async function openGraph(root: string): Promise<Graph> {
  db = openDb(root).db;
  return Graph.open(root, db, { users: { containersUsing: (id) => users.filter((u) => u.image === id) } });
}

beforeEach(async () => {
  dir = tempDir('tsd-images-');
  users = [];
  g = await openGraph(dir);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function importBusybox(repo = 'bb', changes: string[] = ['CMD ["sh"]']): Promise<string> {
  return g.images.importImage(createReadStream(await busyboxRootfsTar()), { repo, changes });
}

async function saveTo(names: string[], file: string, graph = g): Promise<void> {
  await pipeline(graph.save(names), createWriteStream(file));
}

describe('import, inspect, history', () => {
  test('config as dockerd writes it', async () => {
    const id = await importBusybox('bb:1', ['CMD ["sh"]', 'ENV A=b C="d e"', 'WORKDIR /x', 'WORKDIR y', 'LABEL k=v', 'EXPOSE 80 53/udp', 'USER nobody', 'VOLUME /data', 'ENTRYPOINT ["/bin/busybox"]']);
    const raw = (await g.content.readAll(id as `sha256:${string}`)).toString();
    expect(Object.keys(JSON.parse(raw))).toEqual(['architecture', 'comment', 'config', 'created', 'history', 'os', 'rootfs']);
    const ins = g.images.inspect('bb:1');
    expect(ins.Id).toBe(id);
    expect(ins.RepoTags).toEqual(['bb:1']);
    expect(ins.Architecture).toBe('amd64');
    expect(ins.Os).toBe('linux');
    expect(ins.Comment).toBe('Imported from -');
    expect(ins.Config?.Cmd).toEqual(['sh']); // ENTRYPOINT clears Cmd unless the changes set it earlier
    expect(ins.Config?.Env).toEqual(['A=b', 'C=d e']);
    expect(ins.Config?.WorkingDir).toBe('/x/y');
    expect(ins.Config?.Labels).toEqual({ k: 'v' });
    expect(ins.Config?.ExposedPorts).toEqual({ '80/tcp': {}, '53/udp': {} });
    expect(ins.Config?.User).toBe('nobody');
    expect(ins.Config?.Volumes).toEqual({ '/data': {} });
    expect(ins.Config?.Entrypoint).toEqual(['/bin/busybox']);
    expect(ins.RootFS.Type).toBe('layers');
    expect(ins.RootFS.Layers).toHaveLength(1);
    expect(ins.GraphDriver.Name).toBe('overlay2');
    expect(ins.GraphDriver.Data?.UpperDir).toMatch(/\/layers\/[a-f0-9]{64}\/diff$/);
    expect(ins.Metadata.LastTagTime).not.toBe('0001-01-01T00:00:00Z');
    expect(ins.Size).toBeGreaterThan(1_900_000);
    const h = g.images.history(id);
    expect(h).toHaveLength(1);
    expect(h[0]).toMatchObject({ Id: id, Comment: 'Imported from -', CreatedBy: '', Tags: ['bb:1'], Size: ins.Size });
    expect(() => g.images.inspect('nosuch')).toThrow('No such image: nosuch:latest');
    expect(() => g.images.inspect('Nosuch')).toThrow('invalid reference format: repository name (library/Nosuch) must be lowercase');
    expect(g.images.inspect(id.slice(7, 19)).Id).toBe(id);
    expect(g.images.inspect(`sha256:${id.slice(7, 15)}`).Id).toBe(id);
    await expect(g.images.importImage(Readable.from([Buffer.alloc(0)]), { changes: ['RUN x'] })).rejects.toThrow('RUN is not a valid change command');
  });

  test('CMD after ENTRYPOINT, shell forms', async () => {
    const id = await importBusybox('bb', ['ENTRYPOINT echo hi', 'CMD ["x"]']);
    expect(g.images.inspect(id).Config).toMatchObject({ Entrypoint: ['/bin/sh', '-c', 'echo hi'], Cmd: ['x'] });
  });
});

describe('tag and remove', () => {
  test('untag vs delete, conflicts, force', async () => {
    const id = await importBusybox('bb');
    g.images.tag('bb', 'docker.io/library/bbtr', '1');
    expect(g.images.inspect(id).RepoTags).toEqual(['bb:latest', 'bbtr:1']);
    expect(() => g.images.remove(id)).toThrow(
      `conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
    );
    expect(g.images.remove('bbtr:1')).toEqual([{ Untagged: 'bbtr:1' }]);
    users.push({ image: id, id: 'c'.repeat(64), running: true });
    expect(() => g.images.remove('bb')).toThrow(
      `conflict: unable to remove repository reference "bb" (must force) - container cccccccccccc is using its referenced image ${id.slice(7, 19)}`,
    );
    expect(() => g.images.remove(id, { force: true })).toThrow(
      `conflict: unable to delete ${id.slice(7, 19)} (cannot be forced) - image is being used by running container cccccccccccc`,
    );
    users[0]!.running = false;
    expect(() => g.images.remove(id)).toThrow(`(must be forced) - image is being used by stopped container cccccccccccc`);
    users.length = 0;
    const layer = g.images.inspect(id).RootFS.Layers![0]!;
    const res = g.images.remove(id);
    expect(res).toEqual([{ Untagged: 'bb:latest' }, { Deleted: id }, { Deleted: layer }]);
    expect(g.count()).toBe(0);
    expect(g.layers.totalSize()).toBe(0);
    expect(() => g.images.remove('bb')).toThrow('No such image: bb:latest');
  });

  test('force removes every tag', async () => {
    const id = await importBusybox('a');
    g.images.tag(id, 'b', 'x');
    const res = g.images.remove(id.slice(7, 15), { force: true });
    expect(res.slice(0, 3)).toEqual([{ Untagged: 'a:latest' }, { Untagged: 'b:x' }, { Deleted: id }]);
  });

  test('list filters and prune', async () => {
    const a = await importBusybox('a', ['LABEL x=1']);
    const b = await g.images.importImage(Readable.from([await makeTar([{ name: 'f', data: 'b' }])]), {});
    expect(g.images.list().map((i) => i.Id).sort()).toEqual([a, b].sort());
    expect(g.images.list({ filters: { dangling: ['true'] } }).map((i) => i.Id)).toEqual([b]);
    expect(g.images.list({ filters: { label: ['x=1'] } }).map((i) => i.Id)).toEqual([a]);
    expect(g.images.list({ filters: { reference: ['a*'] } })[0]?.RepoTags).toEqual(['a:latest']);
    expect(g.images.list({ filters: { reference: ['z*'] } })).toEqual([]);
    expect(() => g.images.list({ filters: { nope: ['1'] } })).toThrow("invalid filter 'nope'");
    const pruned = g.images.prune();
    expect(pruned.ImagesDeleted?.[0]).toEqual({ Deleted: b });
    expect(pruned.SpaceReclaimed).toBe(1);
    expect(g.images.prune().ImagesDeleted).toBeNull();
    users.push({ image: a, id: 'd'.repeat(64), running: false });
    expect(g.images.prune({ dangling: ['false'] }).ImagesDeleted).toBeNull();
    users.length = 0;
    expect(g.images.prune({ dangling: ['false'] }).ImagesDeleted?.length).toBe(3);
    const df = g.diskUsage();
    expect(df).toEqual({ layersSize: 0, images: [] });
  });
});

describe('save and load', () => {
  test('import → save → load → save gives identical digests; OCI layout readable by skopeo', async () => {
    const id = await importBusybox('bb:1');
    const layer = g.images.inspect(id).RootFS.Layers![0]!;
    const f1 = join(dir, 'one.tar');
    await saveTo(['bb:1'], f1);
    const entries = await listTar(readFileSync(f1));
    const names = entries.map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(['oci-layout', 'index.json', 'manifest.json', 'repositories', `blobs/sha256/${id.slice(7)}`, `blobs/sha256/${layer.slice(7)}`]));
    const body = (n: string) => JSON.parse(entries.find((e) => e.name === n)!.body.toString()) as unknown;
    expect(body('manifest.json')).toEqual([{ Config: `blobs/sha256/${id.slice(7)}`, RepoTags: ['bb:1'], Layers: [`blobs/sha256/${layer.slice(7)}`] }]);
    const index = body('index.json') as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
    expect(index.manifests[0]!.annotations).toEqual({ 'io.containerd.image.name': 'docker.io/library/bb:1', 'org.opencontainers.image.ref.name': '1' });

    // into a second store
    const dir2 = tempDir('tsd-images2-');
    const db2 = openDb(dir2).db;
    try {
      const g2 = await Graph.open(dir2, db2);
      const msgs: JSONMessage[] = [];
      const res = await g2.load(createReadStream(f1), (m) => msgs.push(m));
      expect(res.images).toEqual([{ id, refs: ['bb:1'] }]);
      expect(msgs).toEqual([{ stream: 'Loaded image: bb:1\n' }]);
      const f2 = join(dir2, 'two.tar');
      await saveTo(['bb:1'], f2, g2);
      const index2 = JSON.parse((await listTar(readFileSync(f2))).find((e) => e.name === 'index.json')!.body.toString()) as typeof index;
      expect(index2.manifests[0]!.digest).toBe(index.manifests[0]!.digest);
      // loading again is a no-op that still reports; by ID gives no names
      await g2.load(createReadStream(f1));
      const f3 = join(dir2, 'three.tar');
      await saveTo([id], f3, g2);
      const m3 = [] as JSONMessage[];
      g2.images.remove('bb:1');
      await g2.load(createReadStream(f3), (m) => m3.push(m));
      expect(m3).toEqual([{ stream: `Loaded image ID: ${id}\n` }]);
    } finally {
      db2.close();
      rmSync(dir2, { recursive: true, force: true });
    }

    // skopeo reads both the docker-archive and the OCI view of the same file
    const inspect = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', `docker-archive:${f1}`], { encoding: 'utf8' })) as { config: { digest: string }; layers: Array<{ digest: string }> };
    expect(inspect.config.digest).toBe(id);
    const info = JSON.parse(execFileSync('skopeo', ['inspect', `docker-archive:${f1}`], { encoding: 'utf8' })) as { Layers: string[] };
    expect(info.Layers).toEqual([layer]);
    const oci = join(dir, 'oci');
    execFileSync('skopeo', ['copy', '-q', `docker-archive:${f1}`, `oci:${oci}:bb`]);
    const ociIndex = JSON.parse(readFileSync(join(oci, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const ociManifest = JSON.parse(readFileSync(join(oci, 'blobs/sha256', ociIndex.manifests[0]!.digest.slice(7)), 'utf8')) as {
      config: { digest: string };
      layers: Array<{ digest: string }>;
    };
    // skopeo rewrites the config as an OCI config (new digest) and compresses the layer; the diffID stays
    expect(ociManifest.layers).toHaveLength(1);
    const ociConfig = JSON.parse(readFileSync(join(oci, 'blobs/sha256', ociManifest.config.digest.slice(7)), 'utf8')) as { rootfs: { diff_ids: string[] } };
    expect(ociConfig.rootfs.diff_ids).toEqual([layer]);
    // and skopeo's own OCI layout, tarred, loads back into our store
    const ociTar = join(dir, 'oci.tar');
    execFileSync('tar', ['-C', oci, '-cf', ociTar, '.']);
    const res = await g.load(createReadStream(ociTar));
    expect(res.images[0]!.id).toBe(ociManifest.config.digest);
    expect(res.images[0]!.refs).toEqual(['bb:latest']);
    expect(g.images.inspect('bb').RootFS.Layers).toEqual([layer]);
  });

  test('older docker-archive layout (<id>/layer.tar)', async () => {
    const id = await importBusybox('old:1');
    const layer = g.images.inspect(id).RootFS.Layers![0]!;
    const cfg = await g.content.readAll(id as `sha256:${string}`);
    const tarPath = await busyboxRootfsTar();
    const legacy = await makeTar([
      { name: `${'1'.repeat(64)}/`, type: 'directory' },
      { name: `${'1'.repeat(64)}/VERSION`, data: '1.0' },
      { name: `${'1'.repeat(64)}/layer.tar`, data: readFileSync(tarPath) },
      { name: `${id.slice(7)}.json`, data: cfg },
      { name: 'manifest.json', data: JSON.stringify([{ Config: `${id.slice(7)}.json`, RepoTags: ['old:2'], Layers: [`${'1'.repeat(64)}/layer.tar`] }]) },
    ]);
    g.images.remove('old:1');
    const res = await g.load(Readable.from([legacy]));
    expect(res.images).toEqual([{ id, refs: ['old:2'] }]);
    expect(g.images.inspect('old:2').RootFS.Layers).toEqual([layer]);
    mkdirSync(join(dir, 'x'));
  });
});
