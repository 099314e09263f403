// Distribution routes: pull (POST /images/create?fromImage=…, dispatched from
// the images plugin, which owns that route with import) and GET
// /distribution/{name}/json. The reference is resolved before the 200 goes out,
// so an unknown image or an unreachable registry is an HTTP error as dockerd
// answers; after that, failures are in-band stream errors.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '../../errors';
import { isDigest } from '../../api/digest';
import { parseConfig } from '../../graph/image/config';
import { isIndexMediaType } from '../../graph/media-types';
import { DEFAULT_DOMAIN, familiarName, familiarString, parseNormalizedNamed, type NamedRef } from '../../api/reference';
import { readBounded, RegistryClient, registryAuthOf } from '../../registry/client';
import { parsePlatform } from '../../registry/platform';
import { Transfers } from '../../registry/layer-pull';
import { resolvePull, runPull, type PullDeps } from '../../registry/pull';
import { checkPushable, pushTag, pushTags, type PushDeps } from '../../registry/push';
import type { RegistryAuth } from '../../registry/types';
import type { DaemonContext } from '../context';
import { str, type Query } from '../query';
import { imageLock } from '../../engine/lock-keys';
import { progressStream } from '../streams';

/** GET /distribution/{name}/json's answer. */
interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  Platforms: Array<{ os: string; architecture: string; variant?: string }>;
}

/** One client per daemon (its token cache), made with the configuration's registries, and the blob transfers running. */
const clients = new WeakMap<DaemonContext, { client: RegistryClient; transfers: Transfers }>();

function pullDeps(ctx: DaemonContext): PullDeps & PushDeps {
  let shared = clients.get(ctx);
  if (!shared) {
    const client = new RegistryClient({
      get insecureRegistries() {
        return ctx.config.insecureRegistries;
      },
      get mirrors() {
        return ctx.config.registryMirrors;
      },
      get certsDir() {
        return ctx.config.registryCertsDir;
      },
    });
    shared = { client, transfers: new Transfers() };
    clients.set(ctx, shared);
  }
  return { ...shared, graph: ctx.graph, maxConcurrentDownloads: ctx.config.maxConcurrentDownloads, maxConcurrentUploads: ctx.config.maxConcurrentUploads };
}

/** `fromImage` and `tag` as dockerd combines them: the tag may be a digest; neither means every tag. */
function pullReference(image: string, tag: string | undefined): NamedRef {
  const ref = parseNormalizedNamed(image);
  if (tag === undefined || tag === '') return ref;
  const named = { name: ref.name, domain: ref.domain, path: ref.path };
  if (isDigest(tag)) return { ...named, digest: tag };
  if (tag.startsWith('sha256:')) throw new InvalidArgumentError('invalid checksum digest format');
  if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new InvalidArgumentError('invalid tag format');
  return { ...named, tag };
}

function authOf(req: FastifyRequest): RegistryAuth | undefined {
  return registryAuthOf(req.headers['x-registry-auth']);
}

/** POST /images/create?fromImage=…[&tag=…][&platform=…] */
export async function pullRoute(ctx: DaemonContext, req: FastifyRequest, reply: FastifyReply, image: string): Promise<void> {
  const q = req.query as Query;
  const ref = pullReference(image, str(q, 'tag'));
  const platform = parsePlatform(str(q, 'platform'));
  const auth = authOf(req);
  const deps = pullDeps(ctx);
  const allTags = ref.tag === undefined && ref.digest === undefined;
  const tags = allTags ? await deps.client.tags(ref, auth) : [undefined];
  const refs = tags.map((tag) => (tag === undefined ? ref : { ...ref, tag }));
  // The first image is resolved before the stream starts: its errors get their HTTP status.
  const first = await resolvePull(deps.client, refs[0]!, platform, auth);
  // A client gone before the end (Ctrl-C) stops the pull, as dockerd's does; its transfers keep what they verified.
  const gone = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) gone.abort(new UnavailableError('the client went away'));
  });
  await progressStream(reply, async (emit) => {
    for (const [i, one] of refs.entries()) {
      const plan = i === 0 ? first : await resolvePull(deps.client, one, platform, auth);
      await ctx.jobs.run({ name: 'image.pull', object: familiarString(one), locks: [imageLock(familiarName(one))] }, async (job) => {
        await runPull(deps, plan, auth, emit, gone.signal);
        job.emit({ Type: 'image', Action: 'pull', Actor: { ID: familiarString(one), Attributes: { name: familiarString(one) } } });
      });
    }
    if (allTags) emit({ status: `Status: Downloaded newer image for ${familiarName(ref)}` });
  });
}

