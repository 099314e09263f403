// The network side of a container's life, as the container driver sees it
// (src/container/ calls these through ContainerNetworking):
//   create   plan(): the endpoints of its NetworkMode and EndpointsConfig, with
//            their leases, in the create's transaction
//   start    attach(): the `network` step, after `task` (the netns exists)
//   stop     detach(): that step's undo (exit, stop, failed start, restore)
//   remove   release(): endpoints and leases go, in the removal's transaction
// and connect/disconnect of a created or running container (network jobs).
import type { NetworkSettings } from '../api/containers';
import type { EndpointConfigBody } from '../api/networks';
import type { EventInput, EventSink } from '../engine/drivers';
import { ForbiddenError, InvalidArgumentError, messageOf, NotFoundError, TsdError } from '../errors';
import type { Tx } from '../state/tx';
import { createEndpoint, endpointCidrs, networkSettings, primaryNetworkName, type ContainerNetInfo } from './endpoints';
import type { PublishedPort } from './firewall';
import type { EndpointRecord, NetworkRecord } from './records';
import { networkEvent, type NetworkService } from './service';
import type { PortBinding } from './types';

export interface ContainerNetworking {
  plan(tx: Tx, c: ContainerNetInfo, endpointsConfig: Record<string, unknown> | null | undefined): void;
  /** Every endpoint into the netns of pid; `ports` published through the first bridge endpoint. */
  attach(c: ContainerNetInfo, pid: number, ports: PortBinding[]): Promise<void>;
  detach(containerId: string): Promise<void>;
  release(tx: Tx, containerId: string): void;
  settings(c: ContainerNetInfo, ports: NetworkSettings['Ports']): NetworkSettings;
  /** The container's IPv4/IPv6 addresses on `network` (all networks when absent), for /etc/hosts and links. */
  addresses(containerId: string, network?: string): string[];
  /** What --add-host host-gateway stands for: the default bridge's gateway. */
  hostGateway(): string[];
  /** The ports published for the container while it runs. */
  published(containerId: string): PublishedPort[];
  /** A container renamed: its DNS name on user networks follows (dockerd's rename updates the endpoints' names). */
  renamed(containerId: string, oldName: string, newName: string): void;
  /** `network connect`/`disconnect` of each of the container's networks, as dockerd publishes them at start and exit. */
  events(containerId: string, action: 'connect' | 'disconnect'): EventInput[];
  /** Whether one of the container's networks is user-defined (resolv.conf then names the embedded DNS server). */
  onUserNetwork(containerId: string): boolean;
}

const hasAttach = (driver: string): boolean => driver === 'bridge' || driver === 'macvlan';

export class ContainerNetworks implements ContainerNetworking {
  constructor(private readonly svc: NetworkService) {}

  private get store() {
    return this.svc.store;
  }

  plan(tx: Tx, c: ContainerNetInfo, endpointsConfig: Record<string, unknown> | null | undefined): void {
    const configs = (endpointsConfig ?? {}) as Record<string, EndpointConfigBody | null>;
    const primaryName = primaryNetworkName(c.networkMode);
    const entries: Array<[NetworkRecord, EndpointConfigBody]> = [];
    if (primaryName !== undefined) {
      const primary = this.store.resolve(primaryName);
      const key = Object.keys(configs).find((k) => k === c.networkMode || k === primaryName || k === primary.name || k === primary.id);
      entries.push([primary, configs[key ?? ''] ?? {}]);
    }
    for (const [key, cfg] of Object.entries(configs)) {
      if (primaryName !== undefined && (key === c.networkMode || key === primaryName || entries.some(([n]) => n.name === key || n.id === key))) continue;
      const net = this.store.resolve(key);
      if (entries.some(([n]) => n.id === net.id)) continue;
      entries.push([net, cfg ?? {}]);
    }
    const special = entries.find(([n]) => n.driver === 'host' || n.driver === 'null');
    if (special && entries.length > 1) throw new InvalidArgumentError(`conflicting options: a container on the ${special[0].name} network cannot be on other networks`);
    if (primaryName === undefined && entries.length > 0) throw new InvalidArgumentError('conflicting options: a container sharing the network namespace of another (container:…) cannot be on networks');
    for (const [net, cfg] of entries) createEndpoint(tx, this.store, net, c, cfg);
  }

