// Builds the Fastify application that serves the Docker Engine API. The same
// application answers on every listener (Unix socket, TCP): listeners hand
// their requests to `app.routing`.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { API_VERSION, DEFAULT_API_VERSION, ENGINE_VERSION } from '../api/version';
import type { DaemonContext } from './context';
import { errorHandler } from './http-errors';
import { systemRoutes } from './routes/system';
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
  app.addHook('onRequest', async (req) => {
    const version = requestedVersion.get(req.raw);
    if (version === undefined) return;
    checkVersion(version);
    req.apiVersion = version;
  });
  app.addHook('onSend', async (_req, reply) => {
    reply.header('Api-Version', API_VERSION);
    reply.header('Docker-Experimental', String(ctx.config.experimental));
    reply.header('Ostype', 'linux');
    reply.header('Server', `Docker/${ENGINE_VERSION} (linux)`);
  });
  app.addHook('onResponse', async (req, reply) => {
    req.log.debug({ method: req.method, url: req.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
  });

  // JSON bodies may be empty (clients send Content-Type on body-less POSTs);
  // every other body (tar archives, stdin) reaches the route as a raw stream.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      const e = err as Error & { statusCode?: number };
      e.statusCode = 400;
      e.message = `invalid JSON: ${e.message}`;
      done(e, undefined);
    }
  });
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).type('application/json').send({ message: 'page not found' });
  });

  systemRoutes(app, ctx);

  await app.ready();
  return app;
}
