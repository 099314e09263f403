// The content store kept by reference, as a pull will fill it: a manifest or
// index blob an image holds survives a restart of the graph (the daemon's
// open), one nothing references is collected there, and an image's removal
// lets its documents go. An ingest left by a pull resumes after the restart.
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { writeBlob } from '../../src/graph/content/helpers';
import { sha256 } from '../../src/api/digest';
import { Graph } from '../../src/graph/graph';
import { MEDIA_TYPE } from '../../src/graph/media-types';
import { openDb, type Db } from '../../src/state/db';
import { tempDir } from './helpers';

let dir: string;
let db: Db;

beforeEach(() => {
  dir = tempDir('tsd-content-refs-');
});
afterEach(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens the graph on `dir` as a daemon start does (closing the previous one's database). */
async function restart(): Promise<Graph> {
  db?.close();
  db = openDb(dir).db;
  return Graph.open(dir, db);
}

const config = (n: number) => ({ architecture: 'amd64', os: 'linux', config: { Env: [`N=${n}`] }, rootfs: { type: 'layers', diff_ids: [] } });
const manifest = (configDigest: string) =>
  JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE.ociManifest, config: { mediaType: MEDIA_TYPE.ociConfig, digest: configDigest, size: 1 }, layers: [] });

test('manifests and indexes are kept by reference, not by kind, across restarts', async () => {
  let g = await restart();
  const id = sha256(JSON.stringify(config(1)));
  const held = await writeBlob(g.content, manifest(id));
  const index = await writeBlob(g.content, JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: [{ digest: held.digest }] }));
  const loose = await writeBlob(g.content, manifest(sha256('nobody')));
  const imageId = await g.store.create(Buffer.from(JSON.stringify(config(1))), {
    documents: [{ digest: held.digest, mediaType: MEDIA_TYPE.ociManifest }, { digest: index.digest, mediaType: MEDIA_TYPE.ociIndex }],
  });
  expect(g.store.documents.heldBy(`image:${imageId}`).map((b) => b.digest).sort()).toEqual([held.digest, index.digest].sort());

  g = await restart();
  expect(await g.content.has(held.digest)).toBe(true);
  expect(await g.content.has(index.digest)).toBe(true);
  expect(await g.content.has(imageId)).toBe(true);
  expect(await g.content.has(loose.digest)).toBe(false);

  // A second image holding the same manifest keeps it when the first goes.
  const other = await g.store.create(Buffer.from(JSON.stringify(config(2))), { documents: [{ digest: held.digest, mediaType: MEDIA_TYPE.ociManifest }] });
  g.store.delete(imageId);
  await new Promise((r) => setTimeout(r, 50)); // the blobs are deleted after the commit
  expect(await g.content.has(index.digest)).toBe(false);
  expect(await g.content.has(held.digest)).toBe(true);
  g.store.delete(other);
  await new Promise((r) => setTimeout(r, 50));
  expect(await g.content.has(held.digest)).toBe(false);
  g = await restart();
  expect(await g.content.has(held.digest)).toBe(false);
});

test('a pull\'s ingest survives a restart of the graph and resumes where it stopped', async () => {
  let g = await restart();
  const blob = Buffer.from('layer bytes '.repeat(10_000));
  const digest = sha256(blob);
  const w = await g.content.writer(`pull/${digest}`, { size: blob.length, expected: digest });
  await w.write(blob.subarray(0, 50_000));
  await w.close();
  g = await restart();
  const resumed = await g.content.writer(`pull/${digest}`, { size: blob.length, expected: digest });
  expect(resumed.offset).toBe(50_000);
  await resumed.write(blob.subarray(resumed.offset));
  expect((await resumed.commit(blob.length, digest)).digest).toBe(digest);
});
