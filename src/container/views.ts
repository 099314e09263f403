// What the API shows of a container: GET /containers/json entries (with
// Docker's filters and Status text) and GET /containers/{id}/json.
import type { ContainerInspect, NetworkSettings } from '../api/containers';
import type { ContainerSummary } from '../api/types';
import { humanDuration, unixNanos } from '../api/time';
import { InvalidArgumentError } from '../errors';
import { labelMatch, parseUntil } from '../graph/image/filters';
import { mountPoints } from '../runtime/mount-specs';
import { recordMountPoints } from './mount-points';
import type { ContainerPaths } from './files';
import { inspectLogPath } from './log-config';
import type { ContainerRecord } from './store';

const unix = (rfc: string): number => Math.floor(Date.parse(rfc) / 1000);

/** ps's STATUS column: "Up 3 seconds", "Exited (0) 2 minutes ago", "Created". */
export function statusText(rec: ContainerRecord, now = Date.now()): string {
  const s = rec.state;
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Dead) return 'Dead';
  if (s.Running) {
    const up = `Up ${humanDuration(now - Date.parse(s.StartedAt))}`;
    if (s.Paused) return `${up} (Paused)`;
    const health = s.Health && s.Health.Status !== 'none' ? ` (${s.Health.Status === 'starting' ? 'health: starting' : s.Health.Status})` : '';
    return up + health;
  }
  if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  if (s.FinishedAt.startsWith('0001-')) return 'Created';
  return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
}

/** `net`: the container's NetworkSettings from the network driver (inspect's), when there is one. */
export function summary(rec: ContainerRecord, net?: NetworkSettings): ContainerSummary {
  return {
    Id: rec.id,
    Names: [rec.name],
    Image: rec.config.Image,
    ImageID: rec.imageId,
    // dockerd quotes the arguments holding a space (daemon/list.go).
    Command: [rec.path, ...rec.args.map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' '),
    Created: unix(rec.created),
    Ports: net ? summaryPorts(net.Ports) : [],
    Labels: rec.config.Labels ?? {},
    State: rec.state.Status,
    Status: statusText(rec),
    HostConfig: { NetworkMode: rec.hostConfig.NetworkMode ?? 'default' },
    NetworkSettings: { Networks: net ? net.Networks : networks(rec) },
    Mounts: [...mountPoints(rec.hostConfig), ...recordMountPoints(rec.mountPoints)],
  };
}

export interface ListOptions {
  all: boolean;
  limit?: number;
  filters: Record<string, string[]>;
}

