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
  /** Whether its upstreams are the user's (--dns, daemon.json dns), asked from the container's namespace as Docker 28 does. */
  forwardFromContainer?: (containerId: string) => boolean;
}

const userNetwork = (n: NetworkRecord): boolean => !n.predefined && (n.driver === 'bridge' || n.driver === 'macvlan');

type Statement = ReturnType<NetworkStore['gdb']['db']['prepare']>;

export class RecordsDnsDirectory implements DnsDirectory {
  /** Prepared once: every DNS query reads the asker's networks and their endpoints with it. */
  private peersQuery: Statement | undefined;

  constructor(
    private readonly store: NetworkStore,
    private readonly opts: DnsDirectoryOptions,
  ) {}

  /** The asker's user networks, each with its attached endpoints (running containers), in one query. */
  private peers(askerId: string): Array<{ net: NetworkRecord; eps: EndpointRecord[] }> {
    this.peersQuery ??= this.store.gdb.db.prepare(
      `SELECT n.id AS id, n.record AS net, e.record AS ep FROM endpoints mine
         JOIN networks n ON n.id = mine.network_id
         JOIN endpoints e ON e.network_id = mine.network_id
       WHERE mine.container_id = ? ORDER BY mine.seq, e.container_id, e.seq`,
    );
    const byNet = new Map<string, { net: NetworkRecord; eps: EndpointRecord[] }>();
    for (const row of this.peersQuery.all(askerId) as Array<{ id: string; net: string; ep: string }>) {
      let entry = byNet.get(row.id);
      if (!entry) byNet.set(row.id, (entry = { net: JSON.parse(row.net) as NetworkRecord, eps: [] }));
      if (!userNetwork(entry.net)) continue;
      const ep = JSON.parse(row.ep) as EndpointRecord;
      // Only attached endpoints (running containers), as Docker adds names at join and drops them at leave.
      if (ep.ifname !== '') entry.eps.push(ep);
    }
    return [...byNet.values()].filter((p) => userNetwork(p.net));
  }

  private networksOf(containerId: string): NetworkRecord[] {
    return this.store.endpoints({ containerId }).flatMap((ep) => {
      const net = this.store.get(ep.networkId);
      return net && userNetwork(net) ? [net] : [];
    });
  }

  lookup(askerId: string, name: string, family: 4 | 6): string[] | undefined {
    let found = false;
    const out: string[] = [];
    for (const { net, eps } of this.peers(askerId)) {
      const suffix = `.${net.name.toLowerCase()}`;
      const bare = name.endsWith(suffix) ? name.slice(0, -suffix.length) : name;
      for (const ep of eps) {
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
    for (const { net, eps } of this.peers(askerId)) {
      const ep = eps.find((e) => e.ipv4 === address || e.ipv6 === address);
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

  forwardFromContainer(askerId: string): boolean {
    return this.opts.forwardFromContainer?.(askerId) ?? false;
  }
}
