// The nft text of the daemon's one table (family inet). Pure builders: the
// Firewall (firewall.ts) joins their lines into one batch, which libnftables
// applies as one netlink transaction.
//
// table inet <T>
//   sets   bridges, internal, noicc, masq_br        (ifname: one element per network)
//          same_br                                   (ifname . ifname: "br" . "br" per network)
//          br_net4, br_net6                          (ifname . subnet: one per network subnet)
//   maps   pub4     proto . host v4 . port -> container v4 . port  (one element per port)
//          pub4_any proto . port           -> container v4 . port  (ports on 0.0.0.0)
//          pub6, pub6_any                                           (the same for IPv6)
//   guard        filter prerouting, priority raw: packets for 127.0.0.0/8 or ::1 that
//                did not come from lo are dropped before DNAT could make them
//                routable (a port published on 127.0.0.1 is not reachable from the link).
//   prerouting   nat: local destination -> jump published (from outside and from
//                containers: hairpin).
//   output       nat: the same for the host's own connections (127.0.0.1:port and
//                the host's addresses); route_localnet=1 on each bridge lets the
//                DNAT'd 127.0.0.1 source leave, postrouting masquerades it.
//   published    the four map lookups (dnat ip|ip6 to <map>); a miss falls through.
//   postrouting  nat: hairpin inside one bridge (DNAT'd, from the bridge's subnet back
//                into it) is masqueraded: the reply must come back through the
//                host (br_netfilter leaves no iifname there); 127.0.0.0/8 toward a bridge is masqueraded;
//                a masquerading network's traffic leaving by any other interface
//                is masqueraded. Everything else keeps its source address.
//   forward      filter: jump TSDOCKER-USER first, then established/related accept,
//                DNAT'd traffic into a non-internal bridge accept (published ports),
//                icc=false drop, same bridge accept, internal drop both ways,
//                between two of our bridges drop (isolation), anything else into a
//                bridge drop. The policy is accept: other traffic is not ours.
//   TSDOCKER-USER  the host administrator's chain (Docker's DOCKER-USER): it is
//                created empty and never flushed by the daemon, its rules run
//                before any of ours in forward (a `drop` there wins, a `return`
//                continues with ours). Published traffic has its container
//                address by then: match the original port with
//                `meta l4proto tcp ct original proto-dst 8080`.
import type { FirewallNetwork, PortProtocol } from './types';

export const USER_CHAIN = 'TSDOCKER-USER';

/** Chains whose rules the daemon owns (flushed and rewritten as one batch). */
const BASE_CHAINS: Array<[string, string]> = [
  ['published', ''],
  ['guard', 'type filter hook prerouting priority raw; policy accept;'],
  ['prerouting', 'type nat hook prerouting priority dstnat; policy accept;'],
  ['output', 'type nat hook output priority -100; policy accept;'],
  ['postrouting', 'type nat hook postrouting priority srcnat; policy accept;'],
  ['forward', 'type filter hook forward priority filter; policy accept;'],
];

export const SETS: Array<[string, string]> = [
  ['bridges', 'type ifname;'],
  ['internal', 'type ifname;'],
  ['noicc', 'type ifname;'],
  ['masq_br', 'type ifname;'],
  ['same_br', 'type ifname . ifname;'],
  ['br_net4', 'type ifname . ipv4_addr; flags interval;'],
  ['br_net6', 'type ifname . ipv6_addr; flags interval;'],
];

export const MAPS: Array<[string, string]> = [
  ['pub4', 'type inet_proto . ipv4_addr . inet_service : ipv4_addr . inet_service;'],
  ['pub4_any', 'type inet_proto . inet_service : ipv4_addr . inet_service;'],
  ['pub6', 'type inet_proto . ipv6_addr . inet_service : ipv6_addr . inet_service;'],
  ['pub6_any', 'type inet_proto . inet_service : ipv6_addr . inet_service;'],
];

const RULES: Array<[string, string]> = [
  ['published', 'dnat ip to meta l4proto . ip daddr . th dport map @pub4'],
  ['published', 'dnat ip to meta l4proto . th dport map @pub4_any'],
  ['published', 'dnat ip6 to meta l4proto . ip6 daddr . th dport map @pub6'],
  ['published', 'dnat ip6 to meta l4proto . th dport map @pub6_any'],
  ['guard', 'iifname != "lo" ip daddr 127.0.0.0/8 drop'],
  ['guard', 'iifname != "lo" ip6 daddr ::1 drop'],
  ['prerouting', 'fib daddr type local jump published'],
  ['output', 'fib daddr type local jump published'],
  ['postrouting', 'ct status dnat oifname . ip saddr @br_net4 masquerade'],
  ['postrouting', 'ct status dnat oifname . ip6 saddr @br_net6 masquerade'],
  ['postrouting', 'oifname @bridges ip saddr 127.0.0.0/8 masquerade'],
  ['postrouting', 'iifname @masq_br oifname != @bridges masquerade'],
  ['forward', `jump ${USER_CHAIN}`],
  ['forward', 'ct state established,related accept'],
  ['forward', 'oifname @bridges oifname != @internal ct status dnat accept'],
  ['forward', 'iifname . oifname @same_br oifname @noicc drop'],
  ['forward', 'iifname . oifname @same_br accept'],
  ['forward', 'iifname @internal drop'],
  ['forward', 'oifname @internal drop'],
  ['forward', 'iifname @bridges oifname @bridges drop'],
  ['forward', 'oifname @bridges drop'],
];

