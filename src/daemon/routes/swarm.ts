// What a dockerd outside any swarm answers, and with no plugin installed:
// clients (the docker CLI, compose, SDKs) read these answers to learn that
// there is no swarm and no plugin, so tsdockerd gives the same ones.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError, NotImplementedError, UnavailableError } from '../../errors';

/** moby's errNoSwarm and errNoManager (daemon/cluster/errors.go). */
export const NOT_IN_SWARM = 'This node is not part of a swarm';
export const NOT_A_MANAGER =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

const MANAGER_ONLY = ['/nodes', '/services', '/tasks', '/secrets', '/configs'];

/** Plugin actions that name an installed plugin (the others install one). */
const PLUGIN_ACTIONS = new Set(['json', 'enable', 'disable', 'push', 'set', 'upgrade']);

export function swarmRoutes(app: FastifyInstance): void {
  const notManager = async (): Promise<never> => {
    throw new UnavailableError(NOT_A_MANAGER);
  };
  app.get('/swarm', notManager);
  app.post('/swarm/update', notManager);
  app.get('/swarm/unlockkey', notManager);
  app.post('/swarm/unlock', notManager);
  app.post('/swarm/leave', async () => {
    throw new UnavailableError(NOT_IN_SWARM);
  });
  const noSwarmMode = async (): Promise<never> => {
    throw new NotImplementedError('swarm mode is not supported by tsdocker');
  };
  app.post('/swarm/init', noSwarmMode);
  app.post('/swarm/join', noSwarmMode);
  for (const resource of MANAGER_ONLY) {
    app.all(resource, notManager);
    app.all(`${resource}/*`, notManager);
  }

  app.get('/plugins', async () => []);
  app.all('/plugins/*', async (req: FastifyRequest) => {
    const path = (req.params as { '*': string })['*'];
    const slash = path.lastIndexOf('/');
    const [name, action] = slash < 0 ? [path, ''] : [path.slice(0, slash), path.slice(slash + 1)];
    if ((req.method === 'DELETE' && action === '') || PLUGIN_ACTIONS.has(action)) throw new NotFoundError(`plugin "${name}" not found`);
    throw new NotImplementedError('managed plugins (docker plugin install) are not supported by tsdocker: they need a plugin registry; volume plugins that serve a socket in /run/docker/plugins or a spec in /etc/docker/plugins work as they do with dockerd');
  });
}
