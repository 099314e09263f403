// The bridge driver: one Linux bridge per network (the default one named by
// host-names.ts, user networks br-<id12> or -o com.docker.network.bridge.name)
// holding the gateway addresses; one veth pair per endpoint, its host end on
// the bridge with hairpin on (no userland proxy: a container reaches its own
// published ports through the host), the other end straight into the
// container's netns as eth<N> with its addresses and default routes. All of it
// over netlink from the addon: no process, about a millisecond per endpoint.
import type { Logger } from 'pino';
import { messageOf } from '../errors';
import { netAttach, netBridge, netLinkDelete, netLinkDeleteAsync } from '../native';
import { hostVethName } from './host-names';
import type { EndpointInfo, EndpointSpec, NetworkDriver, NetworkSpec } from './types';

const prefixLen = (subnet: string): string => subnet.slice(subnet.indexOf('/'));

/** The gateways of the endpoint's families, unless the network is internal (no way out, no default route). */
export function gatewaysFor(network: NetworkSpec, addresses: readonly string[]): string[] {
  if (network.internal) return [];
  const families = new Set(addresses.map((a) => (a.includes(':') ? 6 : 4)));
  const out: string[] = [];
  for (const family of [4, 6] as const) {
    const pool = network.pools.find((p) => p.gateway !== '' && (p.subnet.includes(':') ? 6 : 4) === family);
    if (families.has(family) && pool) out.push(pool.gateway);
  }
  return out;
}

export class BridgeDriver implements NetworkDriver {
  readonly name = 'bridge';
  /**
   * Host veths being deleted, by name. A veth's deletion waits for RCU grace
   * periods (10-30 ms): it runs on the thread pool and a stop does not wait
   * for it; an attach of the same endpoint (a restart) and restore/close do.
   */
  private readonly deleting = new Map<string, Promise<void>>();

  constructor(private readonly log: Logger) {}

  private bridgeOf(network: NetworkSpec): string {
    if (!network.ifname) throw new Error(`network ${network.id} has no bridge name`);
    return network.ifname;
  }

  async createNetwork(spec: NetworkSpec): Promise<void> {
    const gateways = spec.pools.filter((p) => p.gateway !== '').map((p) => `${p.gateway}${prefixLen(p.subnet)}`);
    netBridge(this.bridgeOf(spec), spec.mtu ?? 0, gateways);
  }

  async deleteNetwork(id: string, spec?: NetworkSpec): Promise<void> {
    if (spec) netLinkDelete(this.bridgeOf(spec), null);
    else this.log.warn({ id }, 'bridge delete without its record');
  }

  async attach(network: NetworkSpec, ep: EndpointSpec): Promise<EndpointInfo> {
    const ifname = ep.ifname ?? 'eth0';
    await this.deleting.get(hostVethName(ep.endpointId));
    netAttach({
      kind: 'veth',
      netns: ep.netns,
      ifname,
      hostIfname: hostVethName(ep.endpointId),
      bridge: this.bridgeOf(network),
      parent: null,
      mac: ep.macAddress || null,
      mtu: network.mtu ?? 0,
      hairpin: true,
      addresses: ep.addresses,
      gateways: gatewaysFor(network, ep.addresses),
    });
    return { endpointId: ep.endpointId, ifname, gateway: gatewaysFor(network, ep.addresses)[0] ?? '' };
  }

  /** Deleting the host end takes the container's end with it; started here, finished off the caller's path. */
  async detach(_network: NetworkSpec, endpointId: string): Promise<void> {
    const name = hostVethName(endpointId);
    if (this.deleting.has(name)) return;
    const done = netLinkDeleteAsync(name, null).then(
      () => undefined,
      (err: unknown) => this.log.warn({ endpointId, err: messageOf(err) }, 'veth delete failed'),
    ).finally(() => this.deleting.delete(name));
    this.deleting.set(name, done);
  }

  /** Resolves once every started veth deletion is done. */
  async settled(): Promise<void> {
    await Promise.all([...this.deleting.values()]);
  }

  async restore(networks: readonly NetworkSpec[], endpoints: ReadonlyArray<{ networkId: string; endpoint: EndpointSpec; running: boolean }>): Promise<void> {
    for (const n of networks) {
      try {
        await this.createNetwork(n);
      } catch (err) {
        this.log.error({ network: n.name, err: messageOf(err) }, 'bridge restore failed');
      }
    }
    const byId = new Map(networks.map((n) => [n.id, n]));
    for (const e of endpoints) if (!e.running && byId.has(e.networkId)) await this.detach(byId.get(e.networkId)!, e.endpoint.endpointId);
    await this.settled();
  }
}
