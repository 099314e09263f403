// The network driver's records in SQLite (tables in src/state/schema.ts,
// migration 'networks'): networks, endpoints (a container on a network),
// IP leases and the IPAM cursors. No cache: every read asks SQLite, so a
// rolled-back transaction (a container create that failed) leaves nothing
// behind in memory either. Writes go through the graph's TxDb, so a
// container's leases commit in its create's transaction.
import { ConflictError, NotFoundError } from '../errors';
import type { Tx, TxDb } from '../state/tx';
import type { PublishedPort } from './firewall/types';
import type { IpamPool } from './types';

export type DriverName = 'bridge' | 'macvlan' | 'host' | 'null';

export interface NetworkRecord {
  id: string;
  name: string;
  driver: DriverName;
  /** RFC 3339 with nanoseconds. */
  created: string;
  enableIPv6: boolean;
  internal: boolean;
  attachable: boolean;
  ipamOptions: Record<string, string> | null;
  pools: IpamPool[];
  /** Addresses the IPAM never hands out (IPAM.Config[].AuxiliaryAddresses), by name. */
  auxAddresses: Record<string, string>;
  options: Record<string, string>;
  labels: Record<string, string>;
  /** The host link: the bridge (bridge driver) or the parent (macvlan); '' for host and null. */
  ifname: string;
  /** bridge, host and none: made by the daemon, never removed. */
  predefined: boolean;
}

export interface EndpointRecord {
  id: string;
  networkId: string;
  containerId: string;
  /** Leased addresses (no prefix). */
  ipv4: string;
  ipv6: string;
  mac: string;
  aliases: string[] | null;
  /** As the client gave them (NetworkingConfig.EndpointsConfig[].IPAMConfig). */
  ipamConfig: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  links: string[] | null;
  driverOpts: Record<string, string> | null;
  /** Names the embedded DNS answers (container name, short ID, aliases). */
  dnsNames: string[];
  /** The interface inside the container once attached (eth0, …); '' while not attached. */
  ifname: string;
  /** The host ports published through this endpoint while attached (restored into the firewall at start). */
  published?: PublishedPort[];
}

export class NetworkStore {
  constructor(readonly gdb: TxDb) {}

  all(): NetworkRecord[] {
    return (this.gdb.db.prepare('SELECT record FROM networks ORDER BY created_at').all() as { record: string }[]).map((r) => JSON.parse(r.record) as NetworkRecord);
  }

  get(id: string): NetworkRecord | undefined {
    const row = this.gdb.db.prepare('SELECT record FROM networks WHERE id = ?').get(id) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as NetworkRecord) : undefined;
  }

  /** Docker's lookup: full ID, exact name, then unique ID prefix; "network x not found" (404) otherwise. */
  resolve(ref: string): NetworkRecord {
    const found = this.find(ref);
    if (!found) throw new NotFoundError(`network ${ref} not found`);
    return found;
  }

  find(ref: string): NetworkRecord | undefined {
    if (ref === '') return undefined;
    const all = this.all();
    const exact = all.find((n) => n.id === ref) ?? all.find((n) => n.name === ref);
    if (exact) return exact;
    const matches = all.filter((n) => n.id.startsWith(ref));
    if (matches.length > 1) throw new ConflictError(`network ${ref} is ambiguous (${matches.length} matches found based on ID prefix)`);
    return matches[0];
  }

  insert(tx: Tx, rec: NetworkRecord): void {
    tx.db.prepare('INSERT INTO networks (id, name, driver, created_at, record) VALUES (?, ?, ?, ?, ?)').run(rec.id, rec.name, rec.driver, rec.created, JSON.stringify(rec));
  }

  save(rec: NetworkRecord): void {
    this.gdb.db.prepare('UPDATE networks SET record = ? WHERE id = ?').run(JSON.stringify(rec), rec.id);
  }

  delete(tx: Tx, id: string): void {
    tx.db.prepare('DELETE FROM ip_leases WHERE network_id = ?').run(id);
    tx.db.prepare('DELETE FROM ipam_cursors WHERE network_id = ?').run(id);
    tx.db.prepare('DELETE FROM networks WHERE id = ?').run(id);
  }

  // ---- endpoints -----------------------------------------------------------

  endpoints(where: { networkId?: string; containerId?: string } = {}): EndpointRecord[] {
    const clauses: string[] = [];
    const args: string[] = [];
    if (where.networkId !== undefined) clauses.push('network_id = ?') && args.push(where.networkId);
    if (where.containerId !== undefined) clauses.push('container_id = ?') && args.push(where.containerId);
    const sql = `SELECT record FROM endpoints${clauses.length ? ` WHERE ${clauses.join(' AND ')}` : ''} ORDER BY container_id, seq`;
    return (this.gdb.db.prepare(sql).all(...args) as { record: string }[]).map((r) => JSON.parse(r.record) as EndpointRecord);
  }

  endpoint(networkId: string, containerId: string): EndpointRecord | undefined {
    const row = this.gdb.db.prepare('SELECT record FROM endpoints WHERE network_id = ? AND container_id = ?').get(networkId, containerId) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as EndpointRecord) : undefined;
  }

  insertEndpoint(tx: Tx, ep: EndpointRecord): void {
    const seq = (tx.db.prepare('SELECT COALESCE(MAX(seq), -1) + 1 AS n FROM endpoints WHERE container_id = ?').get(ep.containerId) as { n: number }).n;
    tx.db.prepare('INSERT INTO endpoints (id, network_id, container_id, seq, record) VALUES (?, ?, ?, ?, ?)').run(ep.id, ep.networkId, ep.containerId, seq, JSON.stringify(ep));
  }

  saveEndpoint(ep: EndpointRecord): void {
    this.gdb.db.prepare('UPDATE endpoints SET record = ? WHERE id = ?').run(JSON.stringify(ep), ep.id);
  }

  /** The endpoint and its leases. */
  deleteEndpoint(tx: Tx, ep: EndpointRecord): void {
    tx.db.prepare('DELETE FROM ip_leases WHERE endpoint_id = ?').run(ep.id);
    tx.db.prepare('DELETE FROM endpoints WHERE id = ?').run(ep.id);
  }

  // ---- leases --------------------------------------------------------------

  leased(networkId: string): Set<string> {
    return new Set((this.gdb.db.prepare('SELECT address FROM ip_leases WHERE network_id = ?').all(networkId) as { address: string }[]).map((r) => r.address));
  }

  /** Leases `address`; false when it is taken. */
  lease(tx: Tx, networkId: string, address: string, endpointId: string): boolean {
    return tx.db.prepare('INSERT OR IGNORE INTO ip_leases (network_id, address, endpoint_id) VALUES (?, ?, ?)').run(networkId, address, endpointId).changes === 1;
  }

  cursor(networkId: string, subnet: string): string | undefined {
    return (this.gdb.db.prepare('SELECT last FROM ipam_cursors WHERE network_id = ? AND subnet = ?').get(networkId, subnet) as { last: string } | undefined)?.last;
  }

  setCursor(tx: Tx, networkId: string, subnet: string, last: string): void {
    tx.db.prepare('INSERT INTO ipam_cursors (network_id, subnet, last) VALUES (?, ?, ?) ON CONFLICT (network_id, subnet) DO UPDATE SET last = excluded.last').run(networkId, subnet, last);
  }
}
