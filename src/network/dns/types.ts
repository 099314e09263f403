// What the embedded DNS server asks of the network records (net-core
// implements it from its endpoints): which names a container sees and where
// its other queries go. Every method is called per query, so answers follow
// connects, disconnects and renames at once, with no reload (aardvark-dns#389
// drops queries while it reloads).

export interface DnsDirectory {
  /**
   * Addresses for `name` as seen from container `askerId` (only its own
   * networks): its names, short IDs and aliases (compose's service aliases
   * are ordinary aliases), also as `<name>.<network>`. `name` comes
   * lowercased, without the final dot. undefined = not ours (the query is
   * forwarded); [] = ours but without an address of that family (an empty
   * NOERROR reply, as Docker gives for AAAA of an IPv4-only container).
   */
  lookup(askerId: string, name: string, family: 4 | 6): string[] | undefined;
  /** Upstream servers for that container (its --dns, else the host's resolv.conf nameservers), as IPs (`ip:port` also taken). */
  upstreams(askerId: string): string[];
  /** PTR: the name for one of the asker's networks' addresses, as Docker answers it (`<container>.<network>`); undefined = not ours. */
  reverse?(askerId: string, address: string): string | undefined;
  /** false when the container is only on --internal networks: nothing is forwarded (SERVFAIL), as Docker's proxyDNS=false. */
  externalAccess?(askerId: string): boolean;
  /**
   * true when the container's upstreams are the user's (--dns, daemon.json dns):
   * they are asked from the container's network namespace, as Docker 28 does
   * (so --dns 127.0.0.1 reaches a resolver inside the container). false or
   * absent: from the daemon's (servers of the host's resolv.conf).
   */
  forwardFromContainer?(askerId: string): boolean;
  /** true when the container set ndots itself (--dns-option ndots:N): single-label names not ours get an empty reply, not forwarded. */
  ndotsSet?(askerId: string): boolean;
}

/** Bounds of one container's server. */
export interface DnsLimits {
  /** Queries being forwarded at once per container; more get REFUSED. */
  maxInflight: number;
  /** TCP connections at once per container; more are closed at once. */
  maxTcpConnections: number;
  /** A TCP connection with nothing pending is closed after this, ms. */
  tcpIdleMs: number;
  /** UDP queries longer than this are dropped. */
  maxUdpQuery: number;
}

export const DEFAULT_LIMITS: DnsLimits = { maxInflight: 256, maxTcpConnections: 64, tcpIdleMs: 10_000, maxUdpQuery: 4096 };

/** Docker's TTL for the records it owns (libnetwork resolver respTTL). */
export const RESP_TTL = 600;
/** Where the server listens in each container (Docker's resolverIPSandbox). */
export const RESOLVER_IP = '127.0.0.11';
