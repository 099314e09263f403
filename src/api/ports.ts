// Published ports as the Engine API carries them (go-connections/nat):
// "80/tcp" keys, HostPort "8080", "8000-8010" or "" (ephemeral). dockerd's
// create-time checks (daemon/container.go validateHostConfig) and the list of
// bindings its bridge driver programs (buildCreateEndpointOptions): every
// exposed port in order, its PortBindings, an ephemeral one under
// PublishAllPorts when it has none.
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../errors';
import type { HostConfig } from './containers';

export type PortProto = 'tcp' | 'udp' | 'sctp';

/** One host binding to program: hostPort 0 = ephemeral; hostPortEnd for HostPort "8000-8010". */
export interface PortBindingSpec {
  protocol: PortProto;
  containerPort: number;
  hostIp: string;
  hostPort: number;
  hostPortEnd?: number;
}

/** nat.SplitProtoPort: "80/udp" → ['udp', '80'], "80" → ['tcp', '80'], "" → ['', '']. */
export function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw === '' || parts[0] === '') return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1] === '') return ['tcp', parts[0]!];
  return [parts[1]!, parts[0]!];
}

/** nat.ParsePortRangeToInt: '' → [0, 0]; "8000-8010"; undefined when it does not parse. */
export function parsePortRange(raw: string): [number, number] | undefined {
  if (raw === '') return [0, 0];
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(raw);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > 65535 || end > 65535 || end < start) return undefined;
  return [start, end];
}

/** nat.ParsePort: one port number or '' (0). */
function parseOnePort(raw: string): number | undefined {
  if (raw === '') return 0;
  if (!/^\d{1,5}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n <= 65535 ? n : undefined;
}

function isProto(p: string): p is PortProto {
  return p === 'tcp' || p === 'udp' || p === 'sctp';
}

/**
 * dockerd's checks of HostConfig.PortBindings ("invalid port specification:
 * \"abc\"", 400), and what tsdocker cannot program refused at create rather
 * than at start: a protocol other than tcp, udp, sctp and a HostIp that is no
 * IP address.
 */
export function validatePortBindings(hc: Pick<HostConfig, 'PortBindings'>): void {
  for (const [key, list] of Object.entries(hc.PortBindings ?? {})) {
    const [proto, port] = splitProtoPort(key);
    if (parseOnePort(port) === undefined) throw new InvalidArgumentError(`invalid port specification: ${JSON.stringify(port)}`);
    for (const pb of list ?? []) {
      const [, hostPort] = splitProtoPort(pb.HostPort ?? '');
      if (parsePortRange(hostPort) === undefined) throw new InvalidArgumentError(`invalid port specification: ${JSON.stringify(pb.HostPort ?? '')}`);
      const ip = pb.HostIp ?? '';
      if (ip !== '' && isIP(ip) === 0) throw new InvalidArgumentError(`invalid IP address: ${ip}`);
    }
    if (key !== '' && !isProto(proto.toLowerCase())) throw new InvalidArgumentError(`invalid proto: ${proto}`);
  }
}

/** "80/tcp" as [port, proto], or undefined for a key nothing can publish ("abc/tcp", "80/foo"). */
export function parsePortKey(key: string): [number, PortProto] | undefined {
  const [proto, port] = splitProtoPort(key);
  const n = parseOnePort(port);
  const p = proto.toLowerCase();
  if (n === undefined || n === 0 || !isProto(p)) return undefined;
  return [n, p];
}

/** The container's exposed ports (Config.ExposedPorts with PortBindings' keys) in nat.Sort order: by port, then protocol. */
export function exposedPorts(exposed: Record<string, unknown> | undefined | null, hc: Pick<HostConfig, 'PortBindings'>): string[] {
  const keys = new Map<string, [number, PortProto]>();
  for (const key of [...Object.keys(exposed ?? {}), ...Object.keys(hc.PortBindings ?? {})]) {
    const parsed = parsePortKey(key);
    if (parsed) keys.set(`${parsed[0]}/${parsed[1]}`, parsed);
  }
  return [...keys.entries()].sort(([, a], [, b]) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)).map(([k]) => k);
}

/** What the bridge driver programs: for each exposed port its bindings, or one ephemeral binding under PublishAllPorts. */
export function portBindings(exposed: Record<string, unknown> | undefined | null, hc: Pick<HostConfig, 'PortBindings' | 'PublishAllPorts'>): PortBindingSpec[] {
  const byKey = new Map<string, Array<{ HostIp?: string; HostPort?: string }>>();
  for (const [key, list] of Object.entries(hc.PortBindings ?? {})) {
    const parsed = parsePortKey(key);
    if (parsed) byKey.set(`${parsed[0]}/${parsed[1]}`, [...(byKey.get(`${parsed[0]}/${parsed[1]}`) ?? []), ...(list ?? [])]);
  }
  const out: PortBindingSpec[] = [];
  for (const key of exposedPorts(exposed, hc)) {
    const [containerPort, protocol] = parsePortKey(key)!;
    let list = byKey.get(key) ?? [];
    if (list.length === 0 && hc.PublishAllPorts === true) list = [{}];
    for (const pb of list) {
      const [start, end] = parsePortRange(splitProtoPort(pb.HostPort ?? '')[1]) ?? [0, 0];
      out.push({ protocol, containerPort, hostIp: pb.HostIp ?? '', hostPort: start, ...(end > start ? { hostPortEnd: end } : {}) });
    }
  }
  return out;
}
