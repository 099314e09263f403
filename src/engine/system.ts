// System-wide answers: /version, /info and /system/df, built from host facts,
// configuration and what the drivers report.
import { accessSync, constants, readFileSync, readdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { SystemDataUsage, SystemInfo, SystemVersion } from '../api/types';
import { nowRfc3339Nano } from '../api/time';
import { API_VERSION, ENGINE_VERSION, MIN_API_VERSION, TSDOCKER_VERSION } from '../api/version';
import type { HostFacts } from '../system/host';
import type { Drivers } from './drivers';
import type { EventBus } from './events';

/** The daemon settings these answers show (a subset of the daemon's config). */
export interface SystemConfig {
  hosts: string[];
  dataRoot: string;
  debug: boolean;
  experimental: boolean;
  labels: string[];
  liveRestore: boolean;
  logDriver: string;
  runtimes: Record<string, { path: string; runtimeArgs?: string[] }>;
  defaultRuntime: string;
  insecureRegistries: string[];
  registryMirrors: string[];
  /** daemon.json `iptables` (absent: true). */
  iptables?: boolean;
}

/** What the system answers read; the daemon's context is one (the engine does not import the daemon above it). */
export interface SystemContext {
  config: SystemConfig;
  host: HostFacts;
  drivers: Drivers;
  events: Pick<EventBus, 'listenerCount'>;
  daemonId: string;
  startedAt: Date;
}

export const GIT_COMMIT = `tsdocker-${TSDOCKER_VERSION}`;

export function systemVersion(ctx: SystemContext): SystemVersion {
  const { host } = ctx;
  return {
    Platform: { Name: 'tsdocker Engine - Community' },
    Components: [
      {
        Name: 'Engine',
        Version: ENGINE_VERSION,
        Details: {
          ApiVersion: API_VERSION,
          Arch: host.goArch,
          BuildTime: ctx.startedAt.toISOString(),
          Experimental: String(ctx.config.experimental),
          GitCommit: GIT_COMMIT,
          GoVersion: `node${process.versions.node}`,
          KernelVersion: host.kernelVersion,
          MinAPIVersion: MIN_API_VERSION,
          Os: 'linux',
          Tsdocker: TSDOCKER_VERSION,
        },
      },
      { Name: 'tsd-runtime', Version: TSDOCKER_VERSION, Details: { GitCommit: GIT_COMMIT } },
    ],
    Version: ENGINE_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: GIT_COMMIT,
    GoVersion: `node${process.versions.node}`,
    Os: 'linux',
    Arch: host.goArch,
    KernelVersion: host.kernelVersion,
    ...(ctx.config.experimental ? { Experimental: true } : {}),
    BuildTime: ctx.startedAt.toISOString(),
  };
}

/** Warnings /info shows, for what a Docker user would otherwise miss. */
export function systemWarnings(ctx: SystemContext): string[] {
  const warnings: string[] = [];
  if (ctx.config.iptables === false) warnings.push('WARNING: iptables is disabled (daemon.json "iptables": false): no published ports, no masquerade, no isolation between networks');
  if (ctx.config.hosts.some((h) => h.startsWith('tcp://'))) {
    warnings.push(
      'WARNING: API is accessible on http:// without encryption.\n' +
        '         Access to the remote API is equivalent to root access on the host.',
    );
  }
  return warnings;
}

/** Filesystem names of statfs f_type values, as Docker's fsmagic names them. */
const FS_NAMES: Readonly<Record<number, string>> = {
  0xef53: 'extfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs', 0x2fc12fc1: 'zfs',
  0x65735546: 'fuse', 0x6969: 'nfs', 0x73717368: 'squashfs', 0x858458f6: 'ramfs', 0xf15f: 'ecryptfs', 0x5346544e: 'ntfs',
};
/** Those whose directory entries carry their type (d_type), which overlayfs needs. */
const D_TYPE_FILESYSTEMS = new Set(['extfs', 'xfs', 'btrfs', 'tmpfs', 'overlayfs', 'zfs', 'ramfs']);

/** The overlay2 driver's status lines as dockerd reports them, for the data root's real filesystem. */
function overlayStatus(dataRoot: string): [string, string][] {
  let fs = 'unknown';
  try {
    const type = statfsSync(dataRoot).type;
    fs = FS_NAMES[type] ?? `unknown (0x${type.toString(16)})`;
  } catch {
    // A data root not yet made: its filesystem is unknown.
  }
  const metacopy = overlayParameter('metacopy');
  return [
    ['Backing Filesystem', fs],
    ['Supports d_type', String(D_TYPE_FILESYSTEMS.has(fs))],
    ['Using metacopy', String(metacopy)],
    // dockerd diffs layers itself ("naive") when the kernel may redirect directories or copy metadata only.
    ['Native Overlay Diff', String(!metacopy && !overlayParameter('redirect_dir'))],
    // Mounted as root, never with userxattr (that is for rootless mode).
    ['userxattr', 'false'],
  ];
}

function overlayParameter(name: string): boolean {
  try {
    return readFileSync(`/sys/module/overlay/parameters/${name}`, 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
}

/** Whether an executable of this name is on PATH (the shim runs runtimes by name). */
function onPath(name: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The runtimes a container may name: ours, runc and crun when installed, and the configured ones. */
function infoRuntimes(config: SystemConfig): SystemInfo['Runtimes'] {
  const runtimes: SystemInfo['Runtimes'] = { 'tsd-runtime': { path: 'tsd-runtime' } };
  for (const name of ['runc', 'crun']) if (onPath(name)) runtimes[name] = { path: name };
  for (const [name, r] of Object.entries(config.runtimes)) runtimes[name] = { ...r };
  return runtimes;
}

/** Docker Hub with its mirrors, and each insecure registry. */
function registryConfig(config: SystemConfig): SystemInfo['RegistryConfig'] {
  return {
    InsecureRegistryCIDRs: ['127.0.0.0/8'],
    IndexConfigs: {
      'docker.io': { Name: 'docker.io', Mirrors: config.registryMirrors, Secure: true, Official: true },
      ...Object.fromEntries(
        config.insecureRegistries.map((r) => [r, { Name: r, Mirrors: [], Secure: false, Official: false }]),
      ),
    },
    Mirrors: config.registryMirrors,
  };
}

export function systemInfo(ctx: SystemContext): SystemInfo {
  const { host, config, drivers } = ctx;
  const counts = drivers.containers.counts();
  const v2 = host.cgroupVersion === '2';
  return {
    ID: ctx.daemonId,
    Containers: counts.running + counts.paused + counts.stopped,
    ContainersRunning: counts.running,
    ContainersPaused: counts.paused,
    ContainersStopped: counts.stopped,
    Images: drivers.images.count(),
    Driver: 'overlay2',
    DriverStatus: overlayStatus(config.dataRoot),
    // The volume drivers (plugins are found when used, as dockerd lists them), and of the networks only host and none.
    Plugins: {
      Volume: ['local'],
      Network: ['bridge', 'host', 'macvlan', 'null'],
      Authorization: null,
      Log: ['json-file'],
    },
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: host.ipv4Forwarding,
    Debug: config.debug,
    NFd: openFdCount(),
    OomKillDisable: !v2,
    NGoroutines: 0,
    SystemTime: nowRfc3339Nano(),
    LoggingDriver: config.logDriver,
    CgroupDriver: 'cgroupfs',
    CgroupVersion: host.cgroupVersion,
    NEventsListener: ctx.events.listenerCount,
    KernelVersion: host.kernelVersion,
    OperatingSystem: host.operatingSystem,
    OSVersion: host.osVersion,
    OSType: 'linux',
    Architecture: host.architecture,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: registryConfig(config),
    NCPU: host.ncpu,
    MemTotal: host.memTotal,
    GenericResources: null,
    DockerRootDir: config.dataRoot,
    HttpProxy: process.env['HTTP_PROXY'] ?? process.env['http_proxy'] ?? '',
    HttpsProxy: process.env['HTTPS_PROXY'] ?? process.env['https_proxy'] ?? '',
    NoProxy: process.env['NO_PROXY'] ?? process.env['no_proxy'] ?? '',
    Name: host.hostname,
    Labels: config.labels,
    ExperimentalBuild: config.experimental,
    ServerVersion: ENGINE_VERSION,
    Runtimes: infoRuntimes(config),
    DefaultRuntime: config.defaultRuntime,
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: config.liveRestore,
    Isolation: '',
    InitBinary: 'tsd-init',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: GIT_COMMIT },
    InitCommit: { ID: GIT_COMMIT },
    SecurityOptions: [`name=cgroupns`],
    CDISpecDirs: [],
    Warnings: systemWarnings(ctx),
  };
}

function openFdCount(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

export function systemDataUsage(ctx: SystemContext): SystemDataUsage {
  const images = ctx.drivers.images.diskUsage();
  return {
    LayersSize: images.layersSize,
    Images: images.images,
    Containers: ctx.drivers.containers.diskUsage(),
    Volumes: ctx.drivers.volumes.diskUsage(),
    BuildCache: [],
  };
}
