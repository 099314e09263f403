// Image routes: import (POST /images/create?fromSrc), list, inspect, history,
// tag, remove, prune, save (GET /images/{name}/get, /images/get) and load.
// Image names may contain '/' and ':', so per-image routes match the rest of
// the path and split off the action at its end.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { ImageDeleteResponseItem } from '../../api/types';
import { detachUpload } from '../../archive/read';
import type { EventInput } from '../../engine/events';
import { NotFoundError, NotImplementedError } from '../../errors';
import type { ImageRecord } from '../../graph/image/store';
import { familiarString } from '../../graph/reference';
import type { DaemonContext } from '../context';
import { bool, filters, str, strs, type Query } from '../query';
import { progressStream } from '../streams';
import { pullRoute } from './distribution';
import { shapeForVersion } from '../versioning';

/** Splits `/images/<name>/<action>` (name may hold '/'). */
function imagePath(wildcard: string, actions: readonly string[]): { name: string; action: string } | undefined {
  for (const action of actions) {
    if (wildcard.endsWith(`/${action}`)) return { name: wildcard.slice(0, -action.length - 1), action };
  }
  return undefined;
}

/** The upload, detached from the request: a failed load or import leaves the rest read and dropped, and answers. */
function bodyStream(req: FastifyRequest): Readable {
  return detachUpload((req.body as Readable | undefined) ?? req.raw);
}

/**
 * An image event as dockerd's LogImageEvent makes it: the image ID as actor,
 * the image's labels (while it exists) and `name` (the new tag for `tag`, else
 * the ID again).
 */
function imageEvent(action: string, img: ImageRecord | undefined, id: string, name = id): EventInput {
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

export function imageRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const { jobs, graph } = ctx;
  const images = graph.images;

  app.get('/images/json', async (req) => {
    const q = req.query as Query;
    return images.list({ all: bool(q, 'all'), filters: filters(q), sharedSize: bool(q, 'shared-size') });
  });

  app.post('/images/create', async (req, reply) => {
    const q = req.query as Query;
    const fromImage = str(q, 'fromImage');
    const fromSrc = str(q, 'fromSrc');
    if (fromImage !== undefined) return pullRoute(ctx, req, reply, fromImage);
    if (fromSrc !== '-') {
      throw new NotImplementedError(fromSrc === undefined ? 'fromImage or fromSrc is required' : `importing from a URL is not supported (${fromSrc})`);
    }
    const repo = str(q, 'repo');
    const tag = str(q, 'tag');
    const message = str(q, 'message');
    const platform = str(q, 'platform');
    const [os, architecture, variant] = platform ? platform.split('/') : [];
    // dockerd writes nothing before the image exists: a failure is an HTTP error, not an in-band one.
    const id = await jobs.run({ name: 'image.import', locks: repo ? [`image:${repo}`] : [] }, async (job) => {
      const imported = await images.importImage(bodyStream(req), {
        ...(repo ? { repo } : {}),
        ...(tag ? { tag } : {}),
        ...(message !== undefined ? { message } : {}),
        src: '-',
        changes: strs(q, 'changes'),
        ...(platform ? { platform: { ...(os ? { os } : {}), ...(architecture ? { architecture } : {}), ...(variant ? { variant } : {}) } } : {}),
      });
      job.setObject(imported);
      job.emit(imageEvent('import', graph.store.get(imported as ImageRecord['id']), imported));
      return imported;
    });
    return reply.type('application/json').send(`${JSON.stringify({ status: id })}\r\n`);
  });

  app.post('/images/load', async (req, reply) => {
    const quiet = bool(req.query as Query, 'quiet');
    await progressStream(reply, async (emit) => {
      // Every image: the names to tag are known only once the archive is read, and a prune must not take an image before its tag.
      await jobs.run({ name: 'image.load', locks: ['image:*'] }, async (job) => {
        const result = await graph.load(bodyStream(req), (msg) => {
          if (!quiet || msg.stream !== undefined) emit(msg);
        });
        for (const img of result.images) job.emit(imageEvent('load', graph.store.get(img.id), img.id));
      });
    });
  });

  app.post('/images/prune', async (req) => {
    const f = filters(req.query as Query);
    return jobs.run({ name: 'image.prune', locks: ['image:*'] }, (job) => {
      const before = new Map(graph.store.all().map((img) => [img.id as string, img]));
      const result = images.prune(f);
      for (const event of removalEvents(result.ImagesDeleted ?? [], before)) job.emit(event);
      job.emit({ Type: 'image', Action: 'prune', Actor: { ID: '', Attributes: { reclaimed: String(result.SpaceReclaimed) } } });
      return result;
    });
  });

  const save = (names: string[], reply: FastifyReply) => {
    const tar = graph.save(names);
    for (const name of names) {
      const img = graph.store.resolve(name);
      ctx.events.publish(imageEvent('save', img, img.id));
    }
    return reply.type('application/x-tar').send(tar);
  };
  app.get('/images/get', async (req, reply) => save(strs(req.query as Query, 'names'), reply));

  app.get('/images/*', async (req, reply) => {
    const path = imagePath((req.params as { '*': string })['*'], ['json', 'history', 'get']);
    if (!path) throw new NotFoundError('page not found');
    if (path.action === 'json') return shapeForVersion('ImageInspect', req.apiVersion, images.inspect(path.name));
    if (path.action === 'history') return images.history(path.name);
    return save([path.name], reply);
  });

  app.post('/images/*', async (req, reply) => {
    const path = imagePath((req.params as { '*': string })['*'], ['tag', 'push']);
    if (!path) throw new NotFoundError('page not found');
    if (path.action === 'push') throw new NotImplementedError(`pushing images is not supported by tsdocker yet (${path.name})`);
    const q = req.query as Query;
    const repo = str(q, 'repo') ?? '';
    const tag = str(q, 'tag');
    await jobs.run({ name: 'image.tag', object: path.name, locks: [`image:${repo}`] }, (job) => {
      const img = graph.store.resolve(path.name);
      const ref = images.tag(path.name, repo, tag);
      job.setObject(img.id);
      job.emit(imageEvent('tag', img, img.id, familiarString(ref)));
    });
    return reply.code(201).send();
  });

  app.delete('/images/*', async (req) => {
    const name = (req.params as { '*': string })['*'];
    const q = req.query as Query;
    return jobs.run({ name: 'image.delete', object: name, locks: [`image:${name}`] }, (job) => {
      const before = new Map(graph.store.all().map((img) => [img.id as string, img]));
      const named = graph.store.resolve(name);
      const items = images.remove(name, { force: bool(q, 'force'), noprune: bool(q, 'noprune') });
      for (const event of removalEvents(items, before, named)) job.emit(event);
      return items;
    });
  });
}
