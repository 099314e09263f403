// The kernel side of NAT, isolation and published ports: one nft table per
// daemon (ruleset.ts draws it), changed only by atomic libnftables batches,
// and the host port reservations (reserve.ts). No process of ours sits in the
// data path: with the daemon down (live-restore), published ports keep serving.
//
// Lifecycle: open() → addNetwork() per network as its bridge comes up →
// publish()/unpublish() per endpoint in the start pipeline's network step and
// its undo → removeNetwork() → close() at daemon exit (rules kept, ports
// released) or destroy() (table deleted). At daemon start restore() rewrites
// the whole table from the records in one batch and reserves the ports again.
import { existsSync, writeFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidArgumentError, TsdError, isErrno, messageOf } from '../../errors';
import { nftRun } from '../../native/nft';
import type { PortBinding } from '../types';
import { flushUdpFlows } from './conntrack';
import { EphemeralPorts, release, reserve, type Reservation } from './reserve';
import { baseScript, checkTableName, elementLines, ifname, networkElements, portElement, portLines, type PortElement } from './ruleset';
import type { FirewallEndpoint, FirewallNetwork, FirewallOptions, PublishedPort } from './types';

interface EndpointRecord {
  ep: FirewallEndpoint;
  ports: PublishedPort[];
  reservations: Reservation[];
  elements: PortElement[];
}

/** The container's address without its prefix length. */
function bare(addr: string | undefined): string | undefined {
  if (addr === undefined || addr === '') return undefined;
  return addr.split('/')[0];
}

export class Firewall {
  private readonly table: string;
  private readonly log: FirewallOptions['log'];
  private readonly defaultHostIp: string;
  private readonly networks = new Map<string, FirewallNetwork>();
  private readonly endpoints = new Map<string, EndpointRecord>();
  private readonly ephemeral = new EphemeralPorts();
  private based = false;

  private constructor(opts: FirewallOptions) {
    this.table = checkTableName(opts.table);
    this.log = opts.log;
    const ip = opts.defaultHostIp ?? '';
    if (ip !== '' && !isIPv4(ip) && !isIPv6(ip)) throw new InvalidArgumentError(`invalid default host IP (daemon.json "ip"): ${ip}`);
    this.defaultHostIp = ip === '' ? '0.0.0.0' : ip;
  }

  static open(opts: FirewallOptions): Firewall {
    return new Firewall(opts);
  }

  /** The table's name (tests, diagnostics). */
  get tableName(): string {
    return this.table;
  }

  addNetwork(n: FirewallNetwork): void {
    this.ensureBase();
    const old = this.networks.get(n.id);
    const lines = old ? elementLines(this.table, networkElements(old), true) : [];
    lines.push(...elementLines(this.table, networkElements(n)));
    this.run(lines);
    this.networks.set(n.id, { ...n, subnets: [...n.subnets] });
    this.routeLocalnet(n.bridge);
    if (!n.icc && !existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables')) {
      this.log.warn({ network: n.id }, 'icc=false needs br_netfilter (modprobe br_netfilter): containers of this bridge can still talk');
    }
  }

  removeNetwork(id: string): void {
    const n = this.networks.get(id);
    if (n === undefined) return;
    this.run(elementLines(this.table, networkElements(n), true));
    this.networks.delete(id);
  }

  /**
   * Reserves every host port (ephemeral ones from ip_local_port_range, a range
   * `8000-8010` takes its first free port), then adds their DNAT elements in
   * one batch. All or nothing: on a failure what was reserved is released.
   * Publishing an endpoint again replaces what it had.
   */
  publish(ep: FirewallEndpoint, bindings: PortBinding[]): PublishedPort[] {
    this.ensureBase();
    this.unpublish(ep.endpointId);
    // Docker programs no port mapping on an internal network.
    if (this.networks.get(ep.networkId)?.internal === true) return [];
    const reservations: Reservation[] = [];
    const ports: PublishedPort[] = [];
    try {
      for (const b of bindings) {
        const r = this.reserveBinding(b);
        reservations.push(r);
        ports.push(...this.reported(ep, b, r));
      }
      const elements = this.elementsOf(ep, ports);
      this.run(portLines(this.table, elements));
      if (elements.length > 0) this.hairpin(ep.hostIfname);
      flushUdpFlows(ports, this.log);
      this.endpoints.set(ep.endpointId, { ep, ports, reservations, elements });
      return ports;
    } catch (err) {
      for (const r of reservations) release(r);
      throw err;
    }
  }

  unpublish(endpointId: string): void {
    const rec = this.endpoints.get(endpointId);
    if (rec === undefined) return;
    try {
      this.run(portLines(this.table, rec.elements, true));
      flushUdpFlows(rec.ports, this.log);
    } finally {
      for (const r of rec.reservations) release(r);
      this.endpoints.delete(endpointId);
    }
  }

  /** What an endpoint has published (NetworkSettings.Ports), or undefined. */
  publishedOf(endpointId: string): PublishedPort[] | undefined {
    return this.endpoints.get(endpointId)?.ports.map((p) => ({ ...p }));
  }

