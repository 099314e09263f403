// Builds the Fastify application that serves the Docker Engine API. The same
// application answers on every listener (Unix socket, TCP): listeners hand
// their requests to `app.routing`.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { API_VERSION, DEFAULT_API_VERSION, ENGINE_VERSION } from '../api/version';
import type { DaemonContext } from './context';
import { InvalidArgumentError } from '../errors';
import { errorHandler } from './http-errors';
import { archiveRoutes } from './routes/archive';
import { containerResourceRoutes } from './routes/container-resources';
import { containerRoutes } from './routes/containers';
import { eventRoutes } from './routes/events';
import { execRoutes } from './routes/exec';
import { imageRoutes } from './routes/images';
import { networkRoutes } from './routes/networks';
import { distributionRoutes } from './routes/distribution';
import { swarmRoutes } from './routes/swarm';
import { systemRoutes } from './routes/system';
import { volumeRoutes } from './routes/volumes';
import { attachSchemas, checkJsonDepth, lazyValidatorCompiler } from './schemas/validation';
import { checkVersion, splitVersion } from './versioning';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API version the client asked for (its /vX.Y prefix), or our newest. */
    apiVersion: string;
  }
}

const requestedVersion = new WeakMap<IncomingMessage, string>();

export async function buildApp(ctx: DaemonContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    // Requests are logged once, at debug level, by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    // Image names with '/' and ':' arrive inside paths.
    routerOptions: { maxParamLength: 1024 },
    bodyLimit: 64 * 1024 * 1024,
    rewriteUrl(req) {
      const { version, url } = splitVersion(req.url ?? '/');
      if (version !== undefined) requestedVersion.set(req, version);
      return url;
    },
  });

  app.decorateRequest('apiVersion', DEFAULT_API_VERSION);
  app.addHook('onRequest', async (req, reply) => {
    // A request line without an HTTP version (HTTP/0.9) gets Go's net/http answer, then the connection closes.
    if (req.raw.httpVersionMajor !== 1) {
      reply.hijack();
      req.raw.socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request');
      return;
    }
    // Set first, so streamed and hijacked answers carry them too.
    reply.header('Api-Version', API_VERSION);
    reply.header('Docker-Experimental', String(ctx.config.experimental));
    reply.header('Ostype', 'linux');
    reply.header('Server', `Docker/${ENGINE_VERSION} (linux)`);
    const version = requestedVersion.get(req.raw);
    if (version === undefined) return;
    checkVersion(version);
    req.apiVersion = version;
  });
  app.addHook('onResponse', async (req, reply) => {
    req.log.debug({ method: req.method, url: req.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
  });

  // Docker's clients decode a body as JSON only when the type is exactly
  // application/json (Fastify would add "; charset=utf-8").
  app.addHook('onSend', async (_req, reply, payload) => {
    if (String(reply.getHeader('content-type')).startsWith('application/json;')) reply.header('content-type', 'application/json');
    return payload;
  });

  addBodyParsers(app);

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).type('application/json').send({ message: 'page not found' });
  });

  // Every body and query is checked against the Engine API's schemas.
  app.setValidatorCompiler(lazyValidatorCompiler());
  app.addHook('onRoute', attachSchemas);

  // One plugin per resource.
  for (const routes of [systemRoutes, imageRoutes, containerRoutes, archiveRoutes, containerResourceRoutes, execRoutes, eventRoutes, swarmRoutes, distributionRoutes, networkRoutes, volumeRoutes]) {
    await app.register(async (scope) => routes(scope, ctx));
  }

  await app.ready();
  return app;
}

/**
 * JSON bodies may be empty (clients send Content-Type on body-less POSTs) and
 * are refused past Go's nesting depth before parsing; every other body (tar
 * archives, stdin; the docker CLI labels them text/plain) reaches the route as
 * a raw stream.
 */
function addBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      checkJsonDepth(text);
      done(null, JSON.parse(text));
    } catch (err) {
      if (err instanceof InvalidArgumentError) return done(err, undefined);
      const e = err as Error & { statusCode?: number };
      e.statusCode = 400;
      e.message = `invalid JSON: ${e.message}`;
      done(e, undefined);
    }
  });
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
}
