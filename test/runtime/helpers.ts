// Test helpers for src/runtime: a busybox rootfs (test/native/bundle.ts
// builds it), the etc files the daemon would write, and a SpecInput with
// Docker's defaults for `docker run busybox …`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerConfig, HostConfig } from '../../src/api/containers';
import type { SpecInput } from '../../src/runtime/spec';
import { makeRootfs } from '../native/bundle';

export const ID = 'c0ffee'.padEnd(64, '0');

/** A fresh bundle dir under `dir`: rootfs/ with busybox, and etc/ with hostname, hosts, resolv.conf. */
export function makeBundle(dir: string): { bundle: string; rootfs: string; etc: SpecInput['etcFiles'] } {
  mkdirSync(dir, { recursive: true });
  const rootfs = makeRootfs(dir);
  const etcDir = join(dir, 'etc');
  mkdirSync(etcDir, { recursive: true });
  const etc = { hostname: join(etcDir, 'hostname'), hosts: join(etcDir, 'hosts'), resolvConf: join(etcDir, 'resolv.conf') };
  writeFileSync(etc.hostname, `${ID.slice(0, 12)}\n`);
  writeFileSync(etc.hosts, `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  writeFileSync(etc.resolvConf, 'nameserver 127.0.0.53\noptions edns0\n');
  return { bundle: dir, rootfs, etc };
}

/** The container Config the docker CLI sends for `docker run busybox <cmd>`, merged with busybox's image config. */
export function runConfig(cmd: string[], over: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false,
    OpenStdin: false, StdinOnce: false, Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: cmd,
    Image: 'busybox', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {}, ...over,
  };
}

/** The HostConfig the docker CLI 28 sends when no flag is given. */
export function runHostConfig(over: Partial<HostConfig> = {}): HostConfig {
  return {
    Binds: null, NetworkMode: 'default', PortBindings: {}, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false,
    VolumeDriver: '', VolumesFrom: null, ConsoleSize: [0, 0], CapAdd: null, CapDrop: null, CgroupnsMode: '', Dns: [], DnsOptions: [],
    DnsSearch: [], ExtraHosts: null, GroupAdd: null, IpcMode: '', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false,
    PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 0, Isolation: '', CpuShares: 0,
    Memory: 0, NanoCpus: 0, CgroupParent: '', BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [], CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0,
    CpusetCpus: '', CpusetMems: '', Devices: [], DeviceCgroupRules: null, DeviceRequests: null, MemoryReservation: 0, MemorySwap: 0,
    MemorySwappiness: null, OomKillDisable: false, PidsLimit: null, Ulimits: [], CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0,
    IOMaximumBandwidth: 0, MaskedPaths: null, ReadonlyPaths: null, ...over,
  };
}

export function specInput(b: ReturnType<typeof makeBundle>, config: ContainerConfig, hostConfig: HostConfig, over: Partial<SpecInput> = {}): SpecInput {
  return {
    id: ID,
    config,
    hostConfig,
    rootfs: b.rootfs,
    hostname: config.Hostname || ID.slice(0, 12),
    etcFiles: b.etc,
    cgroupsPath: `/tsdocker/${ID}`,
    network: { mode: 'private' },
    ...over,
  };
}
