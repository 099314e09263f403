// What a container's start needs of its networks, from its record: the view
// the network side works from (netInfo), its published ports (PortBindings,
// and -P's exposed ports), the /etc files with its addresses, --add-host,
// --dns* and legacy links, the links' environment variables, and the
// namespace a `container:<x>` mode joins.
import { copyFileSync } from 'node:fs';
import { portBindings as apiPortBindings } from '../api/ports';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../errors';
import type { ContainerNetInfo } from '../network/endpoints';
import type { ContainerNetworking } from '../network/container-net';
import type { PortBinding } from '../network/types';
import { etcModeOf, writeEtcFiles, type ContainerPaths } from './files';
import type { ContainerRecord } from './store';

export interface NetworkingDeps {
  paths: ContainerPaths;
  networking?: ContainerNetworking;
  /** Another container by name or ID (container:<x> mode, links). */
  findContainer?: (ref: string) => ContainerRecord | undefined;
  /** daemon.json dns, dns-search, dns-opts: for containers that set none of their own. */
  defaultDns?: DnsDefaults;
}

export interface DnsDefaults {
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
}

/** The container's --dns, --dns-search, --dns-option, else the daemon's (each on its own, as dockerd). */
export function dnsOf(rec: ContainerRecord, defaults: DnsDefaults | undefined): DnsDefaults {
  const hc = rec.hostConfig;
  const pick = (own: string[] | null | undefined, dflt: string[] | undefined) => ((own ?? []).length > 0 ? own! : (dflt ?? []));
  return { dns: pick(hc.Dns, defaults?.dns), dnsSearch: pick(hc.DnsSearch, defaults?.dnsSearch), dnsOptions: pick(hc.DnsOptions, defaults?.dnsOptions) };
}

export const networkModeOf = (rec: ContainerRecord): string => rec.hostConfig.NetworkMode ?? 'default';
export const hostnameOf = (rec: ContainerRecord): string => rec.config.Hostname || rec.id.slice(0, 12);

export function netInfo(rec: ContainerRecord): ContainerNetInfo {
  return { id: rec.id, name: rec.name, networkMode: networkModeOf(rec), running: rec.state.Running, pid: rec.state.Pid };
}

/**
 * What dockerd's bridge driver programs (src/api/ports.ts): every exposed port
 * (Config.ExposedPorts and PortBindings' keys, nat.Sort order) with its
 * bindings, or one ephemeral binding under PublishAllPorts when it has none.
 */
export function portBindings(rec: ContainerRecord): PortBinding[] {
  return apiPortBindings(rec.config.ExposedPorts, rec.hostConfig);
}

/** The running container a `container:<x>` mode names (dockerd's refusal when it does not run). */
export function joinedContainer(deps: NetworkingDeps, rec: ContainerRecord): ContainerRecord {
  const ref = networkModeOf(rec).slice('container:'.length);
  const other = deps.findContainer?.(ref);
  if (!other) throw new NotFoundError(`No such container: ${ref}`);
  if (!other.state.Running || other.state.Pid <= 0) throw new ConflictError(`cannot join network namespace of a non running container: ${other.id}`);
  return other;
}

interface Link {
  rec: ContainerRecord;
  alias: string;
  ip: string;
}

/** HostConfig.Links ("name:alias", or dockerd's "/name:/me/alias") resolved to running containers on the default bridge. */
function links(deps: NetworkingDeps, rec: ContainerRecord): Link[] {
  return (rec.hostConfig.Links ?? []).map((l) => {
    const [nameIn = '', aliasIn] = l.split(':');
    const name = nameIn.replace(/^\//, '');
    const alias = (aliasIn ?? name).split('/').pop()!;
    const other = deps.findContainer?.(name);
    if (!other) throw new InvalidArgumentError(`could not get container for ${name}`);
    if (!other.state.Running) throw new ConflictError(`Cannot link to a non running container: ${other.name} AS ${rec.name}/${alias}`);
    const ip = deps.networking?.addresses(other.id, 'bridge').find((a) => !a.includes(':')) ?? '';
    return { rec: other, alias, ip };
  });
}

/** Docker's link variables: <ALIAS>_NAME, _PORT, _PORT_<n>_<proto>{,_ADDR,_PORT,_PROTO}, _ENV_<var>. */
export function linkEnv(deps: NetworkingDeps, rec: ContainerRecord): string[] {
  const env: string[] = [];
  for (const l of links(deps, rec)) {
    const prefix = l.alias.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
    const ports = Object.keys(l.rec.config.ExposedPorts ?? {}).map((k) => k.split('/') as [string, string?]).sort((a, b) => Number(a[0]) - Number(b[0]));
    env.push(`${prefix}_NAME=${rec.name}/${l.alias}`);
    if (ports.length > 0) env.push(`${prefix}_PORT=${ports[0]![1] ?? 'tcp'}://${l.ip}:${ports[0]![0]}`);
    for (const [port, proto = 'tcp'] of ports) {
      const p = `${prefix}_PORT_${port}_${proto.toUpperCase()}`;
      env.push(`${p}=${proto}://${l.ip}:${port}`, `${p}_ADDR=${l.ip}`, `${p}_PORT=${port}`, `${p}_PROTO=${proto}`);
    }
    for (const e of l.rec.config.Env ?? []) {
      const eq = e.indexOf('=');
      const key = eq < 0 ? e : e.slice(0, eq);
      if (key === 'HOME' || key === 'PATH' || key === 'HOSTNAME') continue;
      env.push(`${prefix}_ENV_${e}`);
    }
  }
  return env;
}

/** The mounts step's /etc files: the joined container's for container:<x>, else Docker's with the container's addresses. */
export function writeContainerEtc(deps: NetworkingDeps, rec: ContainerRecord): void {
  const { paths } = deps;
  const mode = networkModeOf(rec);
  if (mode.startsWith('container:')) {
    const other = joinedContainer(deps, rec);
    for (const f of ['hostnamePath', 'hostsPath', 'resolvConfPath'] as const) copyFileSync(paths[f](other.id), paths[f](rec.id));
    return;
  }
  const hc = rec.hostConfig;
  const net = deps.networking;
  const addresses = net?.addresses(rec.id) ?? [];
  const etcMode = etcModeOf(mode);
  writeEtcFiles(paths, rec.id, hostnameOf(rec), rec.config.Domainname ?? '', mode, {
    ...(addresses.length > 0 ? { addresses } : {}),
    extraHosts: hc.ExtraHosts ?? [],
    links: links(deps, rec).map((l) => ({ alias: l.alias, name: l.rec.name.slice(1), ip: l.ip, hostname: hostnameOf(l.rec) })),
    hostGateway: net?.hostGateway() ?? [],
    ...dnsOf(rec, deps.defaultDns),
    ipv6: addresses.some((a) => a.includes(':')),
    embedded: etcMode === 'user' && (net?.onUserNetwork(rec.id) ?? false),
  });
}
