// The network driver of the engine: the records (records.ts), the drivers by
// name (bridge, macvlan; host and null need no work), the predefined
// networks (bridge, host, none) and the default bridge's subnet (daemon.json
// bip / fixed-cidr / default-address-pools / mtu / bridge). The network jobs
// (src/engine/network-jobs.ts) call create/remove/connect/disconnect/prune;
// the container side calls its hooks (container-net.ts). Lifecycle: see
// types.ts; restore() runs first at daemon start.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { NetworkCreateBody, NetworkInspect } from '../api/networks';
import { nowRfc3339Nano } from '../api/time';
import type { Driver, EventInput, EventSink } from '../engine/drivers';
import { ConflictError, ForbiddenError, messageOf } from '../errors';
import type { TxDb } from '../state/tx';
import { BridgeDriver } from './bridge';
import type { EmbeddedDns } from './dns';
import type { Firewall, FirewallEndpoint, FirewallNetwork, PublishedPort } from './firewall';
import { BRIDGE_NAME_OPT, MTU_OPT, newNetworkRecord } from './create-spec';
import type { ContainerNetInfo } from './endpoints';
import { DEFAULT_BRIDGE } from './endpoints';
import { defaultBridgeName, hostVethName, userBridgeName } from './host-names';
import { formatAddr, parsePrefix } from './ip';
import { MacvlanDriver } from './macvlan';
import { chooseSubnet, DOCKER_DEFAULT_POOLS, ulaSubnet, withIpamLock, type AddressPool } from './pools';
import { NetworkStore, type DriverName, type NetworkRecord } from './records';
import type { NetworkDriver, NetworkSpec } from './types';
import { filterNetworks, networkContainer, networkInspect } from './views';

/** daemon.json's network keys (dockerd's meaning). */
export interface NetworkDaemonConfig {
  execRoot: string;
  /** `bridge`: the default bridge's Linux name. */
  bridge?: string;
  /** `bip`: the default bridge's gateway/prefix, e.g. 192.168.5.1/24. */
  bip?: string;
  /** `fixed-cidr`: the range the default bridge's containers get addresses from. */
  fixedCidr?: string;
  /** `default-address-pools`. */
  defaultAddressPools?: AddressPool[];
  /** `mtu` of the default bridge. */
  mtu?: number;
  /** `ip-masq` (default true): outbound traffic of bridges leaves with the host's address. */
  ipMasq?: boolean;
  /** `icc` (default true): containers of the default bridge may talk to each other. */
  icc?: boolean;
}

export interface NetworkServiceOptions {
  gdb: TxDb;
  log: Logger;
  config: NetworkDaemonConfig;
  /** The container a record names (undefined once removed). */
  container: (id: string) => ContainerNetInfo | undefined;
}

const PREDEFINED: ReadonlyArray<[string, DriverName]> = [
  [DEFAULT_BRIDGE, 'bridge'],
  ['host', 'host'],
  ['none', 'null'],
];

export function networkEvent(net: NetworkRecord, action: string, containerId?: string): EventInput {
  return { Type: 'network', Action: action, Actor: { ID: net.id, Attributes: { name: net.name, type: net.driver, ...(containerId ? { container: containerId } : {}) } } };
}

export class NetworkService implements Driver {
  readonly store: NetworkStore;
  readonly drivers: Partial<Record<DriverName, NetworkDriver>>;
  /** Set by the wiring unless daemon.json says `iptables: false`. */
  firewall: Firewall | undefined;
  /** The embedded DNS server of user networks (set by the wiring). */
  dns: EmbeddedDns | undefined;

  constructor(readonly opts: NetworkServiceOptions) {
    this.store = new NetworkStore(opts.gdb);
    this.drivers = { bridge: new BridgeDriver(opts.log), macvlan: new MacvlanDriver(opts.log) };
  }

  spec(net: NetworkRecord): NetworkSpec {
    const mtu = Number(net.options[MTU_OPT] ?? 0);
    return { id: net.id, name: net.name, options: net.options, pools: net.pools, internal: net.internal, enableIPv6: net.enableIPv6, ifname: net.ifname, mtu };
  }

  fwNetwork(net: NetworkRecord): FirewallNetwork {
    const o = net.options;
    return {
      id: net.id,
      bridge: net.ifname,
      subnets: net.pools.map((p) => p.subnet),
      internal: net.internal,
      masquerade: o['com.docker.network.bridge.enable_ip_masquerade'] !== 'false' && this.opts.config.ipMasq !== false,
      icc: o['com.docker.network.bridge.enable_icc'] !== 'false' && (!net.predefined || this.opts.config.icc !== false),
    };
  }

  fwEndpoint(net: NetworkRecord, ep: { id: string; ipv4: string; ipv6: string }): FirewallEndpoint {
    return { endpointId: ep.id, networkId: net.id, bridge: net.ifname, hostIfname: hostVethName(ep.id), ...(ep.ipv4 ? { ipv4: ep.ipv4 } : {}), ...(ep.ipv6 ? { ipv6: ep.ipv6 } : {}) };
  }

