// Image operations the jobs call: import, list, inspect, history, tag, remove,
// prune and disk usage. Save and load are in ../archive/.
import type { Readable } from 'node:stream';
import type {
  HistoryResponseItem,
  ImageDeleteResponseItem,
  ImageInspect,
  ImagePruneResponse,
  ImageSummary,
} from '../../api/types';
import { ConflictError, InvalidArgumentError } from '../../errors';
import { nowRfc3339Nano, ZERO_TIME } from '../../api/time';
import { ENGINE_VERSION } from '../../api/version';
import type { ImageContainerConfig } from '../../api/types';
import type { Digest } from '../../api/digest';
import { chainIds } from '../layers/chain';
import type { LayerStore } from '../layers/types';
import { familiarString, parseNormalizedNamed, repoTagReference, withDefaultTag, type NamedRef } from '../../api/reference';
import { applyChanges } from './changes';
import { emptyContainerConfig, type ImageConfigFile } from './config';
import { ImageDeleter, type DeleteHooks, type ImageUsers } from './delete';
import { matchImage, parseImageFilters, type ImageFilters } from './filters';
import { ManifestLister } from './manifests';
import type { ImageRecord, ImageStore } from './store';

export interface ImportOptions {
  /** `repo[:tag]` to tag the image with (Docker's `repo` query parameter). */
  repo?: string;
  tag?: string;
  /** Comment; default `Imported from <src>`. */
  message?: string;
  /** Where the tar came from, for the default message (`-` for the request body). */
  src?: string;
  changes?: readonly string[];
  platform?: { os?: string; architecture?: string; variant?: string };
}

export interface CommitOptions {
  /** The container's image (its config is the base), or null for an image without one. */
  parent: ImageRecord | null;
  /** The container's changes as a layer tar (its upper dir exported). */
  diff: Readable;
  /** The new image's config: the container's, with the request's changes applied. */
  config: ImageContainerConfig;
  containerId: string;
  /** The container's command, for the history's created_by. */
  createdBy: string;
  author?: string;
  comment?: string;
  repo?: string;
  tag?: string;
}

export interface ListOptions {
  all?: boolean;
  filters?: Record<string, string[]>;
  /** Fill SharedSize and Containers (as /system/df does); -1 otherwise. */
  sharedSize?: boolean;
  containerCounts?: boolean;
}


export class ImageService {
  private readonly deleter: ImageDeleter;

  constructor(
    readonly store: ImageStore,
    readonly layers: LayerStore,
    private readonly users: ImageUsers,
    hooks: DeleteHooks = {},
  ) {
    this.deleter = new ImageDeleter(store, users, hooks);
  }

  /** POST /images/create?fromSrc=: a rootfs tar (maybe compressed) becomes a one-layer image. */
  async importImage(tar: Readable, opts: ImportOptions = {}): Promise<Digest> {
    let ref: NamedRef | undefined;
    if (opts.repo) {
      const named = parseNormalizedNamed(opts.repo);
      if (named.digest !== undefined) throw new InvalidArgumentError('cannot import digest reference');
      ref = opts.tag ? repoTagReference(opts.repo, opts.tag) : withDefaultTag(named);
    }
    const config = applyChanges(emptyContainerConfig(), opts.changes ?? []);
    const lease = await this.layers.register(tar, { parent: null });
    try {
      const created = nowRfc3339Nano();
      const comment = opts.message || `Imported from ${opts.src ?? '-'}`;
      const file: ImageConfigFile = {
        architecture: opts.platform?.architecture ?? 'amd64',
        ...(opts.platform?.variant ? { variant: opts.platform.variant } : {}),
        os: opts.platform?.os ?? 'linux',
        comment,
        config,
        created,
        history: [{ created, comment }],
        rootfs: { type: 'layers', diff_ids: [lease.layer.diffId] },
      };
      const id = await this.store.create(file);
      if (ref) this.tagResolved(id, ref);
      return id;
    } finally {
      lease.release();
    }
  }

