// `docker pull`: a reference resolved to one image manifest (a manifest list
// or OCI index picks the platform's entry), its config fetched, the layers
// missing here fetched in parallel, each downloaded and unpacked in one pass
// into a directory of its own (./layer-pull.ts: a resumable ingest named
// after its digest, so a pull cut short resumes with a Range request; the
// digest is checked at the end). Only the chain's registration follows the
// layers' order; then the image is created holding the manifests it came
// with, and tagged with its tag and its RepoDigest. Progress goes out as
// dockerd's JSON messages, so the docker CLI draws its bars.
import { Readable } from 'node:stream';
import { InvalidArgumentError, NotImplementedError } from '../errors';
import type { HeldBlob } from '../graph/content/refs';
import { writeBlob } from '../graph/content/helpers';
import { isDigest, sha256, type Digest } from '../api/digest';
import type { Graph } from '../graph/graph';
import { parseConfig } from '../graph/image/config';
import { chainIds } from '../graph/layers/chain';
import type { Lease } from '../graph/layers/types';
import { isIndexMediaType, isManifestMediaType, MEDIA_TYPE } from '../graph/media-types';
import { familiarString, type NamedRef } from '../api/reference';
import type { Tx } from '../state/tx';
import { readBounded, type FetchedManifest, type RegistryClient } from './client';
import { fetchLayer, type FetchedLayer, type LayerPullDeps } from './layer-pull';
import { selectManifest, type Platform } from './platform';
import { counted, shortDigest, statusLine, type Emit } from './progress';
import type { Descriptor, RegistryAuth } from './types';

const MAX_CONFIG = 8 * 1024 * 1024;

const LAYER_TYPES = new Set([
  MEDIA_TYPE.dockerLayer,
  'application/vnd.docker.image.rootfs.diff.tar',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  MEDIA_TYPE.ociLayer,
  `${MEDIA_TYPE.ociLayer}+gzip`,
  `${MEDIA_TYPE.ociLayer}+zstd`,
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
]);

export interface PullDeps extends LayerPullDeps {
  /** Layers downloaded at once (daemon.json `max-concurrent-downloads`). */
  maxConcurrentDownloads: number;
}

/** What a reference resolved to: checked before any progress line, so errors are HTTP errors as dockerd's. */
export interface PullPlan {
  ref: NamedRef;
  /** What the tag or digest names (a manifest, or an index). */
  top: FetchedManifest;
  /** The image's manifest (`top` itself when it is no index). */
  manifest: FetchedManifest;
  config: Descriptor;
  layers: Descriptor[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A descriptor of a registry document, checked. */
function descriptorOf(v: unknown, what: string): Descriptor {
  if (!isObject(v) || typeof v.digest !== 'string' || !isDigest(v.digest) || typeof v.size !== 'number' || v.size < 0 || typeof v.mediaType !== 'string') {
    throw new InvalidArgumentError(`invalid ${what} descriptor in manifest`);
  }
  const p = v.platform;
  const platform =
    isObject(p) && typeof p.os === 'string' && typeof p.architecture === 'string'
      ? { os: p.os, architecture: p.architecture, ...(typeof p.variant === 'string' ? { variant: p.variant } : {}) }
      : undefined;
  return { mediaType: v.mediaType, digest: v.digest, size: v.size, ...(platform ? { platform } : {}) };
}

function parseDocument(m: FetchedManifest): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(m.bytes.toString());
  } catch {
    throw new InvalidArgumentError(`invalid manifest ${m.desc.digest}: not JSON`);
  }
  if (!isObject(v)) throw new InvalidArgumentError(`invalid manifest ${m.desc.digest}`);
  return v;
}

