// System routes: /_ping, /version, /info, /system/df.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { API_VERSION } from '../../api/version';
import { systemDataUsage, systemInfo, systemVersion } from '../../engine/system';
import type { DaemonContext } from '../context';
import { shapeForVersion } from '../versioning';

export function systemRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const pingHeaders = (reply: FastifyReply) =>
    reply.headers({
      'Api-Version': API_VERSION,
      Ostype: 'linux',
      'Docker-Experimental': String(ctx.config.experimental),
      'Builder-Version': '1',
      Swarm: 'inactive',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
    });

  app.head('/_ping', async (_req, reply) => {
    pingHeaders(reply).header('Content-Length', '0').type('text/plain; charset=utf-8');
    return reply.send();
  });
  app.get('/_ping', async (_req, reply) => pingHeaders(reply).type('text/plain; charset=utf-8').send('OK'));

  app.get('/version', async (req) => shapeForVersion('SystemVersion', req.apiVersion, systemVersion(ctx)));
  app.get('/info', async (req) => shapeForVersion('SystemInfo', req.apiVersion, systemInfo(ctx)));
  app.get('/system/df', async () => systemDataUsage(ctx));
}
