// `docker save` in Docker 25+'s format: an OCI image layout (oci-layout,
// index.json with image-name annotations, blobs/sha256/ holding each OCI
// manifest, config and uncompressed layer tar) plus Docker's manifest.json and
// repositories, so both OCI tools and older docker load read it.
import { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../errors';
import type { Store } from '../content/types';
import { hexOf, sha256, type Digest } from '../../api/digest';
import type { ImageRecord, ImageStore } from '../image/store';
import { chainIds } from '../layers/chain';
import type { LayerStore } from '../layers/types';
import { encodeEntryHeader, END_OF_ARCHIVE, padding } from '../../archive/tar-writer';
import { MEDIA_TYPE } from '../media-types';
import { familiarName, familiarString, isImageIdPrefix, parseNormalizedNamed, referenceString, withDefaultTag, type NamedRef } from '../../api/reference';

interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
}

interface SaveItem {
  image: ImageRecord;
  refs: NamedRef[];
}


/** The OCI manifest of an image, built deterministically from its config and layers. */
export function ociManifest(configBytes: Buffer, configDigest: Digest, layers: Array<{ diffId: Digest; tarSize: number }>): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.ociManifest,
      config: { mediaType: MEDIA_TYPE.ociConfig, digest: configDigest, size: configBytes.length },
      layers: layers.map((l) => ({ mediaType: MEDIA_TYPE.ociLayer, digest: l.diffId, size: l.tarSize })),
    }),
  );
}

/** Which images and references `names` select (`busybox` selects every tag of busybox). */
function select(store: ImageStore, names: readonly string[]): SaveItem[] {
  if (names.length === 0) throw new InvalidArgumentError('no images specified');
  const items = new Map<Digest, SaveItem>();
  for (const name of names) {
    const img = store.resolve(name);
    const item = items.get(img.id) ?? { image: img, refs: [] };
    items.set(img.id, item);
    if (isImageIdPrefix(img.id, name)) continue;
    const ref = parseNormalizedNamed(name);
    const chosen = ref.tag === undefined && ref.digest === undefined ? store.refs(img.id).filter((r) => r.name === ref.name && r.tag !== undefined) : [withDefaultTag(ref)];
    for (const r of chosen.length > 0 ? chosen : [withDefaultTag(ref)]) {
      if (r.digest !== undefined) continue; // digests are not saved as names
      if (!item.refs.some((x) => referenceString(x) === referenceString(r))) item.refs.push(r);
    }
  }
  return [...items.values()];
}

/** A tar stream of the images `names` name. Errors (no such image) are thrown before streaming. */
export function saveImages(store: ImageStore, layers: LayerStore, content: Store, names: readonly string[]): Readable {
  const items = select(store, names);
  return Readable.from(saveTar(items, layers, content), { objectMode: false });
}

async function* saveTar(items: readonly SaveItem[], layers: LayerStore, content: Store): AsyncGenerator<Buffer> {
  const written = new Set<string>();
  const index: Descriptor[] = [];
  const manifestJson: Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }> = [];
  const repositories: Record<string, Record<string, string>> = {};
  yield dir('blobs/');
  yield dir('blobs/sha256/');
  const blob = function* (digest: Digest, data: Buffer): Generator<Buffer> {
    if (written.has(digest)) return;
    written.add(digest);
    yield* file(`blobs/sha256/${hexOf(digest)}`, data);
  };
  for (const { image, refs } of items) {
    const configBytes = await content.readAll(image.id);
    yield* blob(image.id, configBytes);
    const diffIds = image.config.rootfs.diff_ids;
    const chain = chainIds(diffIds).map((c) => layers.get(c));
    const layerInfo: Array<{ diffId: Digest; tarSize: number }> = [];
    for (const l of chain) {
      if (!l) throw new InvalidArgumentError(`image ${image.id}: layer missing`);
      layerInfo.push({ diffId: l.diffId, tarSize: l.tarSize });
      if (written.has(l.diffId)) continue;
      written.add(l.diffId);
      yield* streamFile(`blobs/sha256/${hexOf(l.diffId)}`, l.tarSize, await layers.tarStream(l.chainId));
    }
    const manifest = ociManifest(configBytes, image.id, layerInfo);
    const manifestDigest = sha256(manifest);
    yield* blob(manifestDigest, manifest);
    const desc: Descriptor = { mediaType: MEDIA_TYPE.ociManifest, digest: manifestDigest, size: manifest.length };
    if (refs.length === 0) index.push(desc);
    for (const r of refs) {
      index.push({ ...desc, annotations: { 'io.containerd.image.name': referenceString(r), 'org.opencontainers.image.ref.name': r.tag ?? '' } });
      const top = diffIds[diffIds.length - 1];
      if (top) (repositories[familiarName(r)] ??= {})[r.tag ?? 'latest'] = hexOf(top);
    }
    manifestJson.push({
      Config: `blobs/sha256/${hexOf(image.id)}`,
      RepoTags: refs.length > 0 ? refs.map(familiarString) : null,
      Layers: layerInfo.map((l) => `blobs/sha256/${hexOf(l.diffId)}`),
    });
  }
  yield* file('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: index })));
  yield* file('manifest.json', Buffer.from(JSON.stringify(manifestJson)));
  yield* file('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  if (Object.keys(repositories).length > 0) yield* file('repositories', Buffer.from(JSON.stringify(repositories)));
  yield END_OF_ARCHIVE;
}

const header = (name: string, type: 'file' | 'directory', mode: number, size: number): Buffer =>
  encodeEntryHeader({ name, type, mode, uid: 0, gid: 0, size, mtime: 0 });

function dir(name: string): Buffer {
  return header(name, 'directory', 0o755, 0);
}

function* file(name: string, data: Buffer): Generator<Buffer> {
  yield header(name, 'file', 0o644, data.length);
  yield data;
  yield padding(data.length);
}

/** A file whose `size` bytes come from `src` (a layer's tar): exactly those, or an error. */
async function* streamFile(name: string, size: number, src: Readable): AsyncGenerator<Buffer> {
  yield header(name, 'file', 0o644, size);
  let read = 0;
  try {
    for await (const chunk of src as AsyncIterable<Buffer>) {
      read += chunk.length;
      if (read > size) break;
      yield chunk;
    }
  } finally {
    src.destroy();
  }
  if (read !== size) throw new Error(`${name}: the layer's tar has ${read} bytes, ${size} expected`);
  yield padding(size);
}