const FILTERS = new Set(['id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'until', 'network', 'health', 'is-task', 'volume', 'publish', 'expose']);
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

/** Newest first, like Docker; `resolve` finds a container for before/since and `ancestorOf` tells an image's ID and its names. */
export function list(
  all: ContainerRecord[],
  opts: ListOptions,
  resolve: (ref: string) => ContainerRecord,
  imageMatches: (rec: ContainerRecord, ancestor: string) => boolean,
): ContainerRecord[] {
  const f = opts.filters;
  for (const k of Object.keys(f)) if (!FILTERS.has(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
  for (const s of f.status ?? []) {
    if (!STATUSES.has(s)) throw new InvalidArgumentError(`invalid filter 'status=${s}'`);
  }
  const exited = (f.exited ?? []).map((v) => {
    if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`invalid filter 'exited=${v}'`);
    return Number(v);
  });
  const before = (f.before ?? []).map((r) => Date.parse(resolve(r).created));
  const since = (f.since ?? []).map((r) => Date.parse(resolve(r).created));
  const until = (f.until ?? []).map((v) => parseUntil(v) * 1000);
  const newestFirst = (a: ContainerRecord, b: ContainerRecord) => {
    const age = unixNanos(b.created) - unixNanos(a.created);
    return age > 0n ? 1 : age < 0n ? -1 : 0;
  };
  let sorted = [...all].sort(newestFirst);
  // `all` is implied by filters that name stopped containers, as Docker does.
  const showAll = opts.all || (f.status?.length ?? 0) > 0 || exited.length > 0 || before.length > 0 || since.length > 0;
  sorted = sorted.filter((c) => {
    if (!showAll && !c.state.Running) return false;
    if (f.id?.length && !f.id.some((p) => c.id.startsWith(p))) return false;
    if (f.name?.length && !f.name.some((p) => new RegExp(p).test(c.name.slice(1)) || new RegExp(p).test(c.name))) return false;
    if (f.label?.length && !f.label.every((l) => labelMatch(c.config.Labels ?? {}, l))) return false;
    if (f.status?.length && !f.status.includes(c.state.Status)) return false;
    if (exited.length && (c.state.Running || c.state.FinishedAt.startsWith('0001-') || !exited.includes(c.state.ExitCode))) return false;
    if (f.ancestor?.length && !f.ancestor.some((a) => imageMatches(c, a))) return false;
    const t = Date.parse(c.created);
    if (before.length && !before.every((b) => t < b)) return false;
    if (since.length && !since.every((s) => t > s)) return false;
    if (until.length && !until.every((u) => t < u)) return false;
    if (f.health?.length && !f.health.includes(c.state.Health?.Status ?? 'none')) return false;
    // dockerd matches a mount's destination, or its name (its source for a bind).
    if (f.volume?.length && ![...mountPoints(c.hostConfig), ...recordMountPoints(c.mountPoints)].some((m) => f.volume!.includes(m.Destination) || f.volume!.includes(m.Name || m.Source))) return false;
    return true;
  });
  if (opts.limit !== undefined && opts.limit > 0) sorted = sorted.slice(0, opts.limit);
  return sorted;
}

function networks(rec: ContainerRecord): NetworkSettings['Networks'] {
  const mode = rec.hostConfig.NetworkMode ?? 'default';
  if (mode !== 'host' && mode !== 'none') return {};
  return {
    [mode]: {
      IPAMConfig: null,
      Links: null,
      Aliases: null,
      MacAddress: '',
      DriverOpts: null,
      GwPriority: 0,
      NetworkID: '',
      EndpointID: '',
      Gateway: '',
      IPAddress: '',
      IPPrefixLen: 0,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      DNSNames: null,
    },
  };
}

/** The Ports of a list entry: published ports with IP and PublicPort, exposed ones alone. */
function summaryPorts(ports: NetworkSettings['Ports']): ContainerSummary['Ports'] {
  const out: ContainerSummary['Ports'] = [];
  for (const [key, bindings] of Object.entries(ports)) {
    const [port = '', proto = 'tcp'] = key.split('/');
    if (!bindings) out.push({ PrivatePort: Number(port), Type: proto });
    else for (const b of bindings) out.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: proto });
  }
  return out;
}

export function inspect(rec: ContainerRecord, paths: ContainerPaths, lowerDirs: string[], execIds: string[], net?: NetworkSettings): ContainerInspect {
  return {
    Id: rec.id,
    Created: rec.created,
    Path: rec.path,
    Args: rec.args,
    State: rec.state,
    Image: rec.imageId,
    ResolvConfPath: paths.resolvConfPath(rec.id),
    HostnamePath: paths.hostnamePath(rec.id),
    HostsPath: paths.hostsPath(rec.id),
    LogPath: inspectLogPath(rec.hostConfig.LogConfig, paths, rec.id),
    Name: rec.name,
    RestartCount: rec.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: execIds.length ? execIds : null,
    HostConfig: rec.hostConfig,
    GraphDriver: {
      Name: 'overlay2',
      Data: {
        LowerDir: lowerDirs.join(':'),
        MergedDir: paths.rootfs(rec.id),
        UpperDir: paths.upper(rec.id),
        WorkDir: paths.work(rec.id),
      },
    },
    Mounts: [...mountPoints(rec.hostConfig), ...recordMountPoints(rec.mountPoints)],
    Config: rec.config,
    NetworkSettings: net ?? {
      Bridge: '',
      SandboxID: '',
      SandboxKey: '',
      Ports: {},
      Networks: networks(rec),
    },
  };
}
