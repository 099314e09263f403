// System-wide answers: /version, /info and /system/df, built from host facts,
// configuration and what the drivers report.
import { readdirSync } from 'node:fs';
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
  const warnings = [
    'WARNING: tsdocker networking is not implemented yet: containers get loopback only unless --network host',
  ];
  if (ctx.config.hosts.some((h) => h.startsWith('tcp://'))) {
    warnings.push(
      'WARNING: API is accessible on http:// without encryption.\n' +
        '         Access to the remote API is equivalent to root access on the host.',
    );
  }
  return warnings;
}

export function systemInfo(ctx: SystemContext): SystemInfo {
  const { host, config, drivers } = ctx;
  const counts = drivers.containers.counts();
  const v2 = host.cgroupVersion === '2';
  const runtimes: SystemInfo['Runtimes'] = { 'tsd-runtime': { path: 'tsd-runtime' }, runc: { path: 'runc' } };
  for (const [name, r] of Object.entries(config.runtimes)) runtimes[name] = { ...r };
  return {
    ID: ctx.daemonId,
    Containers: counts.running + counts.paused + counts.stopped,
    ContainersRunning: counts.running,
    ContainersPaused: counts.paused,
    ContainersStopped: counts.stopped,
    Images: drivers.images.count(),
    Driver: 'overlay2',
    DriverStatus: [
      ['Backing Filesystem', 'extfs'],
      ['Supports d_type', 'true'],
      ['Using metacopy', 'false'],
      ['Native Overlay Diff', 'true'],
      ['userxattr', 'false'],
    ],
    Plugins: {
      Volume: ['local'],
      Network: ['bridge', 'host', 'null'],
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
    RegistryConfig: {
      InsecureRegistryCIDRs: ['127.0.0.0/8'],
      IndexConfigs: {
        'docker.io': { Name: 'docker.io', Mirrors: config.registryMirrors, Secure: true, Official: true },
        ...Object.fromEntries(
          config.insecureRegistries.map((r) => [r, { Name: r, Mirrors: [], Secure: false, Official: false }]),
        ),
      },
      Mirrors: config.registryMirrors,
    },
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
    Runtimes: runtimes,
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
