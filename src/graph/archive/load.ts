// `docker load`: reads a docker-save tar (Docker 25+ OCI layout with
// manifest.json, or the older docker-archive with `<id>/layer.tar` and
// `<id>.json`), or a plain OCI image layout (index.json only), possibly
// compressed. The archive is unpacked to a private temp dir by the one tar
// applier (src/archive/apply.ts: names and hard links kept inside it, as in a
// chroot); members are then read through symlinks resolved inside it too, only
// regular files, JSON metadata at most 8 MiB: no archive names a host file.
// manifest.json's shape and its tags are checked (dockerd's words) before
// anything is stored; layers are registered in order (a layer already present
// is not unpacked again), images created and tagged.
import { constants, createReadStream, promises as fsp } from 'node:fs';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import type { JSONMessage } from '../../api/types';
import { applyError, applyTar, type SpecialFiles } from '../../archive/apply';
import { InvalidArgumentError, isErrno } from '../../errors';
import { decompressStream } from '../../archive/compression';
import { isDigest, hexOf, type Digest } from '../../api/digest';
import { parseConfig } from '../image/config';
import type { ImageStore } from '../image/store';
import { chainIds } from '../layers/chain';
import type { Lease, LayerStore } from '../layers/types';
import { cleanEntryName, resolveInRoot } from '../../archive/scoped-path';
import { familiarString, parseNormalizedNamed, withDefaultTag, type NamedRef } from '../../api/reference';
import { randomName } from '../fsutil';
import { mkdirPrivateAsync } from '../../state/dirs';

/** Read size of layer tars: 64 KiB reads would cost a syscall and a stream hop each. */
const READ_CHUNK = 1024 * 1024;

export interface LoadResult {
  images: Array<{ id: Digest; refs: string[] }>;
}

