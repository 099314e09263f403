// Image routes: import (POST /images/create?fromSrc), list, inspect, history,
// tag, remove, prune, save (GET /images/{name}/get, /images/get) and load.
// Image names may contain '/' and ':', so per-image routes match the rest of
// the path and split off the action at its end.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { detachUpload } from '../../archive/read';
import { NotFoundError, NotImplementedError } from '../../errors';
import type { ImageRecord } from '../../graph/image/store';
import { imageEvent } from '../../engine/image-jobs';
import type { DaemonContext } from '../context';
import { bool, filters, str, strs, type Query } from '../query';
import { progressStream } from '../streams';
import { pullRoute, pushRoute } from './distribution';
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

export function imageRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const { jobs, graph, imageJobs } = ctx;
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
    return imageJobs.prune(f);
  });

  imageNamedRoutes(app, ctx);
}

/** save (GET /images/get, /images/{name}/get), inspect, history, tag, push, remove: the routes that name images. */
function imageNamedRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const { imageJobs } = ctx;
  const images = ctx.graph.images;
  const save = async (names: string[], reply: FastifyReply) => reply.type('application/x-tar').send(await imageJobs.save(names));
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
    if (path.action === 'push') return pushRoute(ctx, req, reply, path.name);
    const q = req.query as Query;
    const repo = str(q, 'repo') ?? '';
    const tag = str(q, 'tag');
    await imageJobs.tag(path.name, repo, tag);
    return reply.code(201).send();
  });

  app.delete('/images/*', async (req) => {
    const name = (req.params as { '*': string })['*'];
    const q = req.query as Query;
    return imageJobs.remove(name, { force: bool(q, 'force'), noprune: bool(q, 'noprune') });
  });
}
