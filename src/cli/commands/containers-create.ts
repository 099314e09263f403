// run's and create's flags as the POST /containers/create request, field for
// field as docker/cli's opts.go `parse` builds Config, HostConfig (its
// Resources among them) and NetworkingConfig. The body's keys come in Go's
// struct order and maps with sorted keys, so the JSON sent is the docker CLI's
// byte for byte.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { readEnv, readLabels } from './containers-env';
import { parsePorts } from './containers-mounts';
import { networkingConfig, networkMode } from './containers-network';
import { FlagError, parseRestart, type ContainerFlags } from './containers-opts';
import { goPathError, sortedMap, splitKV } from './containers-units';
import { checkPlatform } from '../platform';

/** The create request: its body, and the query (name, platform). */
export interface CreateRequest {
  body: Record<string, unknown>;
  query: { name?: string; platform?: string };
}

function normalizeCaps(caps: string[] | undefined): string[] | null {
  if (!caps?.length) return null;
  const norm = caps.map((c) => {
    const up = c.trim().toUpperCase();
    return up === 'ALL' || up.startsWith('CAP_') ? up : `CAP_${up}`;
  });
  return [...new Set(norm)].sort();
}


/** --security-opt: `key=value` (or the old `key:value`); a seccomp profile file is sent inline. */
function parseSecurityOpts(list: string[] | undefined): { opts: string[] | null; unconfinedPaths: boolean } {
  if (!list) return { opts: null, unconfinedPaths: false };
  const out: string[] = [];
  let unconfinedPaths = false;
  for (const opt of list) {
    let sep = opt.indexOf('=');
    if (sep < 0 && opt !== 'no-new-privileges') sep = opt.indexOf(':');
    const [key, value] = sep < 0 ? [opt, ''] : [opt.slice(0, sep), opt.slice(sep + 1)];
    if (value === '' && key !== 'no-new-privileges') throw new FlagError(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    if (opt === 'systempaths=unconfined') {
      unconfinedPaths = true;
      continue;
    }
    if (key === 'seccomp' && value !== 'builtin' && value !== 'unconfined') {
      let profile: string;
      try {
        profile = readFileSync(value, 'utf8');
      } catch (err) {
        throw new FlagError(`opening seccomp profile (${value}) failed: ${goPathError(err)}`);
      }
      try {
        out.push(`seccomp=${JSON.stringify(JSON.parse(profile))}`);
      } catch (err) {
        throw new FlagError(`compacting json for seccomp profile (${value}) failed: ${(err as Error).message}`);
      }
      continue;
    }
    out.push(opt);
  }
  return { opts: out, unconfinedPaths };
}

function checkMode(mode: string | undefined, valid: (m: string) => boolean, message: string): string {
  const m = mode ?? '';
  if (m !== '' && !valid(m)) throw new FlagError(message);
  return m;
}

/** -v: a bind (`src:dst[:mode]`, sent as given) or an anonymous volume (`/dst`). */
function splitVolumes(specs: string[] | undefined): { binds: string[] | null; volumes: Record<string, Record<string, never>> } {
  const binds: string[] = [];
  const anonymous: Array<[string, Record<string, never>]> = [];
  for (const spec of specs ?? []) {
    if (spec === '') throw new FlagError('invalid empty volume spec');
    const parts = spec.split(':');
    if (spec.length > 2 && parts.includes('')) throw new FlagError(`invalid spec: ${spec}: empty section between colons`);
    if (parts.length > 3) throw new FlagError(`invalid spec: ${spec}: too many colons`);
    if (parts.length === 1) {
      anonymous.push([spec, {}]);
      continue;
    }
    const [host, ...rest] = parts;
    // Relative host paths ("./data") are made absolute, as docker 28 does.
    const src = host!.startsWith('.') && !isAbsolute(host!) ? resolve(host!) : host!;
    binds.push([src, ...rest].join(':'));
  }
  return { binds: binds.length ? binds : null, volumes: sortedMap(anonymous) };
}

function healthcheck(f: ContainerFlags): Record<string, unknown> | undefined {
  const some = f.healthCmd || f.healthInterval || f.healthTimeout || f.healthStartPeriod || f.healthRetries || f.healthStartInterval;
  if (f.healthcheck === false) {
    if (some) throw new FlagError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!some) return undefined;
  for (const [flag, v] of [['interval', f.healthInterval], ['timeout', f.healthTimeout], ['retries', f.healthRetries], ['start-period', f.healthStartPeriod], ['start-interval', f.healthStartInterval]] as const) {
    if ((v ?? 0) < 0) throw new FlagError(`--health-${flag} cannot be negative`);
  }
  const h: Record<string, unknown> = {};
  if (f.healthCmd) h['Test'] = ['CMD-SHELL', f.healthCmd];
  if (f.healthInterval) h['Interval'] = f.healthInterval;
  if (f.healthTimeout) h['Timeout'] = f.healthTimeout;
  if (f.healthStartPeriod) h['StartPeriod'] = f.healthStartPeriod;
  if (f.healthStartInterval) h['StartInterval'] = f.healthStartInterval;
  if (f.healthRetries) h['Retries'] = f.healthRetries;
  return h;
}

function devices(list: string[] | undefined): Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }> {
  return (list ?? []).map((d) => {
    const parts = d.split(':');
    if (parts.length > 3 || parts[0] === '') throw new FlagError(`invalid device specification: ${d}`);
    const isMode = (m: string) => /^(?!.*(.).*\1)[rwm]{1,3}$/.test(m);
    let dst = parts[0]!;
    let perms = 'rwm';
    if (parts.length === 2) {
      if (isMode(parts[1]!)) perms = parts[1]!;
      else dst = parts[1]!;
    } else if (parts.length === 3) {
      dst = parts[1]!;
      if (!isMode(parts[2]!)) throw new FlagError(`bad mode specified: ${parts[2]}`);
      perms = parts[2]!;
    }
    if (!dst.startsWith('/')) throw new FlagError(`${dst} is not an absolute path`);
    return { PathOnHost: parts[0]!, PathInContainer: dst, CgroupPermissions: perms };
  });
}

