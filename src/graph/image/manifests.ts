// `Manifests` of GET /images/json?manifests=1 (API 1.47+; `images --tree`):
// per image, the manifests it came with. A pulled image holds its manifest and,
// from a multi-platform tag, the index: each entry of the index is listed, the
// platforms some image here holds as available (with that image's sizes and
// containers), the others not, attestations as such. An image that came
// without a manifest (import, commit, load of a Docker archive) lists the one
// `save` writes for it.
import type { ImageManifestSummary } from '../../api/types';
import { sha256, type Digest } from '../../api/digest';
import { ociManifest } from '../archive/save';
import type { HeldBlob } from '../content/refs';
import type { LayerStore } from '../layers/types';
import { isIndexMediaType, isManifestMediaType, MEDIA_TYPE } from '../media-types';
import type { ImageUsers } from './delete';
import type { ImageRecord, ImageStore } from './store';

type Platform = NonNullable<ImageManifestSummary['ImageData']>['Platform'];

interface IndexEntry {
  mediaType: string;
  digest: Digest;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export class ManifestLister {
  constructor(
    private readonly store: ImageStore,
    private readonly layers: LayerStore,
    private readonly users: ImageUsers,
  ) {}

  async of(img: ImageRecord): Promise<ImageManifestSummary[]> {
    const held = this.store.documents.heldBy(`image:${img.id}`);
    const manifests = held.filter((b) => isManifestMediaType(b.mediaType));
    if (held.length === 0) return [await this.synthesized(img)];
    const out: ImageManifestSummary[] = [];
    const listed = new Set<Digest>();
    for (const index of held.filter((b) => isIndexMediaType(b.mediaType))) {
      const entries = (JSON.parse((await this.store.blob(index.digest)).toString()) as { manifests?: IndexEntry[] }).manifests ?? [];
      for (const e of entries) {
        listed.add(e.digest);
        out.push(await this.entry(e));
      }
    }
    for (const m of manifests) {
      if (!listed.has(m.digest)) out.push(await this.available(img, m, (await this.store.blob(m.digest)).length));
    }
    return out;
  }

  /** One entry of an index: an attestation, a platform's image (here or not), or something else. */
  private async entry(e: IndexEntry): Promise<ImageManifestSummary> {
    const descriptor = { mediaType: e.mediaType, digest: e.digest, size: e.size };
    const absent = { ID: e.digest, Descriptor: descriptor, Available: false, Size: { Total: 0, Content: 0 } };
    if (e.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') {
      return { ...absent, Kind: 'attestation', AttestationData: { For: e.annotations['vnd.docker.reference.digest'] ?? '' } };
    }
    if (!isManifestMediaType(e.mediaType)) return { ...absent, Kind: 'unknown' };
    const holder = this.store.documents.holders(e.digest).map((h) => this.store.get(h.slice('image:'.length) as Digest)).find((i) => i !== undefined);
    if (holder) return this.available(holder, { digest: e.digest, mediaType: e.mediaType }, e.size, e.platform);
    return { ...absent, Kind: 'image', ImageData: { Platform: e.platform ?? { architecture: '', os: '' }, Containers: [], Size: { Unpacked: 0 } } };
  }

  /** An image's own manifest: what the content store holds for it (manifest, config, layer blobs) and its unpacked size. */
  private async available(img: ImageRecord, m: HeldBlob, size: number, platform?: Platform): Promise<ImageManifestSummary> {
    const blobs = this.layers.chain(img.topLayer).reduce((n, l) => n + l.blob.size, 0);
    const content = size + (await this.store.blob(img.id)).length + blobs;
    const { os, architecture, variant } = img.config;
    return {
      ID: m.digest,
      Descriptor: { mediaType: m.mediaType, digest: m.digest, size },
      Available: true,
      Size: { Total: content + img.size, Content: content },
      Kind: 'image',
      ImageData: {
        Platform: platform ?? { architecture, os, ...(variant ? { variant } : {}) },
        Containers: this.users.containersUsing(img.id).map((c) => c.id),
        Size: { Unpacked: img.size },
      },
    };
  }

  /** The manifest `save` writes for an image that came without one (only its descriptor: it is not stored). */
  private async synthesized(img: ImageRecord): Promise<ImageManifestSummary> {
    const layers = this.layers.chain(img.topLayer).reverse();
    const manifest = ociManifest(await this.store.blob(img.id), img.id, layers);
    const summary = await this.available(img, { digest: sha256(manifest), mediaType: MEDIA_TYPE.ociManifest }, manifest.length);
    // The manifest itself is not in the content store.
    summary.Size.Content -= manifest.length;
    summary.Size.Total -= manifest.length;
    return summary;
  }
}
