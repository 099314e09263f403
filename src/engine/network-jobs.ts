// The network jobs: create, remove, connect, disconnect and prune, each a
// named job holding the locks of the network (and container) it touches;
// their events (network create/destroy/connect/disconnect) leave through the
// job's context.
import type { EndpointConfigBody, NetworkConnectBody, NetworkCreateBody, NetworkDisconnectBody } from '../api/networks';
import type { ContainerService } from '../container/service';
import { netInfo } from '../container/networking';
import { InvalidArgumentError, NotFoundError } from '../errors';
import type { ContainerNetworks } from '../network/container-net';
import type { NetworkService } from '../network/service';
import type { JobEngine } from './jobs';
import { ALL_NETWORKS_LOCK, containerLock, networkLock, networkNameLock } from './lock-keys';

export class NetworkJobs {
  constructor(
    private readonly jobs: JobEngine,
    private readonly networks: NetworkService,
    private readonly endpoints: ContainerNetworks,
    private readonly containers: ContainerService,
  ) {}

  create(body: NetworkCreateBody): Promise<{ Id: string; Warning: string }> {
    const name = typeof body?.Name === 'string' ? body.Name : '';
    return this.jobs.run({ name: 'network.create', object: name, locks: [networkNameLock(name), ALL_NETWORKS_LOCK] }, async (ctx) => {
      const created = await this.networks.create(ctx, body);
      ctx.setObject(created.Id);
      return created;
    });
  }

  remove(ref: string): Promise<void> {
    const net = this.networks.store.resolve(ref);
    return this.jobs.run({ name: 'network.remove', object: net.id, locks: [networkLock(net.id), ALL_NETWORKS_LOCK] }, (ctx) => this.networks.remove(ctx, net.id));
  }

  private containerOf(ref: string | undefined) {
    if (typeof ref !== 'string' || ref === '') throw new InvalidArgumentError('container is required');
    return this.containers.store.resolve(ref);
  }

  connect(ref: string, body: NetworkConnectBody): Promise<void> {
    const net = this.networks.store.resolve(ref);
    const rec = this.containerOf(body?.Container);
    return this.jobs.run({ name: 'network.connect', object: net.id, locks: [networkLock(net.id), containerLock(rec.id)] }, (ctx) => {
      const now = this.containers.store.resolve(rec.id);
      return this.endpoints.connect(ctx, net.id, netInfo(now), (body.EndpointConfig ?? {}) as EndpointConfigBody);
    });
  }

  disconnect(ref: string, body: NetworkDisconnectBody): Promise<void> {
    const net = this.networks.store.resolve(ref);
    const containerRef = typeof body?.Container === 'string' ? body.Container : '';
    let rec = this.containers.store.find(containerRef);
    if (!rec && !body?.Force) throw new NotFoundError(`No such container: ${containerRef}`);
    const locks = [networkLock(net.id), ...(rec ? [containerLock(rec.id)] : [])];
    return this.jobs.run({ name: 'network.disconnect', object: net.id, locks }, (ctx) => {
      rec = rec ? this.containers.store.get(rec.id) : undefined;
      return this.endpoints.disconnect(ctx, net.id, rec ? netInfo(rec) : undefined, containerRef, body?.Force === true);
    });
  }

  prune(filters: Record<string, string[]>): Promise<{ NetworksDeleted: string[] | null }> {
    return this.jobs.run({ name: 'network.prune', locks: [ALL_NETWORKS_LOCK] }, async (ctx) => {
      const removed = await this.networks.prune(ctx, filters);
      ctx.emit({ Type: 'network', Action: 'prune', Actor: { ID: '', Attributes: { reclaimed: '0' } } });
      return { NetworksDeleted: removed.length > 0 ? removed : null };
    });
  }
}
