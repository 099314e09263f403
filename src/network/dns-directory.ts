// The embedded DNS server's view of our records (dns/types.ts DnsDirectory):
// a container resolves the names (container name, short ID, aliases, also as
// <name>.<network>) of the containers on its own user-defined networks, and
// nothing of networks it is not on.
import type { DnsDirectory } from './dns';
import type { EndpointRecord, NetworkRecord, NetworkStore } from './records';

export interface DnsDirectoryOptions {
  /** The container's upstream servers (its --dns, else the host's). */
  upstreams: (containerId: string) => string[];
  /** Whether the container set ndots itself. */
  ndotsSet?: (containerId: string) => boolean;
}

const userNetwork = (n: NetworkRecord): boolean => !n.predefined && (n.driver === 'bridge' || n.driver === 'macvlan');

export class RecordsDnsDirectory implements DnsDirectory {
  constructor(
    private readonly store: NetworkStore,
    private readonly opts: DnsDirectoryOptions,
  ) {}

  private networksOf(containerId: string): NetworkRecord[] {
    return this.store.endpoints({ containerId }).flatMap((ep) => {
      const net = this.store.get(ep.networkId);
      return net && userNetwork(net) ? [net] : [];
    });
  }

  lookup(askerId: string, name: string, family: 4 | 6): string[] | undefined {
    let found = false;
    const out: string[] = [];
    for (const net of this.networksOf(askerId)) {
      const suffix = `.${net.name.toLowerCase()}`;
      const bare = name.endsWith(suffix) ? name.slice(0, -suffix.length) : name;
      // Only attached endpoints (running containers), as Docker adds names at join and drops them at leave.
      for (const ep of this.store.endpoints({ networkId: net.id })) {
        if (ep.ifname === '') continue;
        if (!ep.dnsNames.some((n) => n.toLowerCase() === bare || n.toLowerCase() === name)) continue;
        found = true;
        const addr = family === 4 ? ep.ipv4 : ep.ipv6;
        if (addr && !out.includes(addr)) out.push(addr);
      }
    }
    return found ? out : undefined;
  }

  upstreams(askerId: string): string[] {
    return this.opts.upstreams(askerId);
  }

  reverse(askerId: string, address: string): string | undefined {
    for (const net of this.networksOf(askerId)) {
      const ep: EndpointRecord | undefined = this.store.endpoints({ networkId: net.id }).find((e) => e.ifname !== '' && (e.ipv4 === address || e.ipv6 === address));
      if (ep && ep.dnsNames[0]) return `${ep.dnsNames[0]}.${net.name}`;
    }
    return undefined;
  }

  externalAccess(askerId: string): boolean {
    const nets = this.networksOf(askerId);
    return nets.length === 0 || nets.some((n) => !n.internal);
  }

  ndotsSet(askerId: string): boolean {
    return this.opts.ndotsSet?.(askerId) ?? false;
  }
}
