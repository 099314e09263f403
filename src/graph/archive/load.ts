// `docker load`: reads a docker-save tar (Docker 25+ OCI layout with
// manifest.json, or the older docker-archive with `<id>/layer.tar` and
// `<id>.json`), or a plain OCI image layout (index.json only), possibly
// compressed. The archive is unpacked to a private temp dir (names cleaned,
// symlinks resolved inside it), layers are registered in order (a layer already
// present is not unpacked again), images created and tagged.
import { closeSync, createReadStream, openSync, promises as fsp, writeSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import type { JSONMessage } from '../../api/types';
import { InvalidArgumentError, isErrno } from '../../errors';
import { decompressStream } from '../compression';
import { isDigest, hexOf, type Digest } from '../digest';
import { parseConfig } from '../image/config';
import type { ImageStore } from '../image/store';
import { chainIds } from '../layers/chain';
import type { Lease, LayerStore } from '../layers/types';
import { cleanEntryName, resolveInRoot } from '../layers/scoped-path';
import { familiarString, parseNormalizedNamed, withDefaultTag, type NamedRef } from '../reference';
import { randomName } from '../fsutil';
import { mkdirPrivateAsync } from '../../state/dirs';

/** Read size of layer tars: 64 KiB reads would cost a syscall and a stream hop each. */
const READ_CHUNK = 1024 * 1024;

export interface LoadResult {
  images: Array<{ id: Digest; refs: string[] }>;
}

interface ManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

interface ImageToLoad {
  configPath: string;
  layerPaths: string[];
  refs: NamedRef[];
}

/** Loads every image of the archive; `progress` receives Docker's stream lines. */
export async function loadImages(
  source: Readable,
  deps: { store: ImageStore; layers: LayerStore; tmpRoot: string },
  progress: (msg: JSONMessage) => void = () => {},
): Promise<LoadResult> {
  await mkdirPrivateAsync(deps.tmpRoot);
  const dir = join(deps.tmpRoot, randomName('load-'));
  await fsp.mkdir(dir, { mode: 0o700 });
  try {
    const { stream } = await decompressStream(source);
    await extractArchive(stream, dir);
    const toLoad = await readManifests(dir);
    const result: LoadResult = { images: [] };
    for (const item of toLoad) {
      const id = await loadOne(dir, item, deps);
      const refs: string[] = [];
      for (const ref of item.refs) {
        const old = deps.store.lookupRef(ref);
        if (old !== undefined && old !== id) {
          progress({ stream: `The image ${familiarString(ref)} already exists, renaming the old one with ID ${old} to empty string\n` });
        }
        deps.store.addRef(ref, id);
        refs.push(familiarString(ref));
        progress({ stream: `Loaded image: ${familiarString(ref)}\n` });
      }
      if (item.refs.length === 0) progress({ stream: `Loaded image ID: ${id}\n` });
      result.images.push({ id, refs });
    }
    return result;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

async function loadOne(dir: string, item: ImageToLoad, deps: { store: ImageStore; layers: LayerStore }): Promise<Digest> {
  const configBytes = await readIn(dir, item.configPath);
  const config = parseConfig(configBytes);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== item.layerPaths.length) {
    throw new InvalidArgumentError(`invalid manifest, layers length mismatch: expected ${diffIds.length}, got ${item.layerPaths.length}`);
  }
  const leases: Lease[] = [];
  try {
    let parent: Digest | null = null;
    const chains = chainIds(diffIds);
    for (let i = 0; i < diffIds.length; i++) {
      const known = deps.layers.get(chains[i]!);
      const file = known ? undefined : await realFile(dir, item.layerPaths[i]!);
      // The scratch copy becomes the layer's blob as it is (see RegisterOptions.file).
      const lease: Lease = file
        ? await deps.layers.register(createReadStream(file, { highWaterMark: READ_CHUNK }), { parent, expectedDiffId: diffIds[i]!, file })
        : await deps.layers.register(emptyStream(), { parent, expectedDiffId: diffIds[i]! });
      leases.push(lease);
      parent = lease.layer.chainId;
    }
    return await deps.store.create(configBytes);
  } finally {
    for (const l of leases) l.release();
  }
}

/** The regular file an archive path names in the scratch dir, symlinks (`<id>/layer.tar -> ../<id2>/layer.tar`) followed within it. */
async function realFile(dir: string, name: string): Promise<string> {
  let rel = cleanEntryName(name);
  for (let hops = 0; hops < 40; hops++) {
    const host = resolveInRoot(dir, rel);
    const st = await fsp.lstat(host).catch((err: unknown) => {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) throw new InvalidArgumentError(`invalid archive: ${name} not found`);
      throw err;
    });
    if (st.isFile()) return host;
    if (!st.isSymbolicLink()) throw new InvalidArgumentError(`invalid archive: ${name} is not a file`);
    const target = await fsp.readlink(host);
    rel = cleanEntryName(target.startsWith('/') ? target : posix.join(posix.dirname(rel), target));
  }
  throw new InvalidArgumentError(`invalid archive: too many levels of symbolic links at ${name}`);
}

/** register() with a known chain only drains its input. */
function emptyStream(): Readable {
  return Readable.from([]);
}

async function readIn(dir: string, name: string): Promise<Buffer> {
  return fsp.readFile(await realFile(dir, name));
}

async function readManifests(dir: string): Promise<ImageToLoad[]> {
  const manifest = await fsp.readFile(join(dir, 'manifest.json')).catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  });
  if (manifest) {
    const entries = JSON.parse(manifest.toString()) as ManifestEntry[];
    if (!Array.isArray(entries)) throw new InvalidArgumentError('invalid archive: manifest.json is not a list');
    return entries.map((e) => ({
      configPath: e.Config,
      layerPaths: e.Layers ?? [],
      refs: (e.RepoTags ?? []).map((t) => withDefaultTag(parseNormalizedNamed(t))),
    }));
  }
  const index = await fsp.readFile(join(dir, 'index.json')).catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  });
  if (!index) throw new InvalidArgumentError('invalid archive: no manifest.json or index.json');
  return readOciIndex(dir, JSON.parse(index.toString()) as { manifests?: OciDescriptor[] });
}

