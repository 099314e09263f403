// A network create body checked as dockerd checks it and turned into the
// record the IPAM and the driver work from. The subnets a client names are
// checked against each other and against our other networks; the ones left
// to us are chosen later, under the host-wide IPAM lock (pools.ts).
import { randomBytes } from 'node:crypto';
import type { NetworkCreateBody } from '../api/networks';
import { nowRfc3339Nano } from '../api/time';
import { ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError } from '../errors';
import { contains, formatAddr, formatPrefix, overlaps, parseAddr, parsePrefix } from './ip';
import { checkMacvlanOptions } from './macvlan';
import type { DriverName, NetworkRecord } from './records';
import type { IpamPool } from './types';

export const BRIDGE_NAME_OPT = 'com.docker.network.bridge.name';
export const MTU_OPT = 'com.docker.network.driver.mtu';
/** Bridge options honoured (net-fw reads icc, masquerade and the binding address). */
const BRIDGE_OPTS = new Set([BRIDGE_NAME_OPT, MTU_OPT, 'com.docker.network.bridge.enable_icc', 'com.docker.network.bridge.enable_ip_masquerade', 'com.docker.network.bridge.host_binding_ipv4']);

function checkBridgeOptions(options: Record<string, string>): void {
  for (const key of Object.keys(options)) {
    // Docker ignores options it does not know; those of its own it has not got here are refused, not dropped.
    if (key.startsWith('com.docker.network.') && !BRIDGE_OPTS.has(key)) throw new InvalidArgumentError(`network option ${key} is not supported by tsdocker`);
  }
  const name = options[BRIDGE_NAME_OPT];
  if (name !== undefined && !/^[A-Za-z0-9_.-]{1,15}$/.test(name)) throw new InvalidArgumentError(`invalid bridge name ${JSON.stringify(name)}: at most 15 letters, digits, '.', '_' or '-'`);
  const mtu = options[MTU_OPT];
  if (mtu !== undefined && !(/^\d+$/.test(mtu) && Number(mtu) >= 68 && Number(mtu) <= 65535)) throw new InvalidArgumentError(`invalid MTU number: ${mtu}`);
}

function checkTopLevel(body: NetworkCreateBody, existing: readonly NetworkRecord[]): DriverName {
  const name = body.Name ?? '';
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('network name is required');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw new InvalidArgumentError(`invalid network name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  if (existing.some((n) => n.name === name)) throw new ConflictError(`network with name ${name} already exists`);
  const driver = body.Driver || 'bridge';
  if (driver === 'host' || driver === 'null') throw new ForbiddenError(`only one instance of "${driver}" network is allowed`);
  if (driver === 'overlay' || driver === 'ipvlan') throw new InvalidArgumentError(`the ${driver} driver is not supported by tsdocker (one machine; multi-host goes through Kubernetes)`);
  if (driver !== 'bridge' && driver !== 'macvlan') throw new NotFoundError(`plugin "${driver}" not found`);
  if (body.Ingress) throw new ForbiddenError('ingress networks are only for swarm mode, which tsdocker does not support');
  if (body.ConfigOnly || (body.ConfigFrom?.Network ?? '') !== '') throw new InvalidArgumentError('config-only networks (--config-only, --config-from) are not supported by tsdocker');
  if (!['', 'local'].includes(body.Scope ?? '')) throw new InvalidArgumentError(`scope ${body.Scope} is not supported by tsdocker: only local`);
  if (!['', 'default'].includes(body.IPAM?.Driver ?? '')) throw new NotFoundError(`plugin "${body.IPAM?.Driver}" not found`);
  if (body.EnableIPv4 === false) throw new InvalidArgumentError('networks without IPv4 (EnableIPv4 false) are not supported by tsdocker');
  return driver;
}

/** The client's IPAM.Config checked: subnets valid and disjoint, gateways and ranges inside them. */
function clientPools(body: NetworkCreateBody, others: readonly NetworkRecord[]): IpamPool[] {
  const pools: IpamPool[] = [];
  for (const c of body.IPAM?.Config ?? []) {
    if (!c.Subnet) {
      if (c.Gateway || c.IPRange) throw new InvalidArgumentError('a gateway or an IP range needs a subnet (--subnet)');
      continue;
    }
    const subnet = parsePrefix(c.Subnet);
    let gateway = '';
    if (c.Gateway) {
      const g = parseAddr(c.Gateway);
      if (!g || !contains(subnet, g.family, g.value)) throw new InvalidArgumentError(`no matching subnet for gateway ${c.Gateway}`);
      gateway = formatAddr(g.family, g.value);
    } else gateway = formatAddr(subnet.family, subnet.base + 1n);
    let ipRange: string | undefined;
    if (c.IPRange) {
      const r = parsePrefix(c.IPRange);
      if (!overlaps(r, subnet) || r.bits < subnet.bits) throw new InvalidArgumentError(`no matching subnet for range ${c.IPRange}`);
      ipRange = formatPrefix(r);
    }
    const pool: IpamPool = { subnet: formatPrefix(subnet), gateway, ...(ipRange ? { ipRange } : {}) };
    for (const p of [...pools, ...others.flatMap((n) => n.pools)]) {
      if (overlaps(parsePrefix(p.subnet), subnet)) throw new ForbiddenError('Pool overlaps with other one on this address space');
    }
    pools.push(pool);
  }
  return pools;
}

export function auxAddresses(body: NetworkCreateBody, pools: readonly IpamPool[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of body.IPAM?.Config ?? []) {
    for (const [name, addr] of Object.entries(c.AuxiliaryAddresses ?? {})) {
      const a = parseAddr(addr);
      if (!a || !pools.some((p) => contains(parsePrefix(p.subnet), a.family, a.value))) throw new InvalidArgumentError(`invalid auxiliary address ${name}=${addr}: not in a subnet of the network`);
      out[name] = formatAddr(a.family, a.value);
    }
  }
  return out;
}

/** The record of the network `body` asks for; its subnets still to be chosen where `pools` has no entry of a family. */
export function newNetworkRecord(body: NetworkCreateBody, existing: readonly NetworkRecord[]): NetworkRecord {
  if (typeof body !== 'object' || body === null) throw new InvalidArgumentError('invalid JSON: a network create body is an object');
  const driver = checkTopLevel(body, existing);
  const options = { ...(body.Options ?? {}) };
  const pools = clientPools(body, existing);
  const enableIPv6 = body.EnableIPv6 === true;
  if (!enableIPv6 && pools.some((p) => p.subnet.includes(':'))) throw new InvalidArgumentError('an IPv6 subnet needs IPv6 enabled on the network (--ipv6)');
  let ifname = '';
  if (driver === 'bridge') {
    checkBridgeOptions(options);
    ifname = options[BRIDGE_NAME_OPT] ?? '';
    if (ifname !== '' && existing.some((n) => n.driver === 'bridge' && n.ifname === ifname)) throw new ForbiddenError(`bridge name ${ifname} is already in use by another network`);
  } else ifname = checkMacvlanOptions(options);
  return {
    id: randomBytes(32).toString('hex'),
    name: body.Name!,
    driver,
    created: nowRfc3339Nano(),
    enableIPv6,
    internal: body.Internal === true,
    attachable: body.Attachable === true,
    ipamOptions: body.IPAM?.Options ?? null,
    pools,
    auxAddresses: auxAddresses(body, pools),
    options,
    labels: body.Labels ?? {},
    ifname,
    predefined: false,
  };
}