/** POST /images/{name}/push[?tag=…]: no tag pushes every tag of the repository. */
export async function pushRoute(ctx: DaemonContext, req: FastifyRequest, reply: FastifyReply, name: string): Promise<void> {
  const repo = parseNormalizedNamed(name);
  checkPushable(repo);
  const deps = pullDeps(ctx);
  const tag = str(req.query as Query, 'tag') || repo.tag;
  const auth = authOf(req);
  await progressStream(reply, async (emit) => {
    emit({ status: `The push refers to repository [${repo.name}]` });
    // dockerd says a tag is missing in the stream, after the line above.
    const tags = pushTags(deps.graph, repo, tag);
    for (const tag of tags) {
      const ref = { name: repo.name, domain: repo.domain, path: repo.path, tag };
      await ctx.jobs.run({ name: 'image.push', object: familiarString(ref), locks: [imageLock(familiarName(ref))] }, async (job) => {
        await pushTag(deps, repo, tag, auth, emit);
        job.emit({ Type: 'image', Action: 'push', Actor: { ID: familiarString(ref), Attributes: { name: familiarString(ref) } } });
      });
    }
  });
}

/** The registry an AuthConfig's serveraddress names: Docker Hub's v1 index URL is docker.io. */
function loginDomain(serverAddress: string): string {
  const host = serverAddress.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return host === '' || host === 'index.docker.io' || host === 'registry-1.docker.io' ? DEFAULT_DOMAIN : host;
}

export function distributionRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  app.post('/auth', async (req) => {
    const body = (req.body ?? {}) as { username?: unknown; password?: unknown; serveraddress?: unknown };
    const username = typeof body.username === 'string' ? body.username : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const server = typeof body.serveraddress === 'string' ? body.serveraddress : '';
    await pullDeps(ctx).client.login(loginDomain(server), { username, password });
    return { Status: 'Login Succeeded', IdentityToken: '' };
  });

  app.get('/distribution/*', async (req): Promise<DistributionInspect> => {
    const wildcard = (req.params as { '*': string })['*'];
    if (!wildcard.endsWith('/json')) throw new NotFoundError('page not found');
    const parsed = parseNormalizedNamed(wildcard.slice(0, -'/json'.length));
    const ref = parsed.tag === undefined && parsed.digest === undefined ? { ...parsed, tag: 'latest' } : parsed;
    const { client } = pullDeps(ctx);
    const auth = authOf(req);
    const top = await client.manifest(ref, ref.digest ?? ref.tag ?? 'latest', auth);
    const descriptor = { mediaType: top.desc.mediaType, digest: top.desc.digest, size: top.desc.size };
    if (isIndexMediaType(top.desc.mediaType)) {
      const entries = (JSON.parse(top.bytes.toString()) as { manifests?: Array<{ platform?: { os?: string; architecture?: string; variant?: string } }> }).manifests ?? [];
      const platforms = entries.flatMap((e) => (e.platform?.os && e.platform.architecture ? [{ os: e.platform.os, architecture: e.platform.architecture, ...(e.platform.variant ? { variant: e.platform.variant } : {}) }] : []));
      return { Descriptor: descriptor, Platforms: platforms };
    }
    const plan = await resolvePull(client, ref, parsePlatform(undefined), auth);
    const config = parseConfig(await readBounded(await client.fetch(ref, plan.config, auth ? { auth } : {}), 8 * 1024 * 1024, 'image config'));
    return { Descriptor: descriptor, Platforms: [{ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) }] };
  });
}