  /** POST /commit: the parent image plus one layer of the container's changes. */
  async commitImage(opts: CommitOptions): Promise<Digest> {
    const ref = opts.repo ? repoTagReference(opts.repo, opts.tag) : undefined;
    const base = opts.parent?.config;
    const lease = await this.layers.register(opts.diff, { parent: opts.parent?.topLayer ?? null });
    try {
      const created = nowRfc3339Nano();
      const file: ImageConfigFile = {
        architecture: base?.architecture ?? 'amd64',
        ...(base?.variant ? { variant: base.variant } : {}),
        os: base?.os ?? 'linux',
        ...(opts.author ? { author: opts.author } : {}),
        ...(opts.comment ? { comment: opts.comment } : {}),
        config: opts.config,
        container: opts.containerId,
        container_config: opts.config,
        created,
        docker_version: ENGINE_VERSION,
        history: [
          ...(base?.history ?? []),
          { created, ...(opts.author ? { author: opts.author } : {}), created_by: opts.createdBy, ...(opts.comment ? { comment: opts.comment } : {}) },
        ],
        rootfs: { type: 'layers', diff_ids: [...(base?.rootfs.diff_ids ?? []), lease.layer.diffId] },
      };
      const id = await this.store.create(file, { parent: opts.parent?.id ?? null });
      if (ref) this.tagResolved(id, ref);
      return id;
    } finally {
      lease.release();
    }
  }

  /** POST /images/{name}/tag */
  tag(source: string, repo: string, tag?: string): NamedRef {
    const img = this.store.resolve(source);
    const ref = repoTagReference(repo, tag);
    this.tagResolved(img.id, ref);
    return ref;
  }

  private tagResolved(id: Digest, ref: NamedRef): void {
    this.store.addRef(ref, id);
    this.store.setLastTagTime(id, nowRfc3339Nano());
  }

  /** DELETE /images/{name} */
  remove(name: string, opts: { force?: boolean; noprune?: boolean } = {}): ImageDeleteResponseItem[] {
    return this.deleter.remove(name, opts.force ?? false, !(opts.noprune ?? false));
  }

  inspect(name: string): ImageInspect {
    const img = this.store.resolve(name);
    const c = img.config;
    const { tags, digests } = this.repoStrings(img.id);
    return {
      Id: img.id,
      RepoTags: tags,
      RepoDigests: digests,
      Parent: img.parent ?? '',
      // Docker: the config's comment, else the last history entry's (`docker commit -m`).
      Comment: c.comment || (c.history?.at(-1)?.comment ?? ''),
      Created: c.created ?? '',
      // Both dropped for API 1.45 and later (daemon/versioning.ts).
      ...(c.container ? { Container: c.container } : {}),
      ContainerConfig: c.container_config ?? emptyContainerConfig(),
      DockerVersion: c.docker_version ?? '',
      Author: c.author ?? '',
      Config: c.config ?? null,
      Architecture: c.architecture,
      ...(c.variant ? { Variant: c.variant } : {}),
      Os: c.os,
      ...(c['os.version'] ? { OsVersion: c['os.version'] } : {}),
      Size: img.size,
      VirtualSize: img.size,
      GraphDriver: this.graphDriver(img),
      RootFS: { Type: c.rootfs.type, ...(c.rootfs.diff_ids.length > 0 ? { Layers: [...c.rootfs.diff_ids] } : {}) },
      Metadata: { LastTagTime: img.lastTagTime ?? ZERO_TIME },
    };
  }

  private graphDriver(img: ImageRecord): ImageInspect['GraphDriver'] {
    if (img.topLayer === null) return { Name: 'overlay2', Data: null };
    const chain = this.layers.chain(img.topLayer);
    const top = chain[0]!.diffDir.replace(/\/diff$/, '');
    const data: Record<string, string> = {};
    if (chain.length > 1) data.LowerDir = chain.slice(1).map((l) => l.diffDir).join(':');
    data.MergedDir = `${top}/merged`;
    data.UpperDir = `${top}/diff`;
    data.WorkDir = `${top}/work`;
    return { Name: 'overlay2', Data: data };
  }

  /** Familiar `RepoTags` and `RepoDigests` of an image. */
  repoStrings(id: Digest): { tags: string[]; digests: string[] } {
    const tags: string[] = [];
    const digests: string[] = [];
    for (const r of this.store.refs(id)) (r.digest !== undefined ? digests : tags).push(familiarString(r));
    return { tags, digests };
  }

  history(name: string): HistoryResponseItem[] {
    const img = this.store.resolve(name);
    const diffIds = img.config.rootfs.diff_ids;
    const chains = chainIds(diffIds);
    const items: HistoryResponseItem[] = [];
    let n = 0;
    for (const h of img.config.history ?? []) {
      let size = 0;
      if (!h.empty_layer) {
        if (n >= diffIds.length) throw new InvalidArgumentError('too many non-empty layers in History section');
        size = this.layers.get(chains[n]!)?.size ?? 0;
        n++;
      }
      items.unshift({
        Id: '<missing>',
        Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
        CreatedBy: h.created_by ?? '',
        Tags: null,
        Size: size,
        Comment: h.comment ?? '',
      });
    }
    let cur: ImageRecord | undefined = img;
    for (const item of items) {
      if (!cur) break;
      item.Id = cur.id;
      const tags = this.repoStrings(cur.id).tags;
      item.Tags = tags.length > 0 ? tags : null;
      cur = cur.parent ? this.store.get(cur.parent) : undefined;
    }
    return items;
  }

