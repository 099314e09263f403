// Create-time checks of a container's Config and HostConfig, in dockerd's
// order and words (daemon/container.go verifyContainerSettings,
// daemon_unix.go verifyPlatformContainerSettings, then adaptContainerSettings
// and create's defaults). Everything here is a 400; what tsdocker does not
// implement is refused with "… is not supported by tsdocker".
import type { ContainerConfig, HostConfig } from '../api/containers';
import { InvalidArgumentError } from '../errors';
import { normalizeCapabilities } from './caps';
import { DEFAULT_SHM_SIZE, defaultMaskedPaths, defaultReadonlyPaths } from './defaults';
import { parseDeviceCgroupRules } from './devices';
import { checkDestination, userMounts } from './mount-specs';
import { containerSeccomp } from './seccomp';
import { parseSecurityOpt } from './security-opt';
import { cgroupSysInfo } from './sysinfo';
import { mergeTmpfsOptions } from './tmpfs';
import { checkUlimits } from './ulimits';
import { verifyResources } from './validate-resources';
import { validatePortBindings } from '../api/ports';

const MIN_HEALTH_DURATION = 1_000_000; // 1ms in ns
const SIGNALS = new Set([
  'ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL', 'PROF', 'PWR', 'QUIT',
  'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ',
]);

/** Docker's signal.ParseSignal: a number, a name with or without SIG, or RTMIN+n / RTMAX-n. */
function validSignal(s: string): boolean {
  if (/^\d+$/.test(s)) return Number(s) > 0 && Number(s) <= 64;
  const name = s.toUpperCase().replace(/^SIG/, '');
  return SIGNALS.has(name) || /^RTMIN(\+([1-9]|1[0-5]))?$/.test(name) || /^RTMAX(-([1-9]|1[0-4]))?$/.test(name);
}