  /**
   * Rewrites the whole table from the records in one batch (what a reboot or a
   * crash left is replaced; TSDOCKER-USER keeps its rules) and reserves the
   * published ports again. A port some other program took while the daemon was
   * down keeps its DNAT (it still serves) and is logged.
   */
  restore(networks: FirewallNetwork[], published: Array<{ ep: FirewallEndpoint; ports: PublishedPort[] }>): void {
    this.releaseAll();
    this.networks.clear();
    const lines = baseScript(this.table, true);
    for (const n of networks) {
      lines.push(...elementLines(this.table, networkElements(n)));
      this.networks.set(n.id, { ...n, subnets: [...n.subnets] });
    }
    const records: EndpointRecord[] = [];
    for (const { ep, ports } of published) {
      const elements = this.elementsOf(ep, ports);
      lines.push(...portLines(this.table, elements));
      records.push({ ep, ports: ports.map((p) => ({ ...p })), reservations: this.reserveAgain(ports), elements });
    }
    this.run(lines);
    this.based = true;
    for (const r of records) {
      this.endpoints.set(r.ep.endpointId, r);
      if (r.elements.length > 0) this.hairpin(r.ep.hostIfname);
    }
    for (const n of networks) this.routeLocalnet(n.bridge);
  }

  /** Daemon exit: the ports are released, the rules stay (live-restore keeps serving). */
  close(): void {
    this.releaseAll();
  }

  /** Deletes the table (tests, daemon.json `iptables: false`) and releases the ports. */
  destroy(): void {
    this.releaseAll();
    this.networks.clear();
    this.based = false;
    try {
      nftRun(`delete table inet ${this.table}\n`);
    } catch (err) {
      if (!/No such file or directory/.test(messageOf(err))) throw new TsdError(`nft: ${messageOf(err)}`);
    }
  }

  private releaseAll(): void {
    for (const rec of this.endpoints.values()) for (const r of rec.reservations) release(r);
    this.endpoints.clear();
  }

  private ensureBase(): void {
    if (this.based) return;
    this.run(baseScript(this.table, false));
    this.based = true;
  }

  private run(lines: string[]): void {
    if (lines.length === 0) return;
    try {
      nftRun(`${lines.join('\n')}\n`);
    } catch (err) {
      throw new TsdError(`nft: ${messageOf(err)}`, { cause: err });
    }
  }

  private hostIpOf(b: PortBinding): string {
    const ip = b.hostIp === '' ? this.defaultHostIp : b.hostIp;
    if (!isIPv4(ip) && !isIPv6(ip)) throw new InvalidArgumentError(`invalid IP address: ${ip}`);
    return ip;
  }

  private reserveBinding(b: PortBinding): Reservation {
    const hostIp = this.hostIpOf(b);
    const end = b.hostPortEnd ?? b.hostPort;
    if (b.hostPort === 0 || end > b.hostPort) return this.ephemeral.take(b.protocol, hostIp, b.hostPort, end);
    return reserve(b.protocol, hostIp, b.hostPort);
  }

  /** NetworkSettings.Ports entries of one binding: 0.0.0.0 is reported with :: beside it when the container has IPv6. */
  private reported(ep: FirewallEndpoint, b: PortBinding, r: Reservation): PublishedPort[] {
    const one = (hostIp: string): PublishedPort => ({ protocol: b.protocol, hostIp, hostPort: r.port, containerPort: b.containerPort });
    if (r.hostIp === '0.0.0.0' && bare(ep.ipv6) !== undefined) return [one('0.0.0.0'), one('::')];
    return [one(r.hostIp)];
  }

  /** The DNAT elements of an endpoint's ports: none on an internal network; a family the container lacks is skipped. */
  private elementsOf(ep: FirewallEndpoint, ports: PublishedPort[]): PortElement[] {
    if (this.networks.get(ep.networkId)?.internal === true) return [];
    const out: PortElement[] = [];
    for (const p of ports) {
      const target = isIPv6(p.hostIp) ? bare(ep.ipv6) : bare(ep.ipv4);
      if (target === undefined) {
        this.log.warn({ endpoint: ep.endpointId, hostIp: p.hostIp, port: p.hostPort }, 'published port has no container address of its family: not forwarded');
        continue;
      }
      out.push(portElement(p.protocol, p.hostIp, p.hostPort, target, p.containerPort));
    }
    return out;
  }

  private reserveAgain(ports: PublishedPort[]): Reservation[] {
    const out: Reservation[] = [];
    const wild = new Set(ports.filter((p) => p.hostIp === '0.0.0.0').map((p) => `${p.protocol}/${p.hostPort}`));
    for (const p of ports) {
      if (p.hostIp === '::' && wild.has(`${p.protocol}/${p.hostPort}`)) continue;
      try {
        out.push(reserve(p.protocol, p.hostIp, p.hostPort));
      } catch (err) {
        this.log.warn({ port: p, err: messageOf(err) }, 'published port could not be reserved again (its DNAT stays)');
      }
    }
    return out;
  }

  /**
   * hairpin_mode on the container's bridge port: where br_netfilter DNATs
   * bridged frames, a container reaching its own published port has its frame
   * sent back out the port it came in by, which a bridge refuses otherwise.
   */
  private hairpin(hostIfname: string): void {
    try {
      ifname(hostIfname);
      writeFileSync(`/sys/class/net/${hostIfname}/brport/hairpin_mode`, '1');
    } catch (err) {
      // The elements are in: a port that cannot hairpin still serves everyone else.
      if (isErrno(err, 'ENOENT')) this.log.debug({ hostIfname }, 'no bridge port: hairpin_mode not set');
      else this.log.warn({ hostIfname, err: messageOf(err) }, 'hairpin_mode not set');
    }
  }

  /** route_localnet=1 on the bridge: host connections to 127.0.0.1:<published> may leave toward it once DNAT'd. */
  private routeLocalnet(bridge: string): void {
    try {
      ifname(bridge);
      writeFileSync(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, '1');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) this.log.debug({ bridge }, 'bridge not there yet: route_localnet not set');
      else this.log.warn({ bridge, err: messageOf(err) }, 'route_localnet not set: ports published on 127.0.0.1 will not answer the host');
    }
  }
}
