// A container's endpoints: which networks a create (or a connect) puts it on,
// checked as dockerd checks them, with their leases, in the caller's
// transaction; and what inspect shows of them.
import { randomBytes } from 'node:crypto';
import type { EndpointSettings, NetworkSettings } from '../api/containers';
import type { EndpointConfigBody } from '../api/networks';
import { InvalidArgumentError } from '../errors';
import type { Tx } from '../state/tx';
import { leaseAddress, macFor } from './ipam';
import type { EndpointRecord, NetworkRecord, NetworkStore } from './records';

/** What the network side needs of a container. */
export interface ContainerNetInfo {
  id: string;
  /** Docker's "/name". */
  name: string;
  networkMode: string;
  running: boolean;
  pid: number;
}

export const DEFAULT_BRIDGE = 'bridge';

/** The network a NetworkMode names: default/bridge → bridge; host, none; container:… → none of ours. */
export function primaryNetworkName(mode: string): string | undefined {
  if (mode === '' || mode === 'default') return DEFAULT_BRIDGE;
  if (mode.startsWith('container:')) return undefined;
  return mode;
}

const MAC_RE = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;

function checkEndpointConfig(net: NetworkRecord, cfg: EndpointConfigBody): void {
  const ipam = cfg.IPAMConfig ?? {};
  const userDefined = !net.predefined;
  if (!userDefined && net.name === DEFAULT_BRIDGE) {
    if (ipam.IPv4Address || ipam.IPv6Address) throw new InvalidArgumentError('user specified IP address is supported on user defined networks only');
    if ((cfg.Aliases ?? []).length > 0) throw new InvalidArgumentError('network-scoped alias is supported only for containers in user defined networks');
  }
  if (net.driver === 'host' || net.driver === 'null') {
    if (ipam.IPv4Address || ipam.IPv6Address || (cfg.Aliases ?? []).length > 0 || cfg.MacAddress) {
      throw new InvalidArgumentError(`conflicting options: addresses, aliases and MAC addresses need a network of the container's own (not ${net.name})`);
    }
  }
  if (ipam.IPv6Address && !net.enableIPv6) throw new InvalidArgumentError(`network ${net.name} has no IPv6: --ip6 needs a network created with --ipv6`);
  if ((ipam.LinkLocalIPs ?? []).length > 0) throw new InvalidArgumentError('link-local addresses (--link-local-ip) are not supported by tsdocker');
  if (cfg.MacAddress && !MAC_RE.test(cfg.MacAddress)) throw new InvalidArgumentError(`invalid MAC address: ${cfg.MacAddress}`);
  if (Object.keys(cfg.DriverOpts ?? {}).length > 0) throw new InvalidArgumentError('endpoint driver options (--driver-opt) are not supported by tsdocker');
  if ((cfg.Links ?? []).length > 0 && net.name !== DEFAULT_BRIDGE) throw new InvalidArgumentError('links on user-defined networks are not supported by tsdocker yet: use the container name or an alias');
}

/** A new endpoint of container `c` on `net`, its addresses leased, in tx. */
export function createEndpoint(tx: Tx, store: NetworkStore, net: NetworkRecord, c: Pick<ContainerNetInfo, 'id' | 'name'>, cfg: EndpointConfigBody): EndpointRecord {
  checkEndpointConfig(net, cfg);
  const id = randomBytes(32).toString('hex');
  const ipam = cfg.IPAMConfig ?? {};
  const v4 = net.driver === 'host' || net.driver === 'null' ? undefined : leaseAddress(tx, store, net, 4, ipam.IPv4Address ?? '', id);
  const v6 = net.enableIPv6 ? leaseAddress(tx, store, net, 6, ipam.IPv6Address ?? '', id) : undefined;
  const withAddress = net.driver === 'bridge' || net.driver === 'macvlan';
  const aliases = cfg.Aliases && cfg.Aliases.length > 0 ? [...cfg.Aliases] : null;
  const userDefined = withAddress && net.name !== DEFAULT_BRIDGE;
  const ep: EndpointRecord = {
    id,
    networkId: net.id,
    containerId: c.id,
    ipv4: v4?.address ?? '',
    ipv6: v6?.address ?? '',
    mac: withAddress ? (cfg.MacAddress || macFor(v4?.address ?? '')).toLowerCase() : '',
    aliases,
    ipamConfig: cfg.IPAMConfig && (ipam.IPv4Address || ipam.IPv6Address) ? { ...(ipam.IPv4Address ? { IPv4Address: ipam.IPv4Address } : {}), ...(ipam.IPv6Address ? { IPv6Address: ipam.IPv6Address } : {}) } : null,
    links: cfg.Links && cfg.Links.length > 0 ? [...cfg.Links] : null,
    driverOpts: null,
    dnsNames: userDefined ? [c.name.slice(1), c.id.slice(0, 12), ...(aliases ?? [])] : [],
    ifname: '',
  };
  store.insertEndpoint(tx, ep);
  return ep;
}