function validateConfig(config: ContainerConfig): void {
  if (config.WorkingDir && !config.WorkingDir.startsWith('/')) {
    throw new InvalidArgumentError(`the working directory '${config.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
  if (config.StopSignal && !validSignal(config.StopSignal)) throw new InvalidArgumentError(`Invalid signal: ${config.StopSignal}`);
  for (const env of config.Env ?? []) {
    if (env.split('=')[0] === '') throw new InvalidArgumentError(`invalid environment variable: ${env}`);
  }
  const hc = config.Healthcheck;
  if (hc) {
    for (const f of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const) {
      const v = hc[f] ?? 0;
      if (v !== 0 && v < MIN_HEALTH_DURATION) throw new InvalidArgumentError(`${f} in Healthcheck cannot be less than 1ms`);
    }
    if ((hc.Retries ?? 0) < 0) throw new InvalidArgumentError('Retries in Healthcheck cannot be negative');
  }
}

export function validateRestartPolicy(hc: HostConfig): void {
  const p = hc.RestartPolicy;
  const name = p?.Name ?? '';
  const retries = p?.MaximumRetryCount ?? 0;
  if (hc.AutoRemove && name !== '' && name !== 'no') throw new InvalidArgumentError("can't create 'AutoRemove' container with restart policy");
  if (name === 'always' || name === 'unless-stopped' || name === 'no') {
    if (retries !== 0) {
      throw new InvalidArgumentError(`invalid restart policy: maximum retry count can only be used with 'on-failure'${retries < 0 ? ' and cannot be negative' : ''}`);
    }
  } else if (name === 'on-failure') {
    if (retries < 0) throw new InvalidArgumentError('invalid restart policy: maximum retry count cannot be negative');
  } else if (name !== '') {
    throw new InvalidArgumentError(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
}

/** PidMode, IpcMode, UTSMode, CgroupnsMode, UsernsMode: Docker's validity, then what tsdocker can do. */
function validateNamespaceModes(hc: HostConfig): void {
  const ipc = hc.IpcMode ?? '';
  if (!['', 'host', 'private', 'none', 'shareable'].includes(ipc) && !/^container:.+/.test(ipc)) throw new InvalidArgumentError(`invalid IPC mode: ${ipc}`);
  if (ipc === 'shareable' || ipc.startsWith('container:')) throw new InvalidArgumentError(`IPC mode ${JSON.stringify(ipc)} is not supported by tsdocker`);
  const pid = hc.PidMode ?? '';
  if (!['', 'host'].includes(pid) && !/^container:.+/.test(pid)) throw new InvalidArgumentError(`invalid PID mode: ${pid}`);
  if (pid.startsWith('container:')) throw new InvalidArgumentError(`PID mode ${JSON.stringify(pid)} is not supported by tsdocker`);
  const uts = hc.UTSMode ?? '';
  if (!['', 'host'].includes(uts)) throw new InvalidArgumentError(`invalid UTS mode: ${uts}`);
  const cgroupns = hc.CgroupnsMode ?? '';
  if (!['', 'host', 'private'].includes(cgroupns)) throw new InvalidArgumentError(`invalid cgroup namespace mode: ${cgroupns}`);
  const userns = hc.UsernsMode ?? '';
  if (userns !== '' && userns !== 'host') throw new InvalidArgumentError(`user namespaces (UsernsMode ${JSON.stringify(userns)}) are not supported by tsdocker`);
  if ((hc.Cgroup ?? '') !== '') throw new InvalidArgumentError(`cgroup mode ${JSON.stringify(hc.Cgroup)} is not supported by tsdocker`);
}

/**
 * Docker's checks of the network settings that need no network records (the
 * network side checks names, addresses and aliases at create): a
 * container:<x> or host mode with what only a namespace of its own can have.
 */
function checkNetworking(config: ContainerConfig, hc: HostConfig): void {
  const mode = hc.NetworkMode ?? '';
  if (mode === 'container:') throw new InvalidArgumentError('invalid container format container:<name|id>');
  const joined = mode.startsWith('container:');
  if (joined || mode === 'host') {
    const what = joined ? 'container' : 'host';
    if ((hc.Links ?? []).length > 0) throw new InvalidArgumentError(`conflicting options: ${what} type networking can't be used with links. This would result in undefined behavior`);
    if (joined && ((hc.Dns ?? []).length > 0 || (hc.DnsSearch ?? []).length > 0 || (hc.DnsOptions ?? []).length > 0)) throw new InvalidArgumentError('conflicting options: dns and the network mode');
    if (joined && (hc.ExtraHosts ?? []).length > 0) throw new InvalidArgumentError('conflicting options: custom host-to-IP mapping and the network mode');
    if (Object.keys(hc.PortBindings ?? {}).length > 0 || hc.PublishAllPorts) throw new InvalidArgumentError('conflicting options: port publishing and the container type network mode');
    if (joined && (config.Hostname ?? '') !== '') throw new InvalidArgumentError('conflicting options: hostname and the network mode');
  }
  if (mode === 'none' && (Object.keys(hc.PortBindings ?? {}).length > 0 || hc.PublishAllPorts)) {
    throw new InvalidArgumentError('conflicting options: port publishing and the container type network mode');
  }
  const linksOk = mode === '' || mode === 'default' || mode === 'bridge';
  if (!linksOk && (hc.Links ?? []).length > 0) throw new InvalidArgumentError('links (--link) on user-defined networks are not supported by tsdocker yet: use the container name or a --network-alias');
}

/** Docker's validateHostConfig: restart policy, mounts, capabilities, isolation, annotations. */
function validateHostConfig(config: ContainerConfig, hc: HostConfig): void {
  checkNetworking(config, hc);
  validatePortBindings(hc);
  validateRestartPolicy(hc);
  userMounts(config, hc);
  normalizeCapabilities(hc.CapAdd, 'CapAdd');
  normalizeCapabilities(hc.CapDrop, 'CapDrop');
  if (!['', 'default'].includes(hc.Isolation ?? '')) throw new InvalidArgumentError(`invalid isolation '${hc.Isolation}' on linux`);
  for (const k of Object.keys(hc.Annotations ?? {})) {
    if (k === '') throw new InvalidArgumentError('invalid Annotations: the empty string is not permitted as an annotation key');
  }
}

/** The rest of Docker's verifyPlatformContainerSettings, after the resources. */
function validatePlatform(hc: HostConfig): void {
  validateNamespaceModes(hc);
  if ((hc.ShmSize ?? 0) < 0) throw new InvalidArgumentError('SHM size can not be less than 0');
  const oom = hc.OomScoreAdj ?? 0;
  if (oom < -1000 || oom > 1000) throw new InvalidArgumentError(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
  for (const [dest, data] of Object.entries(hc.Tmpfs ?? {})) {
    const err = checkDestination(dest);
    if (err) throw new InvalidArgumentError(err);
    mergeTmpfsOptions(data === '' ? [] : data.split(','));
  }
}

/** What dockerd only finds out at start (or leaves to the CLI), checked now so that a bad value is a 400. */
function validateEarly(hc: HostConfig): void {
  parseDeviceCgroupRules(hc.DeviceCgroupRules);
  for (const d of hc.Devices ?? []) {
    if (!d.PathOnHost?.startsWith('/')) throw new InvalidArgumentError(`invalid device mapping: ${JSON.stringify(d.PathOnHost ?? '')} is not an absolute path`);
  }
  checkUlimits(hc.Ulimits);
  checkSysctls(hc);
  if (Object.keys(hc.StorageOpt ?? {}).length > 0) throw new InvalidArgumentError('StorageOpt (--storage-opt) is not supported by tsdocker');
}

/** The namespaced sysctls Docker accepts (docker CLI opts.ValidateSysctl); net.* needs the container's own network namespace. */
function checkSysctls(hc: HostConfig): void {
  const ipc = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];
  for (const key of Object.keys(hc.Sysctls ?? {})) {
    const isNet = key.startsWith('net.');
    if (!(ipc.includes(key) || key.startsWith('fs.mqueue.') || isNet || key === 'kernel.domainname')) {
      throw new InvalidArgumentError(`sysctl '${key}' is not allowed: it is not in a separate kernel namespace`);
    }
    if (isNet && hc.NetworkMode === 'host') throw new InvalidArgumentError(`sysctl '${key}' is not allowed in host network namespace`);
    if (!isNet && !key.startsWith('kernel.domainname') && hc.IpcMode === 'host') throw new InvalidArgumentError(`sysctl '${key}' is not allowed in host IPC namespace`);
  }
}

/** dockerd's adaptContainerSettings and create defaults, so inspect shows what Docker shows. */
function applyCreateDefaults(hc: HostConfig, cgroupVersion: '1' | '2'): void {
  if ((hc.Memory ?? 0) > 0 && (hc.MemorySwap ?? 0) === 0) hc.MemorySwap = hc.Memory! * 2;
  if (!hc.ShmSize) hc.ShmSize = DEFAULT_SHM_SIZE;
  if (!hc.IpcMode) hc.IpcMode = 'private';
  if (!hc.CgroupnsMode) hc.CgroupnsMode = cgroupVersion === '2' ? 'private' : 'host';
  if (hc.OomKillDisable === undefined || hc.OomKillDisable === null) hc.OomKillDisable = false;
  if (!hc.Privileged) {
    if (hc.MaskedPaths === undefined || hc.MaskedPaths === null) hc.MaskedPaths = defaultMaskedPaths();
    if (hc.ReadonlyPaths === undefined || hc.ReadonlyPaths === null) hc.ReadonlyPaths = defaultReadonlyPaths();
  }
}

/**
 * Validates a create request as dockerd does and returns its warnings. Like
 * dockerd it also adjusts `hostConfig` in place (discarded limits, MemorySwap,
 * ShmSize, IpcMode, CgroupnsMode, OomKillDisable, MaskedPaths, ReadonlyPaths):
 * store the adjusted HostConfig. Throws InvalidArgumentError (400).
 */
export function validateCreate(config: ContainerConfig, hostConfig: HostConfig): string[] {
  validateConfig(config);
  validateHostConfig(config, hostConfig);
  const sys = cgroupSysInfo();
  const warnings = verifyResources(hostConfig, sys);
  validatePlatform(hostConfig);
  validateEarly(hostConfig);
  const security = parseSecurityOpt(hostConfig.SecurityOpt);
  if (!hostConfig.Privileged) containerSeccomp(security.seccomp, []); // a bad profile is a 400 now rather than a start failure
  if ((config.Entrypoint ?? []).length === 0 && (config.Cmd ?? []).length === 0) throw new InvalidArgumentError('No command specified');
  applyCreateDefaults(hostConfig, sys.cgroupVersion);
  return warnings;
}
