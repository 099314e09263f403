// docker cp's routes: HEAD (stat), GET (tar out) and PUT (tar in) on
// /containers/{id}/archive. Each holds the container's lock as dockerd holds
// the container's, the GET until its tar is read (or the client leaves).
// The stat travels base64 JSON in X-Docker-Container-Path-Stat.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { createDeflate, createGzip } from 'node:zlib';
import { encodePathStat, PATH_STAT_HEADER } from '../../api/archive';
import { archivePath, extractToDir, statPath } from '../../container/archive';
import type { ContainerRecord } from '../../container/store';
import { InvalidArgumentError } from '../../errors';
import type { JobContext } from '../../engine/jobs';
import { containerLock } from '../../engine/lock-keys';
import type { DaemonContext } from '../context';
import { bool, str, type Query } from '../query';

export function archiveRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const { jobs, containers } = ctx;
  const ref = (req: FastifyRequest): string => (req.params as { id: string }).id;

  /** httputils.ArchiveFormValues: the path is required. */
  const pathOf = (req: FastifyRequest): string => {
    const path = str(req.query as Query, 'path');
    if (!path) throw new InvalidArgumentError('bad parameter: pathcannot be empty');
    return path;
  };

  /** Runs `work` holding the container's lock, on its record as it is then. */
  const locked = <T>(name: string, req: FastifyRequest, work: (rec: ContainerRecord, job: JobContext) => Promise<T> | T): Promise<T> => {
    const rec = containers.store.resolve(ref(req));
    return jobs.run({ name, object: rec.id, locks: [containerLock(rec.id)] }, (job) => work(containers.store.resolve(rec.id), job));
  };

  app.head('/containers/:id/archive', async (req, reply) => {
    const path = pathOf(req);
    const stat = await locked('container.stat-path', req, (rec) => statPath(containers, rec, path, ref(req)));
    return reply.header(PATH_STAT_HEADER, encodePathStat(stat)).code(200).send();
  });

  app.get('/containers/:id/archive', { exposeHeadRoute: false }, async (req, reply) => {
    const path = pathOf(req);
    // The job holds the lock until the tar stream closes; the answer starts as soon as the tar is ready.
    let ready!: (r: Awaited<ReturnType<typeof archivePath>>) => void;
    let failed!: (err: unknown) => void;
    const opened = new Promise<Awaited<ReturnType<typeof archivePath>>>((resolve, reject) => ([ready, failed] = [resolve, reject]));
    locked('container.archive-path', req, async (rec, job) => {
      const r = await archivePath(containers, rec, path, ref(req), job);
      ready(r);
      await new Promise((resolve) => r.body.once('close', resolve));
    }).catch(failed);
    const { stat, body } = await opened;
    // However the answer ends, the tar (and with it the lock and the mounts) is let go.
    reply.raw.once('close', () => body.destroy());
    reply.header(PATH_STAT_HEADER, encodePathStat(stat)).type('application/x-tar');
    return reply.send(compressed(req, reply, body));
  });

  app.put('/containers/:id/archive', async (req, reply) => {
    const path = pathOf(req);
    const query = req.query as Query;
    const body = (req.body as Readable | undefined) ?? req.raw;
    await locked('container.extract-to-dir', req, (rec, job) =>
      extractToDir(containers, rec, { path, noOverwriteDirNonDir: bool(query, 'noOverwriteDirNonDir'), copyUIDGID: bool(query, 'copyUIDGID') }, body, ref(req), job),
    );
    return reply.code(200).send();
  });
}

/** The body in the encoding the client prefers of gzip and deflate (dockerd's writeCompressedResponse), else as it is. */
function compressed(req: FastifyRequest, reply: FastifyReply, body: Readable): Readable {
  const encoding = negotiateEncoding(String(req.headers['accept-encoding'] ?? ''), ['gzip', 'deflate']);
  if (!encoding) return body;
  reply.header('Content-Encoding', encoding);
  const zip = encoding === 'gzip' ? createGzip() : createDeflate();
  body.once('error', (err) => zip.destroy(err));
  zip.once('close', () => body.destroy());
  return body.pipe(zip);
}

/** gddo's NegotiateContentEncoding: the first offer with the highest q ("*" matches any); none, or q=0, is no encoding. */
export function negotiateEncoding(header: string, offers: string[]): string | undefined {
  const specs = header
    .split(',')
    .map((part) => {
      const [value = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { value: value.trim().toLowerCase(), q: q === undefined ? 1 : Number(q) };
    })
    .filter((s) => s.value !== '');
  let best: string | undefined;
  let bestQ = -1;
  for (const offer of offers) {
    for (const spec of specs) {
      if (spec.q > bestQ && (spec.value === '*' || spec.value === offer)) [best, bestQ] = [offer, spec.q];
    }
  }
  return bestQ > 0 ? best : undefined;
}
