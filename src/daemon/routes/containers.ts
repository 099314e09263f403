// Container routes: create, list, inspect, start/stop/kill/restart, wait,
// attach (hijacked), logs, resize, top, rename, changes, export, remove, prune.
// Handlers parse, run a job (src/engine/container-jobs.ts) and reply; reads go to the driver.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ContainerConfig, ContainerCreateBody, ContainerPruneResponse, ExecCreateBody } from '../../api/containers';
import { InvalidArgumentError } from '../../errors';
import { changes } from '../../container/changes';
import { logSource, readableLog } from '../../container/log-config';
import { parseLogTime, readLogs } from '../../container/logs';
import type { ContainerRecord } from '../../container/store';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../container/stream';
import { cgroupPids, top } from '../../container/top';
import { inspect, list, summary } from '../../container/views';
import type { DaemonContext } from '../context';
import { hijack, streamType } from '../hijack';
import { bool, filters, int, str, strs, ttySize, type Query } from '../query';

/** The container as the client named it. */
const ref = (req: FastifyRequest): string => (req.params as { id: string }).id;
const q = (req: FastifyRequest): Query => req.query as Query;
const recordOf = (ctx: DaemonContext) => (req: FastifyRequest): ContainerRecord => ctx.containers.store.resolve(ref(req));

export function containerRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const { containers, execs, graph, containerJobs } = ctx;
  const resolve = recordOf(ctx);

  app.post('/containers/create', async (req, reply) => {
    const body = (req.body ?? {}) as ContainerCreateBody;
    const name = str(q(req), 'name');
    const created = await containerJobs.create(body, name);
    return reply.code(201).send({ Id: created.Id, Warnings: created.Warnings });
  });

  app.get('/containers/json', async (req) => {
    const query = q(req);
    const limit = int(query, 'limit') ?? (bool(query, 'latest') ? 1 : undefined);
    const recs = list(containers.store.all(), { all: bool(query, 'all'), limit, filters: filters(query) }, (r) => containers.store.resolve(r), (rec, ancestor) => {
      const img = graph.store.resolve(ancestor);
      return rec.imageId === img.id;
    });
    const size = bool(query, 'size');
    const nets = filters(query)['network'] ?? [];
    const onNetworks = (rec: (typeof recs)[number]) =>
      nets.length === 0 || Object.entries(containers.networkSettings(rec)?.Networks ?? {}).some(([name, e]) => nets.some((n) => n === name || (n !== '' && e.NetworkID.startsWith(n))));
    return recs.filter(onNetworks).map((rec) => ({ ...summary(rec, containers.networkSettings(rec)), ...(size ? containers.rootfs.sizes(rec) : {}) }));
  });

  app.get('/containers/:id/json', async (req) => {
    const rec = resolve(req);
    return { ...inspect(rec, containers.paths, containers.rootfs.lowerDirs(rec), execs.idsOf(rec.id), containers.networkSettings(rec)), ...(bool(q(req), 'size') ? containers.rootfs.sizes(rec) : {}) };
  });

  app.post('/containers/:id/start', async (req, reply) => {
    await containerJobs.start(ref(req));
    return reply.code(204).send();
  });

  app.post('/containers/:id/stop', async (req, reply) => {
    const query = q(req);
    await containerJobs.stop(ref(req), { signal: str(query, 'signal'), timeout: int(query, 't') });
    return reply.code(204).send();
  });

  app.post('/containers/:id/kill', async (req, reply) => {
    await containerJobs.kill(ref(req), str(q(req), 'signal') || undefined);
    return reply.code(204).send();
  });

  app.post('/containers/:id/restart', async (req, reply) => {
    const query = q(req);
    await containerJobs.restart(ref(req), { signal: str(query, 'signal'), timeout: int(query, 't') });
    return reply.code(204).send();
  });

  containerStreamRoutes(app, ctx);
  containerOtherRoutes(app, ctx);
}

