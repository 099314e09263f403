// `docker push`: each tag of the repository asked for (or the one tag given)
// sent as a manifest after its config and layers, the layers in parallel
// (HEAD first: a blob the registry has is not sent again). Layers go as the
// content store holds them (gzip, zstd or plain tar); one stored with a
// compression registries do not take (bzip2, xz) goes as its plain tar. A
// zstd layer makes the manifest OCI's; otherwise it is Docker's schema 2, as
// dockerd pushes. The pushed digest becomes a RepoDigest of the image. A blob
// the registry lacks is mounted from another repository there that an image
// holding it came from or went to (cross-repository mount), else uploaded:
// one PUT, or PATCHes with Content-Range for a big one.
import { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../errors';
import type { Compression } from '../archive/compression';
import { sha256, type Digest } from '../api/digest';
import type { Graph } from '../graph/graph';
import type { ImageRecord } from '../graph/image/store';
import { MEDIA_TYPE, OCI_LAYER_MEDIA_TYPE } from '../graph/media-types';
import { familiarName, type NamedRef } from '../api/reference';
import type { RegistryClient } from './client';
import { recordRepoDigest } from './pull';
import { counted, shortDigest, statusLine, type Emit } from './progress';
import type { Descriptor, RegistryAuth } from './types';

export interface PushDeps {
  client: RegistryClient;
  graph: Graph;
  /** Layers uploaded at once (dockerd's `max-concurrent-uploads`). */
  maxConcurrentUploads: number;
  /** Bytes per PATCH of a chunked upload (UPLOAD_CHUNK_SIZE). */
  uploadChunkSize?: number;
}

/** A blob to send: its descriptor and how to read it. */
interface PushBlob {
  desc: Descriptor;
  /** Progress id: the layer's diffID, as dockerd's push shows it. */
  id: string;
  open: () => Promise<Readable>;
}

const DOCKER_LAYER: Partial<Record<Compression, string>> = {
  gzip: MEDIA_TYPE.dockerLayer,
  none: 'application/vnd.docker.image.rootfs.diff.tar',
};

/** The tags of `repo` to push: the one given, or all of them (`push --all-tags`). */
export function pushTags(graph: Graph, repo: NamedRef, tag: string | undefined): string[] {
  if (tag !== undefined) {
    // dockerd names the repository, not the tag, when the tag is not here.
    if (graph.store.lookupRef({ name: repo.name, domain: repo.domain, path: repo.path, tag }) === undefined) {
      throw new NotFoundError(`An image does not exist locally with the tag: ${familiarName(repo)}`);
    }
    return [tag];
  }
  const tags = graph.store
    .all()
    .flatMap((img) => graph.store.refs(img.id))
    .filter((r) => r.name === repo.name && r.tag !== undefined)
    .map((r) => r.tag!);
  if (tags.length === 0) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarName(repo)}`);
  return [...new Set(tags)].sort();
}

function layerBlobs(deps: PushDeps, img: ImageRecord): { blobs: PushBlob[]; oci: boolean } {
  const { graph } = deps;
  const chain = graph.layers.chain(img.topLayer).reverse();
  const oci = chain.some((l) => l.blob.compression === 'zstd');
  const blobs = chain.map((l): PushBlob => {
    const id = shortDigest(l.diffId);
    const c = l.blob.compression;
    const asStored = c === 'gzip' || c === 'none' || c === 'zstd' ? (oci ? OCI_LAYER_MEDIA_TYPE[c] : DOCKER_LAYER[c]) : undefined;
    if (asStored !== undefined) {
      return { id, desc: { mediaType: asStored, digest: l.blob.digest, size: l.blob.size }, open: () => graph.content.reader(l.blob.digest) };
    }
    const plain = oci ? OCI_LAYER_MEDIA_TYPE.none : DOCKER_LAYER.none!;
    return { id, desc: { mediaType: plain, digest: l.diffId, size: l.tarSize }, open: () => graph.layers.tarStream(l.chainId) };
  });
  return { blobs, oci };
}

/** Runs `tasks` `limit` at a time; rejects with the first failure. */
async function inParallel(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  const queue = [...tasks];
  const worker = async () => {
    for (let task = queue.shift(); task; task = queue.shift()) await task();
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
}

/** Blobs bigger than this go as PATCHes of this many bytes each (distribution's chunked upload). */
export const UPLOAD_CHUNK_SIZE = 16 * 1024 * 1024;

/**
 * A repository of `ref`'s registry the blob is known to be in: one an image
 * holding the layer was pulled from or pushed to (its RepoDigests), so the
 * registry can mount it instead of receiving it again.
 */
export function mountSource(graph: Graph, ref: NamedRef, digest: Digest): string | undefined {
  for (const img of graph.store.all()) {
    const repos = graph.store.refs(img.id).filter((r) => r.digest !== undefined && r.domain === ref.domain && r.path !== ref.path);
    if (repos.length === 0 || img.topLayer === null) continue;
    if (graph.layers.chain(img.topLayer).some((l) => l.blob.digest === digest || l.diffId === digest)) return repos[0]!.path;
  }
  return undefined;
}

/** `source` (`total` bytes) cut into bodies of `size` bytes, each streamed as it is read. */
export async function* slices(source: Readable, total: number, size: number): AsyncGenerator<{ body: Readable; length: number }> {
  const it = (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let carry: Buffer | undefined;
  for (let offset = 0; offset < total; offset += size) {
    const length = Math.min(size, total - offset);
    let left = length;
    const part = async function* (): AsyncGenerator<Buffer> {
      while (left > 0) {
        let chunk = carry;
        carry = undefined;
        if (!chunk) {
          const next = await it.next();
          if (next.done) throw new InvalidArgumentError(`blob shorter than its ${total} bytes`);
          chunk = next.value;
        }
        if (chunk.length > left) {
          carry = chunk.subarray(left);
          chunk = chunk.subarray(0, left);
        }
        left -= chunk.length;
        yield chunk;
      }
    };
    yield { body: Readable.from(part()), length };
  }
}

/** One blob: nothing when the registry has it, a mount when another repository there has it, else an upload (chunked when big). */
async function pushBlob(deps: PushDeps, ref: NamedRef, b: PushBlob, auth: RegistryAuth | undefined, emit: Emit): Promise<void> {
  const { client, graph } = deps;
  if (await client.hasBlob(ref, b.desc.digest, auth)) {
    emit(statusLine(b.id, 'Layer already exists'));
    return;
  }
  const from = mountSource(graph, ref, b.desc.digest);
  const session = await client.startUpload(ref, b.desc.digest, auth, from);
  if (session === 'mounted') {
    emit(statusLine(b.id, `Mounted from ${from}`));
    return;
  }
  const body = counted(await b.open(), b.id, 'Pushing', b.desc.size, emit);
  const chunk = deps.uploadChunkSize ?? UPLOAD_CHUNK_SIZE;
  if (b.desc.size > chunk) await client.uploadChunks(ref, b.desc, slices(body, b.desc.size, chunk), session, auth);
  else await client.uploadBlob(ref, b.desc, body, auth, session);
  emit(statusLine(b.id, 'Pushed'));
}

/** Pushes `repo:tag`; returns the manifest's digest. */
export async function pushTag(deps: PushDeps, repo: NamedRef, tag: string, auth: RegistryAuth | undefined, emit: Emit): Promise<Digest> {
  const { graph, client } = deps;
  const ref: NamedRef = { name: repo.name, domain: repo.domain, path: repo.path, tag };
  const img = graph.store.resolve(`${repo.name}:${tag}`);
  const { blobs, oci } = layerBlobs(deps, img);
  for (const b of blobs) emit(statusLine(b.id, 'Preparing'));
  await inParallel(
    blobs.map((b) => () => pushBlob(deps, ref, b, auth, emit)),
    Math.max(1, deps.maxConcurrentUploads),
  );
  const configInfo = await graph.content.info(img.id);
  const config: Descriptor = { mediaType: oci ? MEDIA_TYPE.ociConfig : MEDIA_TYPE.dockerConfig, digest: img.id, size: configInfo.size };
  await client.push(ref, config, () => graph.content.reader(img.id), auth);
  const mediaType = oci ? MEDIA_TYPE.ociManifest : MEDIA_TYPE.dockerManifest;
  // dockerd's manifests are indented by three spaces (json.MarshalIndent).
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType, config, layers: blobs.map((b) => ({ mediaType: b.desc.mediaType, size: b.desc.size, digest: b.desc.digest })) }, null, 3),
  );
  const digest = sha256(manifest);
  await client.push(ref, { mediaType, digest, size: manifest.length }, async () => Readable.from([manifest]), auth);
  recordRepoDigest(graph, ref, digest, img.id);
  emit({ status: `${tag}: digest: ${digest} size: ${manifest.length}` });
  emit({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: manifest.length } });
  return digest;
}

/** Refuses what dockerd refuses before any byte: a reference with a digest. */
export function checkPushable(repo: NamedRef): void {
  if (repo.digest !== undefined) throw new InvalidArgumentError('cannot push a digest reference');
}
