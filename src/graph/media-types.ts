// Media types of image documents and blobs, OCI's and Docker's (distribution
// schema 2), written once: save and load, the content store's references, and
// the distribution client.
import type { Compression } from '../archive/compression';

export const MEDIA_TYPE = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** OCI's layer media type for each compression. */
export const OCI_LAYER_MEDIA_TYPE: Record<Compression, string> = {
  none: MEDIA_TYPE.ociLayer,
  gzip: `${MEDIA_TYPE.ociLayer}+gzip`,
  bzip2: `${MEDIA_TYPE.ociLayer}+bzip2`,
  xz: `${MEDIA_TYPE.ociLayer}+xz`,
  zstd: `${MEDIA_TYPE.ociLayer}+zstd`,
};

/** A manifest: one image's config and layers. */
export function isManifestMediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPE.ociManifest || mediaType === MEDIA_TYPE.dockerManifest;
}

/** An index (a manifest list): manifests per platform. */
export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPE.ociIndex || mediaType === MEDIA_TYPE.dockerManifestList;
}