/** wait, attach, logs: the routes whose answers stream. */
function containerStreamRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const { containers } = ctx;
  const resolve = recordOf(ctx);

  app.post('/containers/:id/wait', async (req, reply) => {
    const rec = resolve(req);
    const answer = containers.wait(rec, str(q(req), 'condition') ?? '');
    // Headers go out at once: clients (docker run) wait for them before starting the container.
    const headers = { ...reply.getHeaders(), 'content-type': 'application/json' };
    reply.hijack();
    reply.raw.writeHead(200, headers as Record<string, string>);
    reply.raw.flushHeaders();
    reply.raw.end(`${JSON.stringify(await answer)}\n`);
  });

  app.post('/containers/:id/attach', async (req, reply) => {
    const rec = resolve(req);
    const query = q(req);
    const stream = bool(query, 'stream');
    const logs = bool(query, 'logs');
    if (!stream && !logs) throw new InvalidArgumentError('Bad parameter: either logs or stream must be set');
    const detachKeys = parseDetachKeys(str(query, 'detachKeys') || DEFAULT_DETACH_KEYS);
    containers.checkAttach(rec, ref(req));
    const tty = rec.config.Tty;
    const streams = { stdin: bool(query, 'stdin'), stdout: bool(query, 'stdout'), stderr: bool(query, 'stderr') };
    const socket = hijack(req, reply, streamType(tty, req.apiVersion));
    const source = logSource(rec.hostConfig.LogConfig, containers.paths, rec.id);
    if (logs && source) {
      const past = readLogs(source, { follow: false, stdout: streams.stdout, stderr: streams.stderr, timestamps: false, tail: 'all' }, tty, Promise.resolve());
      for await (const chunk of past) socket.write(chunk as Buffer);
    }
    if (stream) {
      await containers.attach(rec, {
        socket,
        ...streams,
        stdin: streams.stdin && rec.config.OpenStdin,
        tty,
        detachKeys,
        // dockerd closes the container's stdin at the client's EOF only without a tty.
        closeStdinOnEof: rec.config.StdinOnce && !tty,
      });
    }
    socket.end();
  });

  app.get('/containers/:id/logs', async (req, reply) => {
    const rec = resolve(req);
    const query = q(req);
    const stdout = bool(query, 'stdout');
    const stderr = bool(query, 'stderr');
    if (!stdout && !stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
    const tailRaw = str(query, 'tail');
    const tail = tailRaw === undefined || tailRaw === '' || tailRaw === 'all' ? 'all' : Number.parseInt(tailRaw, 10);
    const since = str(query, 'since');
    const until = str(query, 'until');
    const follow = bool(query, 'follow');
    const stopped = follow && rec.state.Running ? containers.nextExit(rec) : Promise.resolve();
    const body = readLogs(
      readableLog(rec.hostConfig.LogConfig, containers.paths, rec.id),
      {
        follow,
        stdout,
        stderr,
        timestamps: bool(query, 'timestamps'),
        tail: Number.isNaN(tail) ? 'all' : tail,
        ...(since ? { since: parseLogTime(since) } : {}),
        ...(until ? { until: parseLogTime(until) } : {}),
      },
      rec.config.Tty,
      stopped,
    );
    return reply.type(streamType(rec.config.Tty, req.apiVersion)).send(body);
  });

}

/** resize, top, rename, changes, export, remove, prune, commit, exec create. */
function containerOtherRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const { containers, containerJobs, execJobs } = ctx;
  const resolve = recordOf(ctx);

  app.post('/containers/:id/resize', async (req, reply) => {
    const { rows, cols } = ttySize(q(req));
    await containers.resize(resolve(req), rows, cols);
    return reply.code(200).send();
  });

  app.get('/containers/:id/top', async (req) => {
    const rec = resolve(req);
    if (!rec.state.Running) throw new InvalidArgumentError(`Container ${rec.id} is not running`);
    return top(cgroupPids(`/tsdocker/${rec.id}`), str(q(req), 'ps_args') || '-ef');
  });

  app.post('/containers/:id/rename', async (req, reply) => {
    const name = str(q(req), 'name');
    if (!name) throw new InvalidArgumentError('Neither old nor new names may be empty');
    await containerJobs.rename(ref(req), name);
    return reply.code(204).send();
  });

  app.get('/containers/:id/changes', async (req) => {
    const rec = resolve(req);
    return changes(containers.paths.upper(rec.id), containers.rootfs.lowerDirs(rec));
  });

  app.get('/containers/:id/export', async (req, reply) => {
    const body = await containerJobs.export(ref(req));
    // However the answer ends, the tar (and with it the lock and the mount) is let go.
    reply.raw.once('close', () => body.destroy());
    return reply.type('application/x-tar').send(body);
  });

  app.delete('/containers/:id', async (req, reply) => {
    const query = q(req);
    if (bool(query, 'link')) throw new InvalidArgumentError('links are not supported by tsdocker');
    await containerJobs.remove(ref(req), { force: bool(query, 'force'), removeVolumes: bool(query, 'v') });
    return reply.code(204).send();
  });

  app.post('/containers/prune', async (req): Promise<ContainerPruneResponse> => {
    const f = filters(q(req));
    return containerJobs.prune(f);
  });

  app.post('/commit', async (req, reply) => {
    const query = q(req);
    const container = str(query, 'container');
    if (!container) throw new InvalidArgumentError('No container name or ID supplied');
    const id = await containerJobs.commit(container, {
      body: (req.body ?? {}) as Partial<ContainerConfig>,
      changes: strs(query, 'changes'),
      author: str(query, 'author'),
      comment: str(query, 'comment'),
      repo: str(query, 'repo'),
      tag: str(query, 'tag'),
    });
    return reply.code(201).send({ Id: id });
  });

  app.post('/containers/:id/exec', async (req, reply) => {
    const id = await execJobs.create(ref(req), (req.body ?? {}) as ExecCreateBody);
    return reply.code(201).send({ Id: id });
  });
}