/**
 * The flags' values that need checking or reading, parsed in the order
 * docker's `parse` checks them, so a bad command line gets docker's first error.
 */
function parseFlags(f: ContainerFlags, changed: (flag: string) => boolean) {
  // -a's values are checked and lower-cased as parsed.
  const attach = new Set(f.attach ?? []);
  if (f.macAddress !== undefined && !/^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(f.macAddress.trim())) {
    throw new FlagError(`${f.macAddress} is not a valid mac address`);
  }
  const swappiness = f.memorySwappiness ?? -1;
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) throw new FlagError(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);
  const { binds, volumes } = splitVolumes(f.volume);
  const tmpfs = sortedMap((f.tmpfs ?? []).map((t) => {
    const colon = t.indexOf(':');
    return colon < 0 ? [t, ''] : [t.slice(0, colon), t.slice(colon + 1)];
  }));
  const entrypoint = f.entrypoint ? [f.entrypoint] : changed('entrypoint') ? [''] : null;
  const { exposed, bindings } = parsePorts(f.publish ?? [], f.expose ?? []);
  const env = readEnv(f.envFile, f.env);
  const labels = sortedMap(readLabels(f.labelFile, f.label));
  const pidMode = checkMode(f.pid, (m) => m === 'host' || /^container:.+/.test(m), '--pid: invalid PID mode');
  const utsMode = checkMode(f.uts, (m) => m === 'host', '--uts: invalid UTS mode');
  const usernsMode = checkMode(f.userns, (m) => m === 'host' || m === 'private', '--userns: invalid USER mode');
  const cgroupnsMode = checkMode(f.cgroupns, (m) => m === 'host' || m === 'private', '--cgroupns: invalid CGROUP mode');
  const restart = parseRestart(f.restart);
  const logOpts = sortedMap((f.logOpt ?? []).map(splitKV));
  if (f.logDriver === 'none' && f.logOpt?.length) throw new FlagError(`invalid logging opts for driver ${f.logDriver}`);
  const security = parseSecurityOpts(f.securityOpt);
  const storage = (f.storageOpt ?? []).map((o) => {
    if (!o.includes('=')) throw new FlagError('invalid storage option');
    return splitKV(o);
  });
  const health = healthcheck(f);
  if (f.rm && restart.Name !== 'no' && restart.Name !== '') throw new FlagError('conflicting options: cannot specify both --restart and --rm');
  return {
    attach, swappiness, binds, volumes, tmpfs, entrypoint, exposed, bindings, env, labels,
    pidMode, utsMode, usernsMode, cgroupnsMode, restart, logOpts, security, storage, health,
  };
}
type ParsedFlags = ReturnType<typeof parseFlags>;