/** Resolves `ref` (tagged or by digest) to the image to pull for `platform`. */
export async function resolvePull(client: RegistryClient, ref: NamedRef, platform: Platform, auth?: RegistryAuth): Promise<PullPlan> {
  const top = await client.manifest(ref, ref.digest ?? ref.tag ?? 'latest', auth);
  let manifest = top;
  if (isIndexMediaType(top.desc.mediaType)) {
    const entries = parseDocument(top).manifests;
    if (!Array.isArray(entries)) throw new InvalidArgumentError(`invalid manifest list ${top.desc.digest}`);
    const chosen = selectManifest(entries.map((e) => descriptorOf(e, 'manifest')), platform);
    manifest = await client.manifest(ref, chosen.digest, auth);
  }
  if (!isManifestMediaType(manifest.desc.mediaType)) throw new NotImplementedError(`unsupported manifest media type ${manifest.desc.mediaType}`);
  const doc = parseDocument(manifest);
  const layers = Array.isArray(doc.layers) ? doc.layers.map((l) => descriptorOf(l, 'layer')) : [];
  for (const l of layers) {
    if (!LAYER_TYPES.has(l.mediaType)) throw new NotImplementedError(`unsupported layer media type ${l.mediaType} (${l.digest})`);
  }
  return { ref, top, manifest, config: descriptorOf(doc.config, 'config'), layers };
}

/** Runs `tasks` with at most `limit` at once; each promise settles as its task does. */
function limited<T>(tasks: Array<() => Promise<T>>, limit: number): Array<Promise<T>> {
  let running = 0;
  const queue: Array<() => void> = [];
  const next = () => {
    running--;
    queue.shift()?.();
  };
  return tasks.map(
    (task) =>
      new Promise<T>((resolve, reject) => {
        const start = () => {
          running++;
          task().then(resolve, reject).finally(next);
        };
        if (running < limit) start();
        else queue.push(start);
      }),
  );
}

/** Pulls what `plan` names; returns the image ID. `stop` (the client went away: Ctrl-C) ends the transfers, keeping what they verified. */
export async function runPull(deps: PullDeps, plan: PullPlan, auth: RegistryAuth | undefined, emit: Emit, stop?: AbortSignal): Promise<Digest> {
  const { graph } = deps;
  const { ref } = plan;
  stop?.throwIfAborted();
  // dockerd names the repository by its path on the registry (`library/busybox`).
  emit({ status: `Pulling from ${ref.path}`, id: ref.digest ?? ref.tag ?? 'latest' });
  if (graph.store.get(plan.config.digest)) return finish(deps, plan, plan.config.digest, emit); // the image is here: only its names may be new
  const configBytes = await readBounded(await deps.client.fetch(ref, plan.config, auth ? { auth } : {}), MAX_CONFIG, 'image config');
  if (sha256(configBytes) !== plan.config.digest) throw new InvalidArgumentError(`image config verification failed for digest ${plan.config.digest}`);
  const diffIds = parseConfig(configBytes).rootfs.diff_ids;
  if (diffIds.length !== plan.layers.length) {
    throw new InvalidArgumentError(`invalid manifest, layers length mismatch: expected ${diffIds.length}, got ${plan.layers.length}`);
  }
  const chains = chainIds(diffIds);
  const present = chains.map((c) => graph.layers.get(c) !== undefined);
  plan.layers.forEach((l, i) => emit(statusLine(shortDigest(l.digest), present[i] ? 'Already exists' : 'Pulling fs layer')));
  const cancel = new AbortController();
  const onStop = () => cancel.abort(stop?.reason);
  stop?.addEventListener('abort', onStop, { once: true });
  const tasks = plan.layers.map((desc, i) => async (): Promise<FetchedLayer | undefined> => {
    if (present[i]) return undefined;
    cancel.signal.throwIfAborted();
    return fetchLayer(deps, { ref, desc, diffId: diffIds[i]!, auth, emit, signal: cancel.signal });
  });
  const fetched = limited(tasks, Math.max(1, deps.maxConcurrentDownloads));
  fetched.forEach((d) => d.catch(() => cancel.abort())); // one failure stops the others (they keep their ingests)
  const leases: Lease[] = [];
  const committed = new Set<number>();
  try {
    let parent: Digest | null = null;
    for (let i = 0; i < plan.layers.length; i++) {
      const got = await fetched[i];
      const opts = { parent, expectedDiffId: diffIds[i]! };
      let lease: Lease;
      if (got === undefined) lease = await graph.layers.register(emptyStream(), opts);
      else if ('prepared' in got) {
        committed.add(i);
        lease = graph.layers.commit(got.prepared, parent);
        emit(statusLine(shortDigest(plan.layers[i]!.digest), 'Pull complete'));
      } else lease = await registerBlob(graph, plan.layers[i]!, opts, emit);
      leases.push(lease);
      parent = lease.layer.chainId;
    }
    const documents: HeldBlob[] = [];
    for (const doc of plan.top === plan.manifest ? [plan.manifest] : [plan.top, plan.manifest]) {
      await writeBlob(graph.content, doc.bytes);
      documents.push({ digest: doc.desc.digest, mediaType: doc.desc.mediaType });
    }
    return finish(deps, plan, await graph.store.create(configBytes, { documents }), emit);
  } catch (err) {
    cancel.abort();
    // Layers unpacked but never committed go; their blobs stay for the next pull (GC'd at start if it never comes).
    const settled = await Promise.allSettled(fetched);
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled' && r.value && 'prepared' in r.value && !committed.has(i)) graph.layers.discard(r.value.prepared);
    });
    throw err;
  } finally {
    stop?.removeEventListener('abort', onStop);
    for (const l of leases) l.release();
  }
}

