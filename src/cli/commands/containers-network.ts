// run's and create's network flags as docker CLI 28 reads them: --network /
// --net (repeatable, with the long `name=…,alias=…,ip=…` syntax), --ip,
// --ip6, --network-alias, --link, --mac-address, --dns, --dns-search,
// --add-host, and NetworkingConfig.EndpointsConfig built as cli/command/
// container/opts.go parseNetworkOpts does (the plain flags apply to the first
// network; a single network without settings sends no endpoint).
import { validMac, type NetworkAttachment } from './containers-netflags';
import { FlagError } from './containers-opts';

/** The flags this file reads (a slice of ContainerFlags). */
export interface NetworkFlags {
  network?: NetworkAttachment[];
  networkAlias?: string[];
  link?: string[];
  ip?: string;
  ip6?: string;
  macAddress?: string;
  linkLocalIp?: string[];
}

const ZERO_ENDPOINT = {
  IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, GwPriority: 0, NetworkID: '', EndpointID: '',
  Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
};

/** container.NetworkMode.IsUserDefined. */
export function isUserDefined(mode: string): boolean {
  return !['default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith('container:');
}

/** HostConfig.NetworkMode: the first --network, else "default". */
export function networkMode(f: NetworkFlags): string {
  return f.network?.[0]?.target ?? 'default';
}

/** applyContainerOptions: the plain flags onto the first network, refusing both forms of one setting. */
function applyPlainFlags(n: NetworkAttachment, f: NetworkFlags): NetworkAttachment {
  const out = { ...n, aliases: [...n.aliases] };
  const both = (what: string, flag: string) => new FlagError(`conflicting options: cannot specify both ${flag} and per-network ${what}`);
  if (n.aliases.length && f.networkAlias?.length) throw both('alias', '--network-alias');
  if (n.ipv4 && f.ip) throw both('IPv4 address', '--ip');
  if (n.ipv6 && f.ip6) throw both('IPv6 address', '--ip6');
  if (n.mac && f.macAddress) throw both('MAC address', '--mac-address');
  if (f.networkAlias?.length) out.aliases = [...f.networkAlias];
  if (f.ip) out.ipv4 = f.ip;
  if (f.ip6) out.ipv6 = f.ip6;
  if (f.macAddress) out.mac = f.macAddress;
  return out;
}

/** parseNetworkAttachmentOpt: one endpoint's settings, or undefined when it has none. */
function endpointSettings(n: NetworkAttachment, links: string[], linkLocal: string[] = []): Record<string, unknown> | undefined {
  if (n.target.trim() === '') throw new FlagError('no name set for network');
  if (!isUserDefined(n.target) && n.aliases.length) throw new FlagError('network-scoped aliases are only supported for user-defined networks');
  if (n.mac && !validMac(n.mac.trim())) throw new FlagError(`${n.mac} is not a valid mac address`);
  const ipam =
    n.ipv4 || n.ipv6 || linkLocal.length
      ? { ...(n.ipv4 ? { IPv4Address: n.ipv4 } : {}), ...(n.ipv6 ? { IPv6Address: n.ipv6 } : {}), ...(linkLocal.length ? { LinkLocalIPs: linkLocal } : {}) }
      : null;
  const ep = {
    ...ZERO_ENDPOINT,
    IPAMConfig: ipam,
    Links: links.length ? links : null,
    Aliases: n.aliases.length ? n.aliases : null,
    MacAddress: n.mac,
    DriverOpts: n.driverOpts && Object.keys(n.driverOpts).length ? Object.fromEntries(Object.entries(n.driverOpts).sort(([a], [b]) => (a < b ? -1 : 1))) : null,
    GwPriority: n.gwPriority,
  };
  const empty = !ipam && !ep.Links && !ep.Aliases && !ep.MacAddress && !ep.DriverOpts && !ep.GwPriority;
  return empty ? undefined : ep;
}

/** NetworkingConfig as docker 28 sends it. */
export function networkingConfig(f: NetworkFlags): { EndpointsConfig: Record<string, unknown> } {
  if (f.macAddress && !validMac(f.macAddress)) throw new FlagError(`${f.macAddress} is not a valid mac address`);
  const nets = f.network?.length ? f.network : undefined;
  const endpoints: Record<string, unknown> = {};
  if (!nets) {
    const n = applyPlainFlags({ target: 'default', aliases: [], ipv4: '', ipv6: '', mac: '', gwPriority: 0 }, f);
    endpoints['default'] = endpointSettings(n, [], f.linkLocalIp) ?? ZERO_ENDPOINT;
    return { EndpointsConfig: endpoints };
  }
  let userDefined = false;
  let other = false;
  nets.forEach((given, i) => {
    if (isUserDefined(given.target)) userDefined = true;
    else other = true;
    const n = i === 0 ? applyPlainFlags(given, f) : given;
    const links = i === 0 && isUserDefined(n.target) ? (f.link ?? []) : [];
    const ep = endpointSettings(n, links, i === 0 ? f.linkLocalIp : []);
    if (n.target in endpoints) throw new FlagError(`network ${JSON.stringify(n.target)} is specified multiple times`);
    if (i === 0 && nets.length === 1 && ep === undefined) return;
    endpoints[n.target] = ep ?? ZERO_ENDPOINT;
  });
  if (userDefined && other) throw new FlagError('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  return { EndpointsConfig: endpoints };
}