interface ManifestEntry {
  Config: string;
  RepoTags: string[];
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

/**
 * The regular file an archive path names in the scratch dir: every symlink on
 * the way (`<id>/layer.tar -> ../<id2>/layer.tar`, or one planted to
 * `/etc/shadow`) resolved inside the scratch dir, never on the host; anything
 * but a regular file (a directory, a FIFO, a device: the archive cannot make
 * those there, but they are refused whatever made them) is an error.
 */
async function realFile(dir: string, name: string): Promise<string> {
  const host = await findMember(dir, name);
  if (host === undefined) throw new InvalidArgumentError(`invalid archive: ${name} not found`);
  return host;
}

/** realFile, or undefined when the archive has no such member. */
async function findMember(dir: string, name: string): Promise<string | undefined> {
  let rel = cleanEntryName(name);
  for (let hops = 0; hops < 40; hops++) {
    const host = resolveInRoot(dir, rel);
    const st = await fsp.lstat(host).catch((err: unknown) => {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
      throw err;
    });
    if (st === undefined) return undefined;
    if (st.isFile()) return host;
    if (!st.isSymbolicLink()) throw new InvalidArgumentError(`invalid archive: ${name} is not a regular file`);
    const target = await fsp.readlink(host);
    rel = clampToArchive(target.startsWith('/') ? target : posix.join(posix.dirname(rel), target));
  }
  throw new InvalidArgumentError(`invalid archive: too many levels of symbolic links at ${name}`);
}

/** A path inside the archive as a chroot into it sees it: `..` stops at its root, so `../../etc/shadow` is its own etc/shadow. */
function clampToArchive(path: string): string {
  return posix.normalize(`/${path}`).replace(/\/+$/, '').slice(1);
}

/** register() with a known chain only drains its input. */
function emptyStream(): Readable {
  return Readable.from([]);
}

/** JSON metadata (manifest.json, index.json, configs, OCI manifests) is small: more is refused unread. */
const MAX_METADATA = 8 * 1024 * 1024;

/**
 * The bytes of a metadata member, at most MAX_METADATA of them. Opened without
 * following a link and without blocking, and checked again through its
 * descriptor: whatever the scratch dir holds, only a regular file is read.
 */
async function readMetadata(host: string, name: string): Promise<Buffer> {
  const fh = await fsp.open(host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new InvalidArgumentError(`invalid archive: ${name} is not a regular file`);
    if (st.size > MAX_METADATA) throw new InvalidArgumentError(`invalid archive: ${name} is larger than ${MAX_METADATA / 1024 / 1024} MiB`);
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await fh.read(buf, 0, st.size, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function readIn(dir: string, name: string): Promise<Buffer> {
  return readMetadata(await realFile(dir, name), name);
}

/** JSON.parse with Go's words for a document cut short. */
function parseJson(data: Buffer, name: string): unknown {
  try {
    return JSON.parse(data.toString());
  } catch (err) {
    if (/Unexpected end of JSON input/.test((err as Error).message)) throw new InvalidArgumentError('unexpected EOF');
    throw new InvalidArgumentError(`invalid archive: ${name}: ${(err as Error).message}`);
  }
}

async function readManifests(dir: string): Promise<ImageToLoad[]> {
  const manifest = await findMember(dir, 'manifest.json');
  if (manifest) return parseManifest(parseJson(await readMetadata(manifest, 'manifest.json'), 'manifest.json')).map(toLoad);
  const index = await findMember(dir, 'index.json');
  if (!index) throw new InvalidArgumentError('invalid archive: no manifest.json or index.json');
  return readOciIndex(dir, parseJson(await readMetadata(index, 'index.json'), 'index.json') as { manifests?: OciDescriptor[] });
}

function toLoad(e: ManifestEntry): ImageToLoad {
  return { configPath: e.Config, layerPaths: e.Layers, refs: e.RepoTags.map(loadTag) };
}

/** A RepoTags entry as dockerd's loader takes it: a normalized name with a tag, lowercase through and through. */
function loadTag(tag: string): NamedRef {
  const ref = parseNormalizedNamed(tag);
  if (ref.name.toLowerCase() !== ref.name) throw new InvalidArgumentError('invalid reference format: repository name must be lowercase');
  if (ref.tag === undefined || ref.digest !== undefined) throw new InvalidArgumentError(`invalid tag ${JSON.stringify(tag)}`);
  return ref;
}

/** Go's json kind names, for messages shaped as encoding/json's. */
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** manifest.json checked for the shape dockerd decodes it into ([]manifestItem), with encoding/json's words. */
export function parseManifest(v: unknown): ManifestEntry[] {
  if (!Array.isArray(v)) throw new InvalidArgumentError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type []tarexport.manifestItem`);
  const field = (name: string, type: string, value: unknown) =>
    new InvalidArgumentError(`json: cannot unmarshal ${jsonKind(value)} into Go struct field manifestItem.${name} of type ${type}`);
  const strings = (name: string, value: unknown): string[] => {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw field(name, '[]string', value);
    for (const s of value) if (typeof s !== 'string') throw field(name, 'string', s);
    return value as string[];
  };
  return v.map((item: unknown, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      if (item !== null) throw new InvalidArgumentError(`json: cannot unmarshal ${jsonKind(item)} into Go value of type tarexport.manifestItem`);
      throw new InvalidArgumentError(`invalid archive: manifest.json entry ${i} names no config`);
    }
    const e = item as Record<string, unknown>;
    if (e.Config !== undefined && typeof e.Config !== 'string') throw field('Config', 'string', e.Config);
    if (typeof e.Config !== 'string' || e.Config === '') throw new InvalidArgumentError(`invalid archive: manifest.json entry ${i} names no config`);
    return { Config: e.Config, RepoTags: strings('RepoTags', e.RepoTags), Layers: strings('Layers', e.Layers) };
  });
}

interface OciDescriptor {
  mediaType: string;
  digest: string;
  annotations?: Record<string, string>;
}

/** Nested indexes followed at most this deep (an index naming itself would never end). */
const MAX_INDEX_DEPTH = 8;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A descriptor's digest, checked; `what` names the document in the message. */
function descriptorDigest(d: unknown, what: string): Digest {
  const digest = isObject(d) ? d.digest : undefined;
  if (typeof digest !== 'string' || !isDigest(digest)) throw new InvalidArgumentError(`invalid archive: ${what}: invalid descriptor digest ${JSON.stringify(digest ?? null)}`);
  return digest;
}

function annotationsOf(d: unknown): Record<string, string> {
  const a = isObject(d) ? d.annotations : undefined;
  if (!isObject(a)) return {};
  return Object.fromEntries(Object.entries(a).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** A plain OCI layout: index.json → manifests (nested indexes: linux/amd64 only). */
async function readOciIndex(dir: string, index: unknown, depth = 0): Promise<ImageToLoad[]> {
  if (depth > MAX_INDEX_DEPTH) throw new InvalidArgumentError('invalid archive: image indexes nested too deep');
  const manifests = isObject(index) ? (index.manifests ?? []) : undefined;
  if (!Array.isArray(manifests)) throw new InvalidArgumentError('invalid archive: index.json has no manifests list');
  const out: ImageToLoad[] = [];
  const blob = (dg: Digest) => `blobs/sha256/${hexOf(dg)}`;
  for (const d of manifests) {
    const digest = descriptorDigest(d, 'index.json');
    const annotations = annotationsOf(d);
    const data = parseJson(await readIn(dir, blob(digest)), digest);
    if (!isObject(data)) throw new InvalidArgumentError(`invalid manifest ${digest}`);
    if (Array.isArray(data.manifests)) {
      const children: unknown[] = data.manifests;
      const platformOf = (m: unknown) => (isObject(m) && isObject(m.platform) ? m.platform : {});
      const pick = children.find((m) => platformOf(m).os === 'linux' && platformOf(m).architecture === 'amd64') ?? children[0];
      if (isObject(pick)) out.push(...(await readOciIndex(dir, { manifests: [{ ...pick, annotations }] }, depth + 1)));
      continue;
    }
    if (!isObject(data.config)) throw new InvalidArgumentError(`invalid manifest ${digest}`);
    const layers = data.layers ?? [];
    if (!Array.isArray(layers)) throw new InvalidArgumentError(`invalid manifest ${digest}`);
    const name = annotations['io.containerd.image.name'] ?? annotations['org.opencontainers.image.ref.name'];
    let refs: NamedRef[] = [];
    if (name) {
      try {
        refs = [withDefaultTag(parseNormalizedNamed(name))];
      } catch {
        refs = []; // a bare tag name ("latest") without a repository
      }
    }
    out.push({
      configPath: blob(descriptorDigest(data.config, digest)),
      layerPaths: layers.map((l) => blob(descriptorDigest(l, digest))),
      refs,
    });
  }
  return out;
}

/**
 * The calls that make special files, for a scratch copy: no member the loader
 * reads can be a device or a FIFO, so none is made; xattrs are not kept.
 */
const SCRATCH_FILES: SpecialFiles = {
  mknod(path) {
    throw new InvalidArgumentError(`invalid archive: ${path.slice(path.lastIndexOf('/') + 1)} is a device or a FIFO`);
  },
  lsetxattr: () => undefined,
};

/**
 * Unpacks the archive into the scratch dir `dir` with the one tar applier:
 * as in a chroot into `dir`, every name and link stays inside it; symlinks are
 * kept as they are (resolved inside `dir` when read, findMember).
 */
async function extractArchive(stream: Readable, dir: string): Promise<void> {
  try {
    await applyTar(stream, { root: dir, dest: '/', layer: false, noOverwriteDirNonDir: false, owner: 'none', special: SCRATCH_FILES });
  } catch (err) {
    throw applyError(err, dir);
  }
}