  /** GET /images/json?manifests=1: the list with each image's `Manifests`. */
  async withManifests(list: ImageSummary[]): Promise<ImageSummary[]> {
    const lister = new ManifestLister(this.store, this.layers, this.users);
    for (const summary of list) {
      const img = this.store.get(summary.Id as Digest);
      if (img) summary.Manifests = await lister.of(img);
    }
    return list;
  }

  /** GET /images/json */
  list(opts: ListOptions = {}): ImageSummary[] {
    const filters = parseImageFilters(opts.filters ?? {}, (s) => this.store.resolve(s));
    const all = this.store.all();
    const withChildren = new Set(all.map((i) => i.parent).filter((p): p is Digest => p !== null));
    const layerUse = opts.sharedSize ? this.layerUseCounts(all) : undefined;
    const out: ImageSummary[] = [];
    for (const img of all) {
      const refs = this.store.refs(img.id);
      const match = matchImage(img, refs, filters);
      if (!match) continue;
      if (!opts.all && refs.length === 0 && withChildren.has(img.id) && filters.dangling === undefined) continue;
      const tags = match.refs.filter((r) => r.digest === undefined).map(familiarString);
      const digests = match.refs.filter((r) => r.digest !== undefined).map(familiarString);
      out.push({
        Id: img.id,
        ParentId: img.parent ?? '',
        RepoTags: tags,
        RepoDigests: digests,
        Created: img.created,
        Size: img.size,
        SharedSize: layerUse ? this.sharedSize(img, layerUse) : -1,
        Labels: img.config.config?.Labels ?? null,
        Containers: opts.containerCounts ? this.users.containersUsing(img.id).length : -1,
      });
    }
    return out.sort((a, b) => b.Created - a.Created || (a.Id < b.Id ? -1 : 1));
  }

  private layerUseCounts(all: ImageRecord[]): Map<Digest, number> {
    const uses = new Map<Digest, number>();
    for (const img of all) {
      if (img.topLayer === null) continue;
      for (const l of this.layers.chain(img.topLayer)) uses.set(l.chainId, (uses.get(l.chainId) ?? 0) + 1);
    }
    return uses;
  }

  private sharedSize(img: ImageRecord, uses: Map<Digest, number>): number {
    if (img.topLayer === null) return 0;
    return this.layers.chain(img.topLayer).reduce((n, l) => n + ((uses.get(l.chainId) ?? 0) > 1 ? l.size : 0), 0);
  }

  /** POST /images/prune: dangling images (or, with dangling=false, all unused ones). */
  prune(filtersIn: Record<string, string[]> = {}): ImagePruneResponse {
    for (const k of Object.keys(filtersIn)) {
      if (!['dangling', 'label', 'label!', 'until'].includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
    }
    const danglingOnly = !(filtersIn.dangling ?? []).some((v) => v === 'false' || v === '0');
    const filters = parseImageFilters({ ...filtersIn, dangling: [] }, (s) => this.store.resolve(s));
    const deleted: ImageDeleteResponseItem[] = [];
    let reclaimed = 0;
    const all = this.store.all();
    const parents = new Set(all.map((i) => i.parent).filter((p): p is Digest => p !== null));
    for (const img of all) {
      if (!this.store.get(img.id)) continue; // removed as a parent meanwhile
      if (danglingOnly && (parents.has(img.id) || this.store.refs(img.id).length > 0)) continue;
      if (!matchImage(img, this.store.refs(img.id), filters)) continue;
      if (this.users.containersUsing(img.id).length > 0) continue;
      const sizes = new Map(this.layers.chain(img.topLayer).map((l) => [l.chainId as string, l.size]));
      try {
        const records = this.deleter.remove(img.id, false, true);
        for (const r of records) if (r.Deleted) reclaimed += sizes.get(r.Deleted) ?? 0;
        deleted.push(...records);
      } catch (err) {
        if (err instanceof ConflictError) continue;
        throw err;
      }
    }
    return { ImagesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed };
  }

  count(): number {
    return this.store.count();
  }

  /** The image part of /system/df. */
  diskUsage(): { layersSize: number; images: ImageSummary[] } {
    return { layersSize: this.layers.totalSize(), images: this.list({ all: true, sharedSize: true, containerCounts: true }) };
  }
}

export type { ImageFilters };
