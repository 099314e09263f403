// `docker save` in Docker 25+'s format: an OCI image layout (oci-layout,
// index.json with image-name annotations, blobs/sha256/ holding each OCI
// manifest, config and uncompressed layer tar) plus Docker's manifest.json and
// repositories, so both OCI tools and older docker load read it.
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { InvalidArgumentError } from '../../errors';
import type { Store } from '../content/types';
import { hexOf, sha256, type Digest } from '../digest';
import type { ImageRecord, ImageStore } from '../image/store';
import { chainIds } from '../layers/chain';
import type { LayerStore } from '../layers/types';
import { packEntry, packStream, type Pack } from '../../archive/tarpack';
import { MEDIA_TYPE } from '../media-types';
import { familiarName, familiarString, isImageIdPrefix, parseNormalizedNamed, referenceString, withDefaultTag, type NamedRef } from '../reference';

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

const MTIME = new Date(0);

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
  const pack = tar.pack();
  const run = async () => {
    const written = new Set<string>();
    const index: Descriptor[] = [];
    const manifestJson: Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }> = [];
    const repositories: Record<string, Record<string, string>> = {};
    await dir(pack, 'blobs/');
    await dir(pack, 'blobs/sha256/');
    const blob = async (digest: Digest, data: Buffer) => {
      if (written.has(digest)) return;
      written.add(digest);
      await file(pack, `blobs/sha256/${hexOf(digest)}`, data);
    };
    for (const { image, refs } of items) {
      const configBytes = await content.readAll(image.id);
      await blob(image.id, configBytes);
      const diffIds = image.config.rootfs.diff_ids;
      const chain = chainIds(diffIds).map((c) => layers.get(c));
      const layerInfo: Array<{ diffId: Digest; tarSize: number }> = [];
      for (const l of chain) {
        if (!l) throw new InvalidArgumentError(`image ${image.id}: layer missing`);
        layerInfo.push({ diffId: l.diffId, tarSize: l.tarSize });
        if (written.has(l.diffId)) continue;
        written.add(l.diffId);
        await streamFile(pack, `blobs/sha256/${hexOf(l.diffId)}`, l.tarSize, await layers.tarStream(l.chainId));
      }
      const manifest = ociManifest(configBytes, image.id, layerInfo);
      const manifestDigest = sha256(manifest);
      await blob(manifestDigest, manifest);
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
    await file(pack, 'index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: index })));
    await file(pack, 'manifest.json', Buffer.from(JSON.stringify(manifestJson)));
    await file(pack, 'oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    if (Object.keys(repositories).length > 0) await file(pack, 'repositories', Buffer.from(JSON.stringify(repositories)));
    pack.finalize();
  };
  run().catch((err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))));
  return Readable.from(pack as AsyncIterable<Buffer>);
}

function dir(pack: Pack, name: string): Promise<void> {
  return packEntry(pack, { name, type: 'directory', mode: 0o755, mtime: MTIME });
}

function file(pack: Pack, name: string, data: Buffer): Promise<void> {
  return packEntry(pack, { name, type: 'file', mode: 0o644, mtime: MTIME }, data);
}

function streamFile(pack: Pack, name: string, size: number, src: Readable): Promise<void> {
  return packStream(pack, { name, type: 'file', mode: 0o644, size, mtime: MTIME }, src);
}