/** The body's Config: the process, its streams, and what the image's config says. */
function containerConfig(f: ContainerFlags, p: ParsedFlags, image: string, args: string[], changed: (flag: string) => boolean): Record<string, unknown> {
  const openStdin = f.interactive === true;
  const attachStdin = p.attach.has('stdin') || openStdin;
  const attachAll = p.attach.size === 0;
  return {
    Hostname: f.hostname ?? '',
    Domainname: f.domainname ?? '',
    User: f.user ?? '',
    AttachStdin: attachStdin,
    AttachStdout: attachAll || p.attach.has('stdout'),
    AttachStderr: attachAll || p.attach.has('stderr'),
    ...(Object.keys(p.exposed).length ? { ExposedPorts: p.exposed } : {}),
    Tty: f.tty === true,
    OpenStdin: openStdin,
    StdinOnce: openStdin && attachStdin,
    Env: p.env,
    Cmd: args.length ? args : null,
    ...(p.health ? { Healthcheck: p.health } : {}),
    Image: image,
    Volumes: p.volumes,
    WorkingDir: f.workdir ?? '',
    Entrypoint: p.entrypoint,
    OnBuild: null,
    Labels: p.labels,
    ...(f.stopSignal ? { StopSignal: f.stopSignal } : {}),
    ...(changed('stop-timeout') ? { StopTimeout: f.stopTimeout } : {}),
  };
}

/** HostConfig's first part: binds, logging, network mode, ports, restart, the console. */
function hostSetup(f: ContainerFlags, p: ParsedFlags, consoleSize: [number, number]): Record<string, unknown> {
  const annotations = (f.annotation ?? []).map(splitKV);
  return {
    Binds: p.binds,
    ContainerIDFile: f.cidfile ?? '',
    LogConfig: { Type: f.logDriver ?? '', Config: p.logOpts },
    NetworkMode: networkMode(f),
    PortBindings: p.bindings,
    RestartPolicy: p.restart,
    AutoRemove: f.rm === true,
    VolumeDriver: f.volumeDriver ?? '',
    VolumesFrom: f.volumesFrom ?? null,
    ConsoleSize: consoleSize,
    ...(annotations.length ? { Annotations: sortedMap(annotations) } : {}),
  };
}

/** HostConfig's Unix part: capabilities, namespaces, DNS, security options, sysctls, the runtime. */
function hostIsolation(f: ContainerFlags, p: ParsedFlags): Record<string, unknown> {
  const sysctls = (f.sysctl ?? []).map(splitKV);
  return {
    CapAdd: normalizeCaps(f.capAdd),
    CapDrop: normalizeCaps(f.capDrop),
    CgroupnsMode: p.cgroupnsMode,
    Dns: f.dns ?? [],
    DnsOptions: f.dnsOption ?? [],
    DnsSearch: f.dnsSearch ?? [],
    ExtraHosts: f.addHost ?? null,
    GroupAdd: f.groupAdd ?? null,
    IpcMode: f.ipc ?? '',
    Cgroup: '',
    Links: f.link ?? null,
    OomScoreAdj: f.oomScoreAdj ?? 0,
    PidMode: p.pidMode,
    Privileged: f.privileged === true,
    PublishAllPorts: f.publishAll === true,
    ReadonlyRootfs: f.readOnly === true,
    SecurityOpt: p.security.opts,
    ...(p.storage.length ? { StorageOpt: sortedMap(p.storage) } : {}),
    ...(Object.keys(p.tmpfs).length ? { Tmpfs: p.tmpfs } : {}),
    UTSMode: p.utsMode,
    UsernsMode: p.usernsMode,
    ShmSize: f.shmSize ?? 0,
    ...(sysctls.length ? { Sysctls: sortedMap(sysctls) } : {}),
    ...(f.runtime ? { Runtime: f.runtime } : {}),
    Isolation: f.isolation ?? '',
  };
}