  // ---- queries ---------------------------------------------------------------

  inUse(id: string): boolean {
    return this.store.endpoints({ networkId: id }).length > 0;
  }

  list(filters: Record<string, string[]>): NetworkInspect[] {
    return filterNetworks(this.store.all(), filters, (id) => this.inUse(id)).map((n) => networkInspect(n, {}));
  }

  inspect(ref: string): NetworkInspect {
    const net = this.store.resolve(ref);
    const containers: NetworkInspect['Containers'] = {};
    for (const ep of this.store.endpoints({ networkId: net.id })) {
      // As dockerd: only containers that run have an endpoint to show.
      const c = this.opts.container(ep.containerId);
      if (c?.running) containers[c.id] = networkContainer(net, ep, c.name.slice(1));
    }
    return networkInspect(net, containers);
  }

  // ---- create, remove, prune ------------------------------------------------

  /** The record first, then the link (under the host-wide IPAM lock); a failed link takes the record back. */
  async create(sink: EventSink, body: NetworkCreateBody): Promise<{ Id: string; Warning: string }> {
    const rec = newNetworkRecord(body, this.store.all());
    await withIpamLock(async () => {
      const taken = this.store.all().flatMap((n) => n.pools.map((p) => parsePrefix(p.subnet)));
      if (!rec.pools.some((p) => !p.subnet.includes(':'))) rec.pools.unshift(chooseSubnet(this.opts.config.defaultAddressPools ?? DOCKER_DEFAULT_POOLS, taken));
      if (rec.enableIPv6 && !rec.pools.some((p) => p.subnet.includes(':'))) rec.pools.push(ulaSubnet(taken));
      if (rec.driver === 'bridge' && rec.ifname === '') rec.ifname = userBridgeName(rec.id);
      this.store.gdb.update((tx) => this.store.insert(tx, rec));
      try {
        if (rec.enableIPv6) enableForwarding(6);
        await this.drivers[rec.driver]!.createNetwork(this.spec(rec));
        if (rec.driver === 'bridge') this.firewall?.addNetwork(this.fwNetwork(rec));
      } catch (err) {
        this.store.gdb.update((tx) => this.store.delete(tx, rec.id));
        throw err;
      }
    });
    sink.emit(networkEvent(rec, 'create'));
    return { Id: rec.id, Warning: '' };
  }

  async remove(sink: EventSink, ref: string): Promise<void> {
    const net = this.store.resolve(ref);
    if (net.predefined) throw new ForbiddenError(`${net.name} is a pre-defined network and cannot be removed`);
    if (this.inUse(net.id)) throw new ConflictError(`error while removing network: network ${net.name} id ${net.id} has active endpoints`);
    if (net.driver === 'bridge') this.firewall?.removeNetwork(net.id);
    await this.drivers[net.driver]?.deleteNetwork(net.id, this.spec(net));
    this.store.gdb.update((tx) => this.store.delete(tx, net.id));
    sink.emit(networkEvent(net, 'destroy'));
  }

  /** Removes every user network without endpoints (filters: label, until); the names removed. */
  async prune(sink: EventSink, filters: Record<string, string[]>): Promise<string[]> {
    const { until, label } = pruneFilters(filters);
    const removed: string[] = [];
    for (const net of this.store.all()) {
      if (net.predefined || this.inUse(net.id)) continue;
      if (until !== undefined && Date.parse(net.created) >= until) continue;
      if (!label(net.labels)) continue;
      try {
        await this.remove(sink, net.id);
        removed.push(net.name);
      } catch (err) {
        this.opts.log.warn({ network: net.name, err: messageOf(err) }, 'prune: network not removed');
      }
    }
    return removed;
  }

  // ---- daemon start ------------------------------------------------------------

  /** The predefined networks' records, the default bridge up with its subnet, forwarding on. */
  async init(): Promise<void> {
    for (const [name, driver] of PREDEFINED) {
      if (this.store.all().some((n) => n.name === name)) continue;
      const rec: NetworkRecord = {
        id: randomBytes(32).toString('hex'), name, driver, created: nowRfc3339Nano(), enableIPv6: false, internal: false, attachable: false,
        ipamOptions: null, pools: [], auxAddresses: {}, options: {}, labels: {}, ifname: '', predefined: true,
      };
      this.store.gdb.update((tx) => this.store.insert(tx, rec));
    }
    enableForwarding(4);
    await withIpamLock(async () => {
      const bridge = this.defaultBridgeRecord();
      this.store.save(bridge);
      await this.drivers.bridge!.createNetwork(this.spec(bridge));
    });
  }