/** nft identifiers of ours: letters, digits, _ and - (checked before they reach a script). */
export function checkTableName(table: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,62}$/.test(table)) throw new Error(`invalid nft table name ${JSON.stringify(table)}`);
  return table;
}

/** A CIDR as nft reads it (digits, dots, colons, hex, one slash). */
function checkCidr(cidr: string): string {
  if (!/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(cidr)) throw new Error(`invalid subnet ${JSON.stringify(cidr)}`);
  return cidr;
}

/** Interface names as nft strings (IFNAMSIZ, no quotes or spaces). */
export function ifname(name: string): string {
  if (!/^[A-Za-z0-9_.@:-]{1,15}$/.test(name)) throw new Error(`invalid interface name ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/**
 * The table, its sets, maps and chains (add is a no-op for what exists), our
 * chains flushed and their rules written again; with `flushSets` every set and
 * map is emptied too (restore fills them in the same batch). TSDOCKER-USER is
 * added but never flushed: the administrator's rules survive.
 */
export function baseScript(table: string, flushSets: boolean): string[] {
  const t = `inet ${table}`;
  const lines = [`add table ${t}`, `add chain ${t} ${USER_CHAIN}`];
  for (const [name, decl] of [...SETS]) lines.push(`add set ${t} ${name} { ${decl} }`);
  for (const [name, decl] of MAPS) lines.push(`add map ${t} ${name} { ${decl} }`);
  for (const [name, decl] of BASE_CHAINS) lines.push(decl ? `add chain ${t} ${name} { ${decl} }` : `add chain ${t} ${name}`);
  for (const [name] of BASE_CHAINS) lines.push(`flush chain ${t} ${name}`);
  if (flushSets) {
    for (const [name] of SETS) lines.push(`flush set ${t} ${name}`);
    for (const [name] of MAPS) lines.push(`flush map ${t} ${name}`);
  }
  for (const [chain, rule] of RULES) lines.push(`add rule ${t} ${chain} ${rule}`);
  return lines;
}

/** The set elements of one network: [set, element] pairs. */
export function networkElements(n: FirewallNetwork): Array<[string, string]> {
  const br = ifname(n.bridge);
  const out: Array<[string, string]> = [['bridges', br], ['same_br', `${br} . ${br}`]];
  if (n.internal) out.push(['internal', br]);
  if (!n.icc) out.push(['noicc', br]);
  if (n.masquerade && !n.internal) out.push(['masq_br', br]);
  for (const subnet of n.subnets) out.push([subnet.includes(':') ? 'br_net6' : 'br_net4', `${br} . ${checkCidr(subnet)}`]);
  return out;
}

/** One map element of a published port: [map, key, value]. */
export interface PortElement {
  map: 'pub4' | 'pub4_any' | 'pub6' | 'pub6_any';
  key: string;
  value: string;
}

/** The DNAT element of hostIp:hostPort -> containerIp:containerPort (wildcard host addresses use the _any maps). */
export function portElement(protocol: PortProtocol, hostIp: string, hostPort: number, containerIp: string, containerPort: number): PortElement {
  const v6 = containerIp.includes(':');
  const any = hostIp === '0.0.0.0' || hostIp === '::';
  const map = v6 ? (any ? 'pub6_any' : 'pub6') : any ? 'pub4_any' : 'pub4';
  const key = any ? `${protocol} . ${hostPort}` : `${protocol} . ${hostIp} . ${hostPort}`;
  return { map, key, value: `${containerIp} . ${containerPort}` };
}

/** Lines that add elements; `remove` adds then deletes each (one batch: idempotent whether or not it was there). */
export function elementLines(table: string, elements: Array<[string, string]>, remove = false): string[] {
  const t = `inet ${table}`;
  const lines: string[] = [];
  for (const [set, el] of elements) {
    lines.push(`add element ${t} ${set} { ${el} }`);
    if (remove) lines.push(`delete element ${t} ${set} { ${el} }`);
  }
  return lines;
}

/** Lines for port elements: one command per map; `remove` adds then deletes (by key) them. */
export function portLines(table: string, elements: PortElement[], remove = false): string[] {
  const t = `inet ${table}`;
  const byMap = new Map<string, PortElement[]>();
  for (const e of elements) byMap.set(e.map, [...(byMap.get(e.map) ?? []), e]);
  const lines: string[] = [];
  for (const [map, list] of byMap) {
    lines.push(`add element ${t} ${map} { ${list.map((e) => `${e.key} : ${e.value}`).join(', ')} }`);
    if (remove) lines.push(`delete element ${t} ${map} { ${list.map((e) => e.key).join(', ')} }`);
  }
  return lines;
}
