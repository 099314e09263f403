// Volume routes: list (GET /volumes), create, inspect, remove, prune. Reads go
// to the volume service, changes through the volume jobs.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidArgumentError } from '../../errors';
import type { VolumeCreateBody } from '../../engine/volume-jobs';
import type { DaemonContext } from '../context';
import { bool, filters, type Query } from '../query';

const GO_TYPES: Record<string, string> = { Name: 'string', Driver: 'string', DriverOpts: 'map[string]string', Labels: 'map[string]string' };

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** The create body, checked as Go's decoder would (CreateOptions). */
function createBody(req: FastifyRequest): VolumeCreateBody {
  const body: unknown = req.body ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidArgumentError(`json: cannot unmarshal ${jsonType(body)} into Go value of type volume.CreateOptions`);
  }
  const b = body as Record<string, unknown>;
  for (const [field, goType] of Object.entries(GO_TYPES)) {
    const v = b[field];
    if (v === undefined || v === null) continue;
    const ok = goType === 'string' ? typeof v === 'string' : typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every((x) => typeof x === 'string');
    if (!ok) throw new InvalidArgumentError(`json: cannot unmarshal ${jsonType(v)} into Go struct field CreateOptions.${field} of type ${goType}`);
  }
  return b as VolumeCreateBody;
}

export function volumeRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const { volumes, volumeJobs } = ctx;

  app.get('/volumes', async (req) => volumes.list(filters(req.query as Query)));

  app.post('/volumes/create', async (req, reply) => reply.code(201).send(await volumeJobs.create(createBody(req))));

  app.post('/volumes/prune', async (req) => volumeJobs.prune(filters(req.query as Query), req.apiVersion));

  app.get('/volumes/:name', async (req) => volumes.inspect((req.params as { name: string }).name));

  app.put('/volumes/:name', async () => {
    throw new InvalidArgumentError('volume updates are only supported for cluster volumes, and this node is not part of a swarm');
  });

  app.delete('/volumes/:name', async (req, reply) => {
    await volumeJobs.remove((req.params as { name: string }).name, bool(req.query as Query, 'force'));
    return reply.code(204).send();
  });
}