  /** The default bridge as daemon.json asks now (its subnet kept across restarts unless `bip` changes it). */
  private defaultBridgeRecord(): NetworkRecord {
    const cfg = this.opts.config;
    const rec = this.store.all().find((n) => n.name === DEFAULT_BRIDGE)!;
    const ifname = cfg.bridge || defaultBridgeName(cfg.execRoot);
    const mtu = String(cfg.mtu ?? 1500);
    if (cfg.bip) {
      const p = parsePrefix(cfg.bip);
      const gateway = cfg.bip.split('/')[0]!;
      rec.pools = [{ subnet: `${formatAddr(p.family, p.base)}/${p.bits}`, gateway, ...(cfg.fixedCidr ? { ipRange: cfg.fixedCidr } : {}) }];
    } else if (rec.pools.length === 0) {
      const taken = this.store.all().flatMap((n) => n.pools.map((pool) => parsePrefix(pool.subnet)));
      rec.pools = [{ ...chooseSubnet(cfg.defaultAddressPools ?? DOCKER_DEFAULT_POOLS, taken), ...(cfg.fixedCidr ? { ipRange: cfg.fixedCidr } : {}) }];
    }
    rec.ifname = ifname;
    rec.options = {
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
      'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
      [BRIDGE_NAME_OPT]: ifname,
      [MTU_OPT]: mtu,
    };
    return rec;
  }

  /** Predefined networks and bridges back; endpoints of containers no longer running detached, of removed ones released. */
  async restore(): Promise<void> {
    await this.init();
    const nets = this.store.all();
    for (const driverName of ['bridge', 'macvlan'] as const) {
      const mine = nets.filter((n) => n.driver === driverName);
      const endpoints = this.store.endpoints().flatMap((ep) => {
        const net = mine.find((n) => n.id === ep.networkId);
        const c = this.opts.container(ep.containerId);
        if (!net || !c) return [];
        const running = c.running && ep.ifname !== '';
        return [{ networkId: net.id, running, endpoint: { endpointId: ep.id, containerId: c.id, netns: `/proc/${c.pid}/ns/net`, addresses: [], macAddress: ep.mac, dnsNames: ep.dnsNames, ports: [], ifname: ep.ifname } }];
      });
      await this.drivers[driverName]!.restore(mine.filter((n) => !n.predefined || n.name === DEFAULT_BRIDGE).map((n) => this.spec(n)), endpoints);
    }
    const published: Array<{ ep: FirewallEndpoint; ports: PublishedPort[] }> = [];
    for (const ep of this.store.endpoints()) {
      const c = this.opts.container(ep.containerId);
      const net = nets.find((n) => n.id === ep.networkId);
      if (!c) this.store.gdb.update((tx) => this.store.deleteEndpoint(tx, ep));
      else if (!c.running && ep.ifname !== '') this.store.saveEndpoint({ ...ep, ifname: '', published: [] });
      else if (c.running && net && (ep.published ?? []).length > 0) published.push({ ep: this.fwEndpoint(net, ep), ports: ep.published! });
    }
    this.firewall?.restore(nets.filter((n) => n.driver === 'bridge' && n.ifname !== '').map((n) => this.fwNetwork(n)), published);
    await this.restoreDns(nets);
  }

  /** Running containers on user networks get their 127.0.0.11 back: the old process's sockets died with it. */
  private async restoreDns(nets: readonly NetworkRecord[]): Promise<void> {
    if (!this.dns) return;
    const user = new Set(nets.filter((n) => !n.predefined && (n.driver === 'bridge' || n.driver === 'macvlan')).map((n) => n.id));
    for (const id of new Set(this.store.endpoints().filter((ep) => user.has(ep.networkId)).map((ep) => ep.containerId))) {
      const c = this.opts.container(id);
      if (!c?.running || c.pid <= 0) continue;
      await this.dns.attach(id, `/proc/${c.pid}/ns/net`).catch((err: unknown) => this.opts.log.warn({ container: id, err: messageOf(err) }, 'embedded DNS not restored'));
    }
  }

  /** Ports are let go, rules and links stay (live-restore: containers keep serving while the daemon is away). */
  /** Resolves once the veth deletions started (stops, disconnects) are done. */
  settled(): Promise<void> {
    return (this.drivers.bridge as BridgeDriver).settled();
  }

  async close(): Promise<void> {
    await this.settled();
    this.dns?.close();
    this.firewall?.close();
  }
}

function enableForwarding(family: 4 | 6): void {
  const path = family === 4 ? '/proc/sys/net/ipv4/ip_forward' : '/proc/sys/net/ipv6/conf/all/forwarding';
  writeFileSync(path, '1');
}

function pruneFilters(filters: Record<string, string[]>): { until: number | undefined; label: (labels: Record<string, string>) => boolean } {
  let until: number | undefined;
  for (const v of filters['until'] ?? []) {
    const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
    if (Number.isNaN(n)) throw new ForbiddenError(`invalid filter 'until=${v}'`);
    until = n;
  }
  const wanted = filters['label'] ?? [];
  const unwanted = filters['label!'] ?? [];
  const has = (labels: Record<string, string>, l: string) => {
    const eq = l.indexOf('=');
    return eq < 0 ? l in labels : labels[l.slice(0, eq)] === l.slice(eq + 1);
  };
  return { until, label: (labels) => wanted.every((l) => has(labels, l)) && !unwanted.some((l) => has(labels, l)) };
}
