// Image routes: import (POST /images/create?fromSrc), list, inspect, history,
// tag, remove, prune, save (GET /images/{name}/get, /images/get) and load.
// Image names may contain '/' and ':', so per-image routes match the rest of
// the path and split off the action at its end.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { detachUpload } from '../../archive/read';
import { NotFoundError, NotImplementedError } from '../../errors';
import type { DaemonContext } from '../context';
import { bool, filters, str, strs, type Query } from '../query';
import { progressStream } from '../streams';
import { pullRoute, pushRoute } from './distribution';
import { shapeForVersion } from '../versioning';
import { versionAtLeast } from '../../api/version';

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
  const { graph, imageJobs } = ctx;
  const images = graph.images;

  app.get('/images/json', async (req) => {
    const q = req.query as Query;
    const list = images.list({ all: bool(q, 'all'), filters: filters(q), sharedSize: bool(q, 'shared-size') });
    return bool(q, 'manifests') && versionAtLeast(req.apiVersion, '1.47') ? images.withManifests(list) : list;
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
    const id = await imageJobs.importImage(bodyStream(req), {
      ...(repo ? { repo } : {}),
      ...(tag ? { tag } : {}),
      ...(message !== undefined ? { message } : {}),
      src: '-',
      changes: strs(q, 'changes'),
      ...(platform ? { platform: { ...(os ? { os } : {}), ...(architecture ? { architecture } : {}), ...(variant ? { variant } : {}) } } : {}),
    });
    return reply.type('application/json').send(`${JSON.stringify({ status: id })}\r\n`);
  });

  app.post('/images/load', async (req, reply) => {
    const quiet = bool(req.query as Query, 'quiet');
    await progressStream(reply, (emit) =>
      imageJobs.load(bodyStream(req), (msg) => {
        if (!quiet || msg.stream !== undefined) emit(msg);
      }),
    );
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
