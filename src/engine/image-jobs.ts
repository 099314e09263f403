// The image jobs: import, load, tag, delete, prune and save, each a named job
// holding the image keys it writes (lock-keys.ts), with dockerd's events. The
// routes hand import and load their upload as a stream.
import type { Readable } from 'node:stream';
import type { ImageDeleteResponseItem, ImagePruneResponse, JSONMessage } from '../api/types';
import type { EventInput } from './events';
import type { JobEngine } from './jobs';
import type { Graph } from '../graph/graph';
import type { ImportOptions } from '../graph/image/service';
import type { ImageRecord } from '../graph/image/store';
import { familiarString } from '../api/reference';
import { ALL_IMAGES_LOCK, imageLock } from './lock-keys';

/**
 * An image event as dockerd's LogImageEvent makes it: the image ID as actor,
 * the image's labels (while it exists) and `name` (the new tag for `tag`, else
 * the ID again).
 */
export function imageEvent(action: string, img: ImageRecord | undefined, id: string, name = id): EventInput {
  return { Type: 'image', Action: action, Actor: { ID: id, Attributes: { ...(img?.config.config?.Labels ?? {}), name } } };
}

/**
 * The untag and delete events of a removal answer. `Deleted` items also list
 * layers: only images known before the removal get events. An untag belongs to
 * the next image deleted after it (the deleter untags an image, then deletes
 * it), else to `untaggedOnly` (a name removed while the image stays).
 */
function removalEvents(items: readonly ImageDeleteResponseItem[], before: ReadonlyMap<string, ImageRecord>, untaggedOnly?: ImageRecord): EventInput[] {
  const events: EventInput[] = [];
  let owner = untaggedOnly;
  for (const item of [...items].reverse()) {
    const deleted = item.Deleted !== undefined ? before.get(item.Deleted) : undefined;
    if (deleted) {
      owner = deleted;
      events.push(imageEvent('delete', undefined, deleted.id));
    } else if (item.Untagged !== undefined && owner) {
      events.push(imageEvent('untag', owner, owner.id));
    }
  }
  return events.reverse();
}

export class ImageJobs {
  constructor(
    private readonly jobs: JobEngine,
    private readonly graph: Graph,
  ) {}

  tag(name: string, repo: string, tag: string | undefined): Promise<void> {
    return this.jobs.run({ name: 'image.tag', object: name, locks: [imageLock(repo)] }, (ctx) => {
      const img = this.graph.store.resolve(name);
      const ref = this.graph.images.tag(name, repo, tag);
      ctx.setObject(img.id);
      ctx.emit(imageEvent('tag', img, img.id, familiarString(ref)));
    });
  }

  remove(name: string, opts: { force: boolean; noprune: boolean }): Promise<ImageDeleteResponseItem[]> {
    return this.jobs.run({ name: 'image.delete', object: name, locks: [imageLock(name)] }, (ctx) => {
      const before = this.snapshot();
      const named = this.graph.store.resolve(name);
      const items = this.graph.images.remove(name, opts);
      for (const event of removalEvents(items, before, named)) ctx.emit(event);
      return items;
    });
  }

  prune(filters: Record<string, string[]>): Promise<ImagePruneResponse> {
    return this.jobs.run({ name: 'image.prune', locks: [ALL_IMAGES_LOCK] }, (ctx) => {
      const before = this.snapshot();
      const result = this.graph.images.prune(filters);
      for (const event of removalEvents(result.ImagesDeleted ?? [], before)) ctx.emit(event);
      ctx.emit({ Type: 'image', Action: 'prune', Actor: { ID: '', Attributes: { reclaimed: String(result.SpaceReclaimed) } } });
      return result;
    });
  }

  /** The images as a `docker save` tar, a `save` event for each. */
  /** Imports a rootfs tar as a new image; its ID once it exists. */
  importImage(tar: Readable, opts: ImportOptions): Promise<string> {
    return this.jobs.run({ name: 'image.import', locks: opts.repo ? [imageLock(opts.repo)] : [] }, async (ctx) => {
      const id = await this.graph.images.importImage(tar, opts);
      ctx.setObject(id);
      ctx.emit(imageEvent('import', this.graph.store.get(id), id));
      return id;
    });
  }

  /** Loads a `docker save` archive. Every image is locked: the names to tag are known only once the archive is read, and a prune must not take an image before its tag. */
  load(tar: Readable, progress: (msg: JSONMessage) => void): Promise<void> {
    return this.jobs.run({ name: 'image.load', locks: [ALL_IMAGES_LOCK] }, async (ctx) => {
      const result = await this.graph.load(tar, progress);
      for (const img of result.images) ctx.emit(imageEvent('load', this.graph.store.get(img.id), img.id));
    });
  }

  save(names: string[]): Promise<Readable> {
    return this.jobs.run({ name: 'image.save', object: names.join(' '), locks: [] }, (ctx) => {
      const tar = this.graph.save(names);
      for (const name of names) {
        const img = this.graph.store.resolve(name);
        ctx.emit(imageEvent('save', img, img.id));
      }
      return tar;
    });
  }

  private snapshot(): Map<string, ImageRecord> {
    return new Map(this.graph.store.all().map((img) => [img.id as string, img]));
  }
}
