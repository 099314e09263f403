// A container's resources at run time: GET /containers/{id}/stats (one frame
// or a stream of JSON lines), POST /containers/{id}/pause, /unpause, /update.
// State changes are container jobs (src/engine/container-jobs.ts), like the other container routes.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ContainerUpdateBody } from '../../api/resources';
import { versionAtLeast } from '../../api/version';
import { statsFrames, type StatsTarget } from '../../container/stats';
import type { ContainerRecord } from '../../container/store';
import { InvalidArgumentError } from '../../errors';
import type { DaemonContext } from '../context';
import { bool, str, type Query } from '../query';

export function containerResourceRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const { containers, containerJobs } = ctx;
  /** The container as the client named it. */
  const ref = (req: FastifyRequest): string => (req.params as { id: string }).id;
  const resolve = (req: FastifyRequest): ContainerRecord => containers.store.resolve(ref(req));

  app.get('/containers/:id/stats', async (req, reply) => {
    const rec = resolve(req);
    const query = req.query as Query;
    // dockerd's BoolValueOrDefault: absent or empty means the default.
    const stream = str(query, 'stream') ? bool(query, 'stream') : true;
    const oneShot = versionAtLeast(req.apiVersion, '1.41') && bool(query, 'one-shot');
    if (stream && oneShot) throw new InvalidArgumentError('cannot have stream=true and one-shot=true');
    const target = (): StatsTarget | undefined => {
      const now = containers.store.get(rec.id);
      if (!now) return undefined;
      const running = now.state.Running && !now.state.Restarting;
      return { id: now.id, name: now.name, running, pid: now.state.Pid, networkMode: now.hostConfig.NetworkMode ?? 'default' };
    };
    const frames = statsFrames({ stream, oneShot, target, machineMemory: ctx.host.memTotal });
    if (!stream) {
      let body = '';
      for await (const frame of frames) body += frame;
      return reply.type('application/json').send(body);
    }
    return reply.type('application/json').send(Readable.from(frames));
  });

  app.post('/containers/:id/pause', async (req, reply) => {
    await containerJobs.pause(ref(req));
    return reply.code(204).send();
  });

  app.post('/containers/:id/unpause', async (req, reply) => {
    await containerJobs.unpause(ref(req));
    return reply.code(204).send();
  });

  app.post('/containers/:id/update', async (req) => {
    const body: ContainerUpdateBody = { ...((req.body ?? {}) as ContainerUpdateBody) };
    if (!versionAtLeast(req.apiVersion, '1.40')) body.PidsLimit = null;
    // Removed from the API in 1.42: ignored, as dockerd does.
    if (versionAtLeast(req.apiVersion, '1.42')) body.KernelMemory = 0;
    // 0 and any negative value mean "no limit" when updating.
    if (body.PidsLimit !== undefined && body.PidsLimit !== null && body.PidsLimit <= 0) body.PidsLimit = 0;
    return containerJobs.update(ref(req), body);
  });
}