/** HostConfig's Resources: CPU, memory, block IO, devices, pids, ulimits. */
function resources(f: ContainerFlags, swappiness: number): Record<string, unknown> {
  return {
    CpuShares: f.cpuShares ?? 0,
    Memory: f.memory ?? 0,
    NanoCpus: f.cpus ?? 0,
    CgroupParent: f.cgroupParent ?? '',
    BlkioWeight: f.blkioWeight ?? 0,
    BlkioWeightDevice: f.blkioWeightDevice ?? [],
    BlkioDeviceReadBps: f.deviceReadBps ?? [],
    BlkioDeviceWriteBps: f.deviceWriteBps ?? [],
    BlkioDeviceReadIOps: f.deviceReadIops ?? [],
    BlkioDeviceWriteIOps: f.deviceWriteIops ?? [],
    CpuPeriod: f.cpuPeriod ?? 0,
    CpuQuota: f.cpuQuota ?? 0,
    CpuRealtimePeriod: f.cpuRtPeriod ?? 0,
    CpuRealtimeRuntime: f.cpuRtRuntime ?? 0,
    CpusetCpus: f.cpusetCpus ?? '',
    CpusetMems: f.cpusetMems ?? '',
    Devices: devices(f.device),
    DeviceCgroupRules: f.deviceCgroupRule ?? null,
    DeviceRequests: f.gpus ?? null,
    MemoryReservation: f.memoryReservation ?? 0,
    MemorySwap: f.memorySwap ?? 0,
    MemorySwappiness: swappiness,
    OomKillDisable: f.oomKillDisable === true,
    PidsLimit: f.pidsLimit ?? 0,
    // One per name (the last wins), sorted, as docker's UlimitOpt keeps them.
    Ulimits: [...new Map((f.ulimit ?? []).map((u) => [u.Name, u])).values()].sort((a, b) => (a.Name < b.Name ? -1 : 1)),
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
  };
}

function hostConfig(f: ContainerFlags, p: ParsedFlags, consoleSize: [number, number], changed: (flag: string) => boolean): Record<string, unknown> {
  return {
    ...hostSetup(f, p, consoleSize),
    ...hostIsolation(f, p),
    ...resources(f, p.swappiness),
    ...(f.mount?.length ? { Mounts: f.mount } : {}),
    MaskedPaths: p.security.unconfinedPaths ? [] : null,
    ReadonlyPaths: p.security.unconfinedPaths ? [] : null,
    ...(changed('init') ? { Init: f.init === true } : {}),
  };
}

/** Builds the create request as docker's `parse` does; throws FlagError with docker's message. */
export function buildCreateRequest(f: ContainerFlags, image: string, args: string[], changed: (flag: string) => boolean, consoleSize: [number, number]): CreateRequest {
  const parsed = parseFlags(f, changed);
  const body = {
    ...containerConfig(f, parsed, image, args, changed),
    HostConfig: hostConfig(f, parsed, consoleSize, changed),
    NetworkingConfig: networkingConfig(f),
  };
  const query: CreateRequest['query'] = {};
  if (f.name !== undefined) query.name = f.name;
  if (f.platform) {
    checkPlatform(f.platform);
    query.platform = f.platform;
  }
  return { body, query };
}
