// Network routes: list (filters), inspect, create, remove, connect,
// disconnect, prune. Handlers parse, run a job (src/engine/network-jobs.ts)
// and reply; reads go to the network driver.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { NetworkConnectBody, NetworkCreateBody, NetworkDisconnectBody } from '../../api/networks';
import { InvalidArgumentError, NotFoundError } from '../../errors';
import type { DaemonContext } from '../context';
import { filters, str, type Query } from '../query';

const id = (req: FastifyRequest): string => (req.params as { id: string }).id;
const q = (req: FastifyRequest): Query => req.query as Query;

function objectBody<T>(req: FastifyRequest): T {
  const body = req.body ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('invalid JSON: the body must be an object');
  return body as T;
}

export function networkRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const { networks, networkJobs } = ctx;

  app.get('/networks', async (req) => networks.list(filters(q(req))));

  app.get('/networks/:id', async (req) => {
    const scope = str(q(req), 'scope') ?? '';
    if (scope !== '' && scope !== 'local') throw new NotFoundError(`network ${id(req)} not found`);
    return networks.inspect(id(req));
  });

  app.post('/networks/create', async (req, reply) => reply.code(201).send(await networkJobs.create(objectBody<NetworkCreateBody>(req))));

  app.delete('/networks/:id', async (req, reply) => {
    await networkJobs.remove(id(req));
    return reply.code(204).send();
  });

  app.post('/networks/:id/connect', async (req, reply) => {
    await networkJobs.connect(id(req), objectBody<NetworkConnectBody>(req));
    return reply.code(200).send();
  });

  app.post('/networks/:id/disconnect', async (req, reply) => {
    await networkJobs.disconnect(id(req), objectBody<NetworkDisconnectBody>(req));
    return reply.code(200).send();
  });

  app.post('/networks/prune', async (req) => networkJobs.prune(filters(q(req))));
}
