// What the API shows of networks: GET /networks/{id} and the entries of
// GET /networks with Docker's filters (driver, id, label, name, scope, type,
// dangling), in dockerd 28's field order.
import type { NetworkContainer, NetworkInspect } from '../api/networks';
import { InvalidArgumentError } from '../errors';
import type { EndpointRecord, NetworkRecord } from './records';

export function networkInspect(net: NetworkRecord, containers: Record<string, NetworkContainer>): NetworkInspect {
  return {
    Name: net.name,
    Id: net.id,
    Created: net.created,
    Scope: 'local',
    Driver: net.driver,
    EnableIPv4: true,
    EnableIPv6: net.enableIPv6,
    IPAM: {
      Driver: 'default',
      Options: net.ipamOptions,
      Config: net.pools.map((p) => ({ Subnet: p.subnet, ...(p.ipRange ? { IPRange: p.ipRange } : {}), ...(p.gateway ? { Gateway: p.gateway } : {}) })),
    },
    Internal: net.internal,
    Attachable: net.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: net.options,
    Labels: net.labels,
  };
}

export function networkContainer(net: NetworkRecord, ep: EndpointRecord, name: string): NetworkContainer {
  const prefix = (family: 4 | 6) => net.pools.find((p) => p.subnet.includes(':') === (family === 6))?.subnet.split('/')[1] ?? '';
  return {
    Name: name,
    EndpointID: ep.id,
    MacAddress: ep.mac,
    IPv4Address: ep.ipv4 ? `${ep.ipv4}/${prefix(4)}` : '',
    IPv6Address: ep.ipv6 ? `${ep.ipv6}/${prefix(6)}` : '',
  };
}

const FILTERS = new Set(['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling']);

function labelMatches(labels: Record<string, string>, want: string): boolean {
  const eq = want.indexOf('=');
  if (eq < 0) return want in labels;
  return labels[want.slice(0, eq)] === want.slice(eq + 1);
}

function truthy(key: string, v: string): boolean {
  if (['true', '1'].includes(v.toLowerCase())) return true;
  if (['false', '0'].includes(v.toLowerCase())) return false;
  throw new InvalidArgumentError(`invalid filter '${key}=${v}'`);
}

/** Docker's network filters; `inUse` tells whether a network has endpoints. */
export function filterNetworks(all: readonly NetworkRecord[], filters: Record<string, string[]>, inUse: (id: string) => boolean): NetworkRecord[] {
  for (const k of Object.keys(filters)) if (!FILTERS.has(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
  const f = filters;
  for (const t of f['type'] ?? []) if (t !== 'custom' && t !== 'builtin') throw new InvalidArgumentError(`invalid filter: 'type'='${t}'`);
  const dangling = (f['dangling'] ?? []).map((v) => truthy('dangling', v));
  const regexMatch = (values: string[] | undefined, s: string) => !values?.length || values.some((v) => s.includes(v) || safeRegex(v)?.test(s) === true);
  return all.filter((n) => {
    if (f['driver']?.length && !f['driver'].includes(n.driver)) return false;
    if (!regexMatch(f['id'], n.id)) return false;
    if (!regexMatch(f['name'], n.name)) return false;
    if (f['scope']?.length && !f['scope'].includes('local')) return false;
    if (f['label']?.length && !f['label'].every((l) => labelMatches(n.labels, l))) return false;
    if (f['type']?.length && !f['type'].includes(n.predefined ? 'builtin' : 'custom')) return false;
    if (dangling.length && !dangling.every((d) => d === (!n.predefined && !inUse(n.id)))) return false;
    return true;
  });
}

function safeRegex(s: string): RegExp | undefined {
  try {
    return new RegExp(s);
  } catch {
    return undefined;
  }
}
