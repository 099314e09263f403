// What the firewall (src/network/firewall/firewall.ts) is told about networks
// and endpoints, and what it answers about published ports. net-core's bridge
// driver builds these from its records (see /work/wt/NET-CONTRACT.md).
import type { Logger } from 'pino';

export interface FirewallNetwork {
  id: string;
  /** The Linux bridge (tsd0, br-<id12>). */
  bridge: string;
  /** CIDRs, IPv4 and IPv6. */
  subnets: string[];
  /** No way in or out of the bridge (docker network create --internal). */
  internal: boolean;
  /** Outbound traffic leaves with the host's address (daemon.json ip-masq, bridge option enable_ip_masquerade). */
  masquerade: boolean;
  /** Containers of the bridge may talk to each other (daemon.json icc, bridge option enable_icc). */
  icc: boolean;
}

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

/** One bound host port, as NetworkSettings.Ports reports it ({HostIp, HostPort} under "<containerPort>/<protocol>"). */
export interface PublishedPort {
  protocol: PortProtocol;
  /** 0.0.0.0 or :: for every host address, else the one address. */
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

export interface FirewallEndpoint {
  endpointId: string;
  networkId: string;
  bridge: string;
  /** The host end of the container's veth. */
  hostIfname: string;
  /** The container's addresses on that network (a bare address, or CIDR notation). */
  ipv4?: string;
  ipv6?: string;
}

export interface FirewallOptions {
  /** The nft table (family inet) of this daemon: src/network/host-names.ts nftTableName(execRoot). */
  table: string;
  log: Pick<Logger, 'warn' | 'info' | 'debug'>;
  /** daemon.json `ip`: the host address of ports published without one (default 0.0.0.0). */
  defaultHostIp?: string;
}
