// The macvlan driver, bridge mode: each endpoint is a macvlan of the
// network's parent interface (-o parent=), made straight in the container's
// netns with its addresses and default route; containers on one parent reach
// each other through it, and the outside through the parent's segment. The
// host itself cannot reach them through the parent (a macvlan property).
import { closeSync, existsSync, openSync } from 'node:fs';
import type { Logger } from 'pino';
import { InvalidArgumentError, messageOf } from '../errors';
import { netAttach, netLinkDelete } from '../native';
import { gatewaysFor } from './bridge';
import type { EndpointInfo, EndpointSpec, NetworkDriver, NetworkSpec } from './types';

/** Docker's macvlan options, checked at create: parent (required here: no dummy parents), macvlan_mode bridge. */
export function checkMacvlanOptions(options: Record<string, string>): string {
  const parent = options['parent'] ?? '';
  for (const key of Object.keys(options)) {
    if (!['parent', 'macvlan_mode', 'com.docker.network.driver.mtu'].includes(key)) throw new InvalidArgumentError(`option ${key} is not supported by the macvlan driver of tsdocker`);
  }
  if ((options['macvlan_mode'] ?? 'bridge') !== 'bridge') throw new InvalidArgumentError(`macvlan mode ${options['macvlan_mode']} is not supported by tsdocker: only bridge`);
  if (parent === '') throw new InvalidArgumentError('a macvlan network needs a parent interface (-o parent=<interface>): tsdocker makes no dummy parents');
  if (parent.includes('.')) throw new InvalidArgumentError(`-o parent=${parent}: VLAN sub-interfaces are not created by tsdocker; create it on the host first and name it without a dot`);
  if (!/^[A-Za-z0-9_-]{1,15}$/.test(parent) || !existsSync(`/sys/class/net/${parent}`)) throw new InvalidArgumentError(`-o parent interface was not found on the host: ${parent}`);
  return parent;
}

export class MacvlanDriver implements NetworkDriver {
  readonly name = 'macvlan';
  /**
   * Where each attached endpoint lives: its netns held open (a pid can be
   * reused, an fd cannot), so detach deletes the link in the right namespace
   * and then lets the namespace go.
   */
  private readonly placed = new Map<string, { fd: number; ifname: string }>();

  constructor(private readonly log: Logger) {}

  async createNetwork(spec: NetworkSpec): Promise<void> {
    checkMacvlanOptions(spec.options);
  }

  async deleteNetwork(): Promise<void> {}

  async attach(network: NetworkSpec, ep: EndpointSpec): Promise<EndpointInfo> {
    const ifname = ep.ifname ?? 'eth0';
    const gateways = gatewaysFor(network, ep.addresses);
    netAttach({ kind: 'macvlan', netns: ep.netns, ifname, hostIfname: null, bridge: null, parent: network.ifname ?? '', mac: ep.macAddress || null, mtu: network.mtu ?? 0, hairpin: false, addresses: ep.addresses, gateways });
    this.hold(ep.endpointId, ep.netns, ifname);
    return { endpointId: ep.endpointId, ifname, gateway: gateways[0] ?? '' };
  }

  /** The link dies with the container's netns; a running container's is deleted inside it. */
  async detach(_network: NetworkSpec, endpointId: string): Promise<void> {
    const at = this.placed.get(endpointId);
    this.placed.delete(endpointId);
    if (!at) return;
    try {
      netLinkDelete(at.ifname, `/proc/self/fd/${at.fd}`);
    } catch (err) {
      this.log.warn({ endpointId, err: messageOf(err) }, 'macvlan delete failed');
    } finally {
      closeSync(at.fd);
    }
  }

  private hold(endpointId: string, netns: string, ifname: string): void {
    try {
      this.placed.set(endpointId, { fd: openSync(netns, 'r'), ifname });
    } catch (err) {
      this.log.warn({ endpointId, err: messageOf(err) }, 'cannot hold the netns of a macvlan endpoint');
    }
  }

  async restore(_networks: readonly NetworkSpec[], endpoints: ReadonlyArray<{ networkId: string; endpoint: EndpointSpec; running: boolean }>): Promise<void> {
    for (const e of endpoints) if (e.running) this.hold(e.endpoint.endpointId, e.endpoint.netns, e.endpoint.ifname ?? 'eth0');
  }
}