  private endpointsOf(containerId: string): Array<{ net: NetworkRecord; ep: EndpointRecord }> {
    return this.store.endpoints({ containerId }).flatMap((ep) => {
      const net = this.store.get(ep.networkId);
      return net ? [{ net, ep }] : [];
    });
  }

  /** One endpoint into the running container's netns as the next free eth<N>. */
  private async attachOne(c: ContainerNetInfo, pid: number, net: NetworkRecord, ep: EndpointRecord, taken: Set<string>): Promise<void> {
    if (!hasAttach(net.driver)) return;
    let n = 0;
    while (taken.has(`eth${n}`)) n++;
    const ifname = `eth${n}`;
    await this.svc.drivers[net.driver]!.attach(this.svc.spec(net), {
      endpointId: ep.id,
      containerId: c.id,
      netns: `/proc/${pid}/ns/net`,
      addresses: endpointCidrs(net, ep),
      macAddress: ep.mac,
      dnsNames: ep.dnsNames,
      ports: [],
      ifname,
    });
    taken.add(ifname);
    ep.ifname = ifname;
    this.store.saveEndpoint(ep);
  }

  /** The ports into the firewall (dockerd's wording around a refusal); recorded on the endpoint for inspect and restore. */
  private publish(c: ContainerNetInfo, net: NetworkRecord, ep: EndpointRecord, ports: PortBinding[]): void {
    const fw = this.svc.firewall;
    if (!fw || ports.length === 0) return;
    try {
      ep.published = fw.publish(this.svc.fwEndpoint(net, ep), ports);
    } catch (err) {
      const message = `driver failed programming external connectivity on endpoint ${c.name.slice(1)} (${ep.id}): ${messageOf(err)}`;
      // dockerd answers this with a 500 (a plain error in libnetwork), whatever the cause.
      throw new TsdError(message, { cause: err });
    }
    this.store.saveEndpoint(ep);
  }

  async attach(c: ContainerNetInfo, pid: number, ports: PortBinding[]): Promise<void> {
    const taken = new Set<string>();
    const eps = this.endpointsOf(c.id);
    for (const { net, ep } of eps) await this.attachOne(c, pid, net, ep, taken);
    const first = eps.find(({ net }) => net.driver === 'bridge');
    if (first) this.publish(c, first.net, first.ep, ports);
    if (this.svc.dns && this.onUserNetwork(c.id)) await this.svc.dns.attach(c.id, `/proc/${pid}/ns/net`);
  }

  private async detachOne(net: NetworkRecord, ep: EndpointRecord): Promise<void> {
    if ((ep.published ?? []).length > 0) this.svc.firewall?.unpublish(ep.id);
    if (hasAttach(net.driver)) await this.svc.drivers[net.driver]!.detach(this.svc.spec(net), ep.id);
    if (ep.ifname !== '' || (ep.published ?? []).length > 0) this.store.saveEndpoint({ ...ep, ifname: '', published: [] });
  }

  async detach(containerId: string): Promise<void> {
    this.svc.dns?.detach(containerId);
    for (const { net, ep } of this.endpointsOf(containerId).reverse()) {
      try {
        await this.detachOne(net, ep);
      } catch (err) {
        this.svc.opts.log.warn({ id: containerId, network: net.name, err: messageOf(err) }, 'network detach failed');
      }
    }
  }

  release(tx: Tx, containerId: string): void {
    for (const ep of this.store.endpoints({ containerId })) this.store.deleteEndpoint(tx, ep);
  }

  settings(c: ContainerNetInfo, ports: NetworkSettings['Ports']): NetworkSettings {
    return networkSettings(c, this.endpointsOf(c.id), ports);
  }