interface OciDescriptor {
  mediaType: string;
  digest: string;
  annotations?: Record<string, string>;
}

/** A plain OCI layout: index.json → manifests (nested indexes: linux/amd64 only). */
async function readOciIndex(dir: string, index: { manifests?: OciDescriptor[] }): Promise<ImageToLoad[]> {
  const out: ImageToLoad[] = [];
  for (const d of index.manifests ?? []) {
    if (!isDigest(d.digest)) throw new InvalidArgumentError(`invalid digest ${d.digest}`);
    const blob = (dg: string) => `blobs/sha256/${hexOf(dg as Digest)}`;
    const data = JSON.parse((await readIn(dir, blob(d.digest))).toString()) as {
      manifests?: Array<OciDescriptor & { platform?: { os?: string; architecture?: string } }>;
      config?: { digest: string };
      layers?: Array<{ digest: string }>;
    };
    if (data.manifests) {
      const pick = data.manifests.find((m) => m.platform?.os === 'linux' && m.platform?.architecture === 'amd64') ?? data.manifests[0];
      if (pick) out.push(...(await readOciIndex(dir, { manifests: [{ ...pick, annotations: d.annotations ?? {} }] })));
      continue;
    }
    if (!data.config) throw new InvalidArgumentError(`invalid manifest ${d.digest}`);
    const name = d.annotations?.['io.containerd.image.name'] ?? d.annotations?.['org.opencontainers.image.ref.name'];
    let refs: NamedRef[] = [];
    if (name) {
      try {
        refs = [withDefaultTag(parseNormalizedNamed(name))];
      } catch {
        refs = []; // a bare tag name ("latest") without a repository
      }
    }
    out.push({ configPath: blob(data.config.digest), layerPaths: (data.layers ?? []).map((l) => blob(l.digest)), refs });
  }
  return out;
}

/** Unpacks regular files, directories and symlinks of the archive into dir. */
async function extractArchive(stream: Readable, dir: string): Promise<void> {
  const extract = tar.extract();
  const piping = pipeline(stream, extract);
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const rel = cleanEntryName(h.name);
      const host = resolveInRoot(dir, rel);
      if (rel !== '') await fsp.mkdir(posix.dirname(host), { recursive: true });
      if (h.type === 'directory') await fsp.mkdir(host, { recursive: true });
      else if (h.type === 'symlink') await fsp.symlink(h.linkname, host).catch(() => {});
      else if (h.type === 'file' || h.type === 'contiguous-file') {
        // Synchronous writes: each chunk is a page-cache copy, cheaper than a thread-pool round trip.
        const fd = openSync(host, 'wx', 0o600);
        try {
          for await (const c of entry as AsyncIterable<Buffer>) {
            for (let done = 0; done < c.length; ) done += writeSync(fd, c, done);
          }
        } finally {
          closeSync(fd);
        }
        continue;
      }
      for await (const _ of entry as AsyncIterable<Buffer>) void _;
    }
  } catch (err) {
    stream.destroy();
    await piping.catch(() => {});
    throw err;
  }
  await piping;
}