function prefixOf(net: NetworkRecord, family: 4 | 6): number {
  const pool = net.pools.find((p) => p.subnet.includes(':') === (family === 6));
  return pool ? Number(pool.subnet.split('/')[1]) : 0;
}

function gatewayOf(net: NetworkRecord, family: 4 | 6): string {
  return net.pools.find((p) => p.subnet.includes(':') === (family === 6))?.gateway ?? '';
}

/** The endpoint's CIDRs for the driver. */
export function endpointCidrs(net: NetworkRecord, ep: EndpointRecord): string[] {
  return [ep.ipv4 ? `${ep.ipv4}/${prefixOf(net, 4)}` : '', ep.ipv6 ? `${ep.ipv6}/${prefixOf(net, 6)}` : ''].filter((a) => a !== '');
}

export function endpointSettings(net: NetworkRecord, ep: EndpointRecord): EndpointSettings {
  const v4 = ep.ipv4 !== '';
  const v6 = ep.ipv6 !== '';
  return {
    IPAMConfig: ep.ipamConfig,
    Links: ep.links,
    Aliases: ep.aliases,
    MacAddress: ep.mac,
    DriverOpts: ep.driverOpts,
    GwPriority: 0,
    NetworkID: net.id,
    EndpointID: ep.id,
    Gateway: v4 && !net.internal ? gatewayOf(net, 4) : '',
    IPAddress: ep.ipv4,
    IPPrefixLen: v4 ? prefixOf(net, 4) : 0,
    IPv6Gateway: v6 && !net.internal ? gatewayOf(net, 6) : '',
    GlobalIPv6Address: ep.ipv6,
    GlobalIPv6PrefixLen: v6 ? prefixOf(net, 6) : 0,
    DNSNames: ep.dnsNames.length > 0 ? ep.dnsNames : null,
  };
}

/** NetworkSettings of inspect: every network by name; the default bridge's values also at the top, as dockerd shows them. */
export function networkSettings(c: ContainerNetInfo, eps: ReadonlyArray<{ net: NetworkRecord; ep: EndpointRecord }>, ports: NetworkSettings['Ports']): NetworkSettings {
  const networks: Record<string, EndpointSettings> = {};
  for (const { net, ep } of eps) networks[net.name] = endpointSettings(net, ep);
  const bridge = networks[DEFAULT_BRIDGE];
  return {
    Bridge: '',
    SandboxID: c.running ? c.id : '',
    SandboxKey: c.running && c.pid > 0 ? `/proc/${c.pid}/ns/net` : '',
    Ports: ports,
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: bridge?.EndpointID ?? '',
    Gateway: bridge?.Gateway ?? '',
    GlobalIPv6Address: bridge?.GlobalIPv6Address ?? '',
    GlobalIPv6PrefixLen: bridge?.GlobalIPv6PrefixLen ?? 0,
    IPAddress: bridge?.IPAddress ?? '',
    IPPrefixLen: bridge?.IPPrefixLen ?? 0,
    IPv6Gateway: bridge?.IPv6Gateway ?? '',
    MacAddress: bridge?.MacAddress ?? '',
    Networks: networks,
  };
}
