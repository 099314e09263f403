// The network driver's contract (bridge first; macvlan, null and host later):
// interfaces only, the issue that brings networking fills them in.
//
// Lifecycle of a network
//   1. The engine's job `network.create` commits the network's record and its
//      IPAM pool in one SQLite transaction, then calls createNetwork(). When
//      that fails the job deletes the record in a second transaction: no
//      record outlives a network that never came up. createNetwork() is
//      idempotent (a bridge of that name already there is taken over).
//   2. deleteNetwork() is called only once no endpoint is left (the job
//      refuses with ConflictError "network … has active endpoints" before);
//      it removes the bridge, its nftables chains and sets, then the record.
//
// Lifecycle of an endpoint (a container on a network)
//   - create: the IP address is leased in the container create's transaction
//     (record + name + image layer hold + IPAM lease + volume refs).
//   - attach() is the start pipeline's `network` step (src/container/
//     start-steps.ts), between `task` (the runtime has made the namespaces:
//     the netns is /proc/<pid>/ns/net) and `process` (nothing of the user's
//     runs yet): veth pair, one end into the netns with the leased address,
//     routes, the DNS record of its names, the published ports' map elements.
//   - detach() is that step's undo: on a failed start, an exit, a stop, a
//     removal, and at restore for a start a crash interrupted. It must work
//     from the IDs alone (interface and set element names are derived from
//     the endpoint's ID), be idempotent, and log rather than throw for what
//     is already gone. The lease is released only when the container is
//     removed (its address survives a restart, as with dockerd).
//
// restore() runs first at daemon start (networks → volumes → images →
// containers → execs, src/engine/drivers.ts): given every network and
// endpoint record, it re-creates what a reboot lost (bridges, nftables
// tables), keeps the endpoints of containers still running (live-restore:
// no process of ours sits in their path) and removes what no record owns.
export interface IpamPool {
  /** CIDR, e.g. 172.18.0.0/16. */
  subnet: string;
  gateway: string;
  /** Addresses handed out come from this sub-range when set. */
  ipRange?: string;
}

export interface NetworkSpec {
  id: string;
  name: string;
  /** Driver-specific options (com.docker.network.bridge.name, …). */
  options: Record<string, string>;
  pools: IpamPool[];
  internal: boolean;
  enableIPv6: boolean;
  /** The host link: the bridge's name (bridge) or the parent interface (macvlan). */
  ifname?: string;
  /** The MTU of its links (0 or absent: the kernel's). */
  mtu?: number;
}

export interface PortBinding {
  protocol: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  /** '' for every host address. */
  hostIp: string;
  /** 0 for an ephemeral port (ip_local_port_range). */
  hostPort: number;
  /** Last port of a host range (`-p 8000-8010:80`: the first free one is taken); hostPort alone when absent. */
  hostPortEnd?: number;
}

export interface EndpointSpec {
  /** Stable across restarts: names of interfaces and set elements derive from it. */
  endpointId: string;
  containerId: string;
  /** /proc/<pid>/ns/net of the created (not yet started) container. */
  netns: string;
  /** The leased addresses as CIDRs (172.17.0.2/16, and IPv6 when enabled). */
  addresses: string[];
  /** The interface's name inside the container (eth0 when absent). */
  ifname?: string;
  macAddress: string;
  /** Names the network's DNS answers for: container name, aliases, short ID. */
  dnsNames: string[];
  ports: PortBinding[];
}

export interface EndpointInfo {
  endpointId: string;
  /** The interface's name inside the container (eth0, eth1, …). */
  ifname: string;
  gateway: string;
}

export interface NetworkDriver {
  /** The driver's name as networks give it (`bridge`). */
  readonly name: string;
  createNetwork(spec: NetworkSpec): Promise<void>;
  /** `network`: the record as it was (the bridge to delete); drivers may need it. */
  deleteNetwork(id: string, network?: NetworkSpec): Promise<void>;
  attach(network: NetworkSpec, endpoint: EndpointSpec): Promise<EndpointInfo>;
  detach(network: NetworkSpec, endpointId: string): Promise<void>;
  /** At daemon start, with the records (the engine's networks driver calls it from its Driver.restore). */
  restore(networks: readonly NetworkSpec[], endpoints: ReadonlyArray<{ networkId: string; endpoint: EndpointSpec; running: boolean }>): Promise<void>;
}
