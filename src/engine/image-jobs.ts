// The image jobs: tag, delete, prune and save, each a named job holding the
// image keys it writes (keys.ts), with dockerd's events. Import and load run
// as jobs from their routes (their upload handling stays there) with the
// events made here.
import type { Readable } from 'node:stream';
import type { ImageDeleteResponseItem, ImagePruneResponse } from '../api/types';
import type { EventInput } from './events';
import type { JobEngine } from './jobs';
import type { Graph } from '../graph/graph';
import type { ImageRecord } from '../graph/image/store';
import { familiarString } from '../graph/reference';
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
