// `network create`'s --subnet/--ip-range/--gateway/--aux-address grouped per
// subnet as docker CLI 28's createIPAMConfig does, with its messages.
import { BlockList, isIP } from 'node:net';

export interface IpamConfig {
  Subnet: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** net.ParseCIDR's failure text. */
class CidrError extends Error {}

function parseCidr(cidr: string): { addr: string; prefix: number; family: 4 | 6 } {
  const slash = cidr.indexOf('/');
  const addr = slash < 0 ? '' : cidr.slice(0, slash);
  const prefix = slash < 0 ? NaN : Number(cidr.slice(slash + 1));
  const family = isIP(addr);
  if (family === 0 || !/^\d+$/.test(cidr.slice(slash + 1)) || prefix > (family === 4 ? 32 : 128)) throw new CidrError(`invalid CIDR address: ${cidr}`);
  return { addr, prefix, family: family as 4 | 6 };
}

/** subnetMatches: does `subnet` contain `data` (an address, or a CIDR's address)? */
function subnetMatches(subnet: string, data: string): boolean {
  let s: ReturnType<typeof parseCidr>;
  try {
    s = parseCidr(subnet);
  } catch (err) {
    throw new Error(`invalid subnet: ${(err as Error).message}`);
  }
  const ip = data.includes('/') ? parseCidr(data).addr : data;
  const family = isIP(ip);
  if (family !== s.family) return false;
  const list = new BlockList();
  list.addSubnet(s.addr, s.prefix, family === 4 ? 'ipv4' : 'ipv6');
  return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/** The IPAM configs for the flags, or docker's error. */
export function ipamConfigs(o: { subnets: string[]; ranges: string[]; gateways: string[]; aux: Array<[string, string]> }): IpamConfig[] {
  if (o.subnets.length < o.ranges.length || o.subnets.length < o.gateways.length) throw new Error('every ip-range or gateway must have a corresponding subnet');
  const data = new Map<string, IpamConfig>();
  for (const s of o.subnets) {
    for (const k of data.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) throw new Error('multiple overlapping subnet configuration is not supported');
    }
    data.set(s, { Subnet: s });
  }
  const place = (what: 'IPRange' | 'Gateway', value: string, label: string) => {
    let match = false;
    for (const s of o.subnets) {
      if (!subnetMatches(s, value)) continue;
      const d = data.get(s)!;
      if (d[what] !== undefined) {
        throw new Error(what === 'IPRange' ? `cannot configure multiple ranges (${value}, ${d[what]}) on the same subnet (${s})` : `cannot configure multiple gateways (${value}, ${d[what]}) for the same subnet (${s})`);
      }
      d[what] = value;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for ${label} ${value}`);
  };
  for (const r of o.ranges) place('IPRange', r, 'range');
  for (const g of o.gateways) place('Gateway', g, 'gateway');
  for (const [key, addr] of o.aux) {
    let match = false;
    for (const s of o.subnets) {
      if (!subnetMatches(s, addr)) continue;
      (data.get(s)!.AuxiliaryAddresses ??= {})[key] = addr;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for aux-address ${addr}`);
  }
  // Keys in docker's struct order; AuxiliaryAddresses sorted as a Go map.
  return [...data.values()].map((d) => ({
    Subnet: d.Subnet,
    ...(d.IPRange !== undefined ? { IPRange: d.IPRange } : {}),
    ...(d.Gateway !== undefined ? { Gateway: d.Gateway } : {}),
    ...(d.AuxiliaryAddresses ? { AuxiliaryAddresses: Object.fromEntries(Object.entries(d.AuxiliaryAddresses).sort(([a], [b]) => (a < b ? -1 : 1))) } : {}),
  }));
}