  addresses(containerId: string, network?: string): string[] {
    return this.endpointsOf(containerId)
      .filter(({ net }) => network === undefined || net.name === network)
      .flatMap(({ ep }) => [ep.ipv4, ep.ipv6].filter((a) => a !== ''));
  }

  hostGateway(): string[] {
    const bridge = this.store.all().find((n) => n.predefined && n.driver === 'bridge');
    return (bridge?.pools ?? []).map((p) => p.gateway).filter((g) => g !== '');
  }

  published(containerId: string): PublishedPort[] {
    return this.store.endpoints({ containerId }).flatMap((ep) => ep.published ?? []);
  }

  renamed(containerId: string, oldName: string, newName: string): void {
    for (const ep of this.store.endpoints({ containerId })) {
      if (ep.dnsNames[0] !== oldName.slice(1)) continue;
      this.store.saveEndpoint({ ...ep, dnsNames: [newName.slice(1), ...ep.dnsNames.slice(1)] });
    }
  }

  events(containerId: string, action: 'connect' | 'disconnect'): EventInput[] {
    return this.endpointsOf(containerId).map(({ net }) => networkEvent(net, action, containerId));
  }

  onUserNetwork(containerId: string): boolean {
    return this.endpointsOf(containerId).some(({ net }) => hasAttach(net.driver) && !net.predefined);
  }

  // ---- connect, disconnect (network jobs) -----------------------------------

  /** POST /networks/{id}/connect: a running container gets the interface at once. */
  async connect(sink: EventSink, netRef: string, c: ContainerNetInfo, cfg: EndpointConfigBody): Promise<void> {
    const net = this.store.resolve(netRef);
    if (c.networkMode.startsWith('container:')) throw new ForbiddenError('container sharing network namespace with another container or host cannot be connected to any other network');
    const current = this.endpointsOf(c.id);
    if (current.some(({ net: n }) => n.driver === 'host' || n.driver === 'null') || net.driver === 'host' || net.driver === 'null') {
      throw new ForbiddenError('container cannot be disconnected from host network or connected to host network');
    }
    if (current.some(({ net: n }) => n.id === net.id)) throw new ForbiddenError(`endpoint with name ${c.name.slice(1)} already exists in network ${net.name}`);
    const ep = this.store.gdb.update((tx) => createEndpoint(tx, this.store, net, c, cfg));
    if (c.running && c.pid > 0) {
      try {
        await this.attachOne(c, c.pid, net, ep, new Set(current.map(({ ep: e }) => e.ifname).filter((n) => n !== '')));
        if (this.svc.dns && this.onUserNetwork(c.id)) await this.svc.dns.attach(c.id, `/proc/${c.pid}/ns/net`);
      } catch (err) {
        await this.detachOne(net, ep).catch(() => undefined);
        this.store.gdb.update((tx) => this.store.deleteEndpoint(tx, ep));
        throw err;
      }
    }
    sink.emit(networkEvent(net, 'connect', c.id));
  }

  /** POST /networks/{id}/disconnect. */
  async disconnect(sink: EventSink, netRef: string, c: ContainerNetInfo | undefined, containerRef: string, force: boolean): Promise<void> {
    const net = this.store.resolve(netRef);
    if (!c) {
      if (!force) throw new NotFoundError(`No such container: ${containerRef}`);
      return;
    }
    if (net.driver === 'host' || net.driver === 'null') throw new ForbiddenError('container cannot be disconnected from host network or connected to host network');
    const ep = this.store.endpoint(net.id, c.id);
    if (!ep) throw new ForbiddenError(`container ${c.id} is not connected to network ${net.name}`);
    if (c.running) {
      await this.detachOne(net, ep);
      await this.svc.settled();
    }
    this.store.gdb.update((tx) => this.store.deleteEndpoint(tx, ep));
    sink.emit(networkEvent(net, 'disconnect', c.id));
  }
}