/** Names the image as pulled, with dockerd's closing lines. */
function finish(deps: PullDeps, plan: PullPlan, id: Digest, emit: Emit): Digest {
  const updated = tagPulled(deps.graph, plan.ref, plan.top.desc.digest, id);
  emit({ status: `Digest: ${plan.top.desc.digest}` });
  emit({ status: `Status: ${updated ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarString(plan.ref)}` });
  return id;
}

/** Unpacks a downloaded blob as the next layer; a blob that is not the layer the config names is deleted. */
async function registerBlob(graph: Graph, layer: Descriptor, opts: { parent: Digest | null; expectedDiffId: Digest }, emit: Emit): Promise<Lease> {
  const id = shortDigest(layer.digest);
  const file = graph.content.blobPath(layer.digest);
  try {
    const lease = await graph.layers.register(counted(await graph.content.reader(layer.digest), id, 'Extracting', layer.size, emit), { ...opts, file, size: layer.size });
    emit(statusLine(id, 'Pull complete'));
    return lease;
  } catch (err) {
    if (!graph.layers.blobDigests().includes(layer.digest)) await graph.content.delete(layer.digest).catch(() => {});
    throw new InvalidArgumentError(`failed to register layer ${layer.digest}: ${(err as Error).message}`);
  }
}

/** Tags the image with the pulled tag and its RepoDigest; whether the tag moved (dockerd's "Downloaded newer image"). */
function tagPulled(graph: Graph, ref: NamedRef, digest: Digest, id: Digest): boolean {
  const named = { name: ref.name, domain: ref.domain, path: ref.path };
  const tagRef = ref.digest === undefined ? { ...named, tag: ref.tag ?? 'latest' } : undefined;
  const before = graph.store.lookupRef(tagRef ?? { ...named, digest });
  graph.gdb.update((tx) => {
    if (tagRef) graph.store.addRef(tagRef, id, tx);
    recordRepoDigest(graph, ref, digest, id, tx);
  });
  return before !== id;
}

/** `ref`'s repository at `digest` names image `id` (a RepoDigest); dockerd moves it when it named another (an index's digest, the platform last pulled). */
export function recordRepoDigest(graph: Graph, ref: NamedRef, digest: Digest, id: Digest, tx?: Tx): void {
  const digestRef = { name: ref.name, domain: ref.domain, path: ref.path, digest };
  const run = (t: Tx) => {
    if (graph.store.lookupRef(digestRef) !== id) graph.store.deleteRef(digestRef, t);
    graph.store.addRef(digestRef, id, t);
  };
  if (tx) run(tx);
  else graph.gdb.update(run);
}

function emptyStream(): Readable {
  return Readable.from([]);
}
