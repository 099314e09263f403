// Exec routes: start (hijacked unless Detach), inspect, resize. Creating an
// exec is POST /containers/{id}/exec, with the container routes.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DaemonContext } from '../context';
import { hijack, requestBody, streamType } from '../hijack';
import { ttySize, type Query } from '../query';

export function execRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const { execs, execJobs } = ctx;
  const execId = (req: FastifyRequest): string => (req.params as { id: string }).id;

  app.post('/exec/:id/start', async (req, reply) => {
    const id = execId(req);
    const body = requestBody<{ Detach?: boolean; Tty?: boolean }>(req) ?? {};
    execs.container(id);
    const tty = body.Tty ?? false;
    if (body.Detach) {
      await execJobs.start(id, undefined, tty);
      return reply.code(200).send();
    }
    const socket = hijack(req, reply, streamType(tty, req.apiVersion));
    await execJobs.start(id, socket, tty).catch((err: Error) => {
      ctx.log.warn({ exec: id, err: err.message }, 'exec start failed');
      socket.end();
    });
  });

  app.get('/exec/:id/json', async (req) => execs.inspect(execId(req)));

  app.post('/exec/:id/resize', async (req, reply) => {
    const { rows, cols } = ttySize(req.query as Query);
    await execs.resize(execId(req), rows, cols);
    return reply.code(200).send();
  });
}
