// A container's /etc/hosts, /etc/resolv.conf and /etc/hostname, byte for byte
// as Docker 28 writes them (libnetwork etchosts, internal/resolvconf and
// sandbox_dns_unix.go). Pure builders: the caller reads the host's files and
// writes the results.
//
// hosts: the default records (IPv4 localhost, then the IPv6 ones unless the
// container has IPv6 disabled), --add-host records, legacy links
// ("ip<TAB>alias hostname name"), then one record per address of the
// container ("ip<TAB>fqdn short"). Host networking copies the host's file
// when there is no --add-host.
// resolv.conf: a header, nameserver/search/options/other lines, and a comment
// block saying where it came from. The default bridge and none drop loopback
// nameservers (and IPv6 ones without IPv6), falling back to Google's; a user
// network lists only 127.0.0.11 with `options ndots:0` and keeps the real
// servers in "# ExtServers: [...]" for the embedded server; host networking
// keeps the host's servers.
import { isIP } from 'node:net';

export type EtcMode = 'bridge' | 'user' | 'host' | 'none';

export interface HostsOptions {
  hostname: string;
  domainname: string;
  /** The container's own addresses on its networks (IPv4 and IPv6). */
  addresses: string[];
  /** HostConfig.ExtraHosts: `host:ip` (ip may be `host-gateway`). */
  extraHosts: string[];
  /** Legacy links on the default bridge: alias, the linked container's name, its address(es) and hostname. */
  links: Array<{ alias: string; name: string; ip: string; ipv6?: string; hostname?: string }>;
  ipv6: boolean;
  mode: EtcMode;
  /** Addresses `host-gateway` stands for (daemon.json host-gateway-ip, else the default bridge's gateway). */
  hostGateway?: string[];
  /** The host's /etc/hosts, copied for host networking without --add-host. */
  hostHosts?: string;
}

const IPV4_DEFAULT = [['127.0.0.1', 'localhost']] as const;
const IPV6_DEFAULT = [
  ['::1', 'localhost ip6-localhost ip6-loopback'],
  ['fe00::', 'ip6-localnet'],
  ['ff00::', 'ip6-mcastprefix'],
  ['ff02::1', 'ip6-allnodes'],
  ['ff02::2', 'ip6-allrouters'],
] as const;

export const HOST_GATEWAY = 'host-gateway';

/** The error Docker gives for `host-gateway` with no address to use. */
export class HostGatewayError extends Error {
  constructor() {
    super('unable to derive the IP value for host-gateway');
  }
}

/** `host:ip` records of --add-host, host-gateway resolved (one record per gateway address). */
export function extraHostRecords(extraHosts: readonly string[], hostGateway: readonly string[] | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const entry of extraHosts) {
    const colon = entry.indexOf(':');
    const host = colon < 0 ? entry : entry.slice(0, colon);
    const ip = colon < 0 ? '' : entry.slice(colon + 1);
    if (ip !== HOST_GATEWAY) {
      out.push([ip, host]);
      continue;
    }
    if (!hostGateway?.length) throw new HostGatewayError();
    for (const gw of hostGateway) out.push([gw, host]);
  }
  return out;
}

/** `fqdn short` as sandbox updateHostsFile names the container's own records. */
export function ownHostNames(hostname: string, domainname: string): string {
  const fqdn = domainname ? `${hostname}.${domainname}` : hostname;
  const dot = fqdn.indexOf('.');
  return dot < 0 ? fqdn : `${fqdn} ${fqdn.slice(0, dot)}`;
}

/** /etc/hosts for the container. */
export function buildHosts(o: HostsOptions): string {
  const extra = extraHostRecords(o.extraHosts, o.hostGateway);
  if (o.mode === 'host' && extra.length === 0) return o.hostHosts ?? '127.0.0.1\tlocalhost\n';
  for (const l of o.links) {
    let names = l.hostname ? `${l.alias} ${l.hostname}` : l.alias;
    if (l.alias !== l.name) names += ` ${l.name}`;
    if (l.ip) extra.push([l.ip, names]);
    if (l.ipv6) extra.push([l.ipv6, names]);
  }
  const records: Array<readonly [string, string]> = [...IPV4_DEFAULT, ...(o.ipv6 ? IPV6_DEFAULT : [])];
  records.push(...(o.ipv6 ? extra : extra.filter(([ip]) => isIP(ip) !== 6)));
  if (o.mode !== 'host') {
    const own = ownHostNames(o.hostname, o.domainname);
    for (const ip of o.addresses) if (o.ipv6 || isIP(ip) !== 6) records.push([ip, own]);
  }
  return records.map(([ip, names]) => `${ip}\t${names}\n`).join('');
}

/** /etc/hostname: the host name alone (the domain goes to the UTS namespace only). */
export function buildHostname(hostname: string): string {
  return `${hostname}\n`;
}

export { buildResolvConf, generateResolvConf, hostResolvConfPath, type ResolvConfOptions, type ResolvConfResult } from './resolv-conf';
