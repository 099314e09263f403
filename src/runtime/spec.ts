// The OCI runtime config of a container and of its execs, as dockerd builds
// them (daemon/oci_linux.go createSpec and its With* options, exec.go): the
// container service validates at create (validateCreate), builds the spec at
// start after mounting the rootfs (buildSpec), writes serializeSpec(spec) as
// the bundle's config.json and runs it with tsd-runtime or runc.
import { accessSync, constants, existsSync } from 'node:fs';
import { posix } from 'node:path';
import type { ContainerConfig, ExecCreateBody, HostConfig } from '../api/containers';
import { InvalidArgumentError, TsdError } from '../errors';
import { initPath } from '../native/paths';
import { allCapabilities, tweakCapabilities } from './caps';
import { defaultCapabilities, defaultDeviceRules, defaultMaskedPaths, defaultReadonlyPaths } from './defaults';
import { devicesFromPath, hostDevices, parseDeviceCgroupRules } from './devices';
import { daemonEnvironment, replaceOrAppendEnv } from './env';
import { userMounts } from './mount-specs';
import { OCI_VERSION, type OciDevice, type OciDeviceRule, type OciMount, type OciNamespace, type OciProcess, type OciSpec } from './oci-types';
import { buildResources } from './resources';
import { ensureWorkingDir } from './rootfs';
import { containerSeccomp } from './seccomp';
import { parseSecurityOpt } from './security-opt';
import { buildMounts } from './spec-mounts';
import { cgroupSysInfo } from './sysinfo';
import { toRlimits } from './ulimits';
import { resolveUser } from './user';

export type { OciMount, OciProcess, OciSpec } from './oci-types';
export { validateCreate } from './validate';

export interface SpecInput {
  /** 64-hex container id. */
  id: string;
  /** Already merged with the image's config (Env, Cmd, Entrypoint, WorkingDir, User, Labels). */
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** Absolute path of the mounted rootfs. */
  rootfs: string;
  /** config.Hostname or the first 12 characters of the id. */
  hostname: string;
  /** Host files the daemon wrote, bound onto /etc/hostname, /etc/hosts, /etc/resolv.conf. */
  etcFiles: { hostname: string; hosts: string; resolvConf: string };
  /** linux.cgroupsPath, e.g. "/tsdocker/<id>". */
  cgroupsPath: string;
  /** private = a new network namespace (loopback only); path = join an existing one. */
  network: { mode: 'none' | 'host' | 'private' } | { mode: 'path'; path: string };
  /** The container's volumes, mounted on the host: bound like -v binds. */
  volumeBinds?: ReadonlyArray<{ source: string; destination: string; readOnly: boolean; propagation: string }>;
}

const INIT_PATH_IN_CONTAINER = '/sbin/docker-init';

/** Our tsd-init (tini's role; dockerd looks docker-init up in its PATH). */
function initBinary(): string {
  const path = initPath();
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new TsdError(`init binary not found: ${path}`);
  }
  return path;
}

/** Entrypoint then Cmd (getEntrypointAndArgs). */
function commandLine(config: ContainerConfig): string[] {
  const args = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (args.length === 0) throw new InvalidArgumentError('No command specified');
  return args;
}

function namespaces(input: SpecInput): OciNamespace[] {
  const hc = input.hostConfig;
  const ns: OciNamespace[] = [{ type: 'mount' }];
  const net = input.network;
  if (net.mode === 'path') ns.push({ type: 'network', path: net.path });
  else if (net.mode !== 'host') ns.push({ type: 'network' });
  if (hc.UTSMode !== 'host') ns.push({ type: 'uts' });
  if (hc.PidMode !== 'host') ns.push({ type: 'pid' });
  if (hc.IpcMode !== 'host') ns.push({ type: 'ipc' });
  // Empty: dockerd's default, private on cgroup v2 and host on v1 (and for privileged containers on v1).
  const v2 = cgroupSysInfo().cgroupVersion === '2';
  const cgroupns = hc.CgroupnsMode || (v2 ? 'private' : 'host');
  if (cgroupns === 'private') ns.push({ type: 'cgroup' });
  return ns;
}

function sysctls(input: SpecInput): Record<string, string> {
  const out: Record<string, string> = {};
  if (input.config.Domainname) out['kernel.domainname'] = input.config.Domainname;
  // Only for a network namespace of its own: ping without CAP_NET_RAW, ports below 1024 without CAP_NET_BIND_SERVICE.
  if (input.network.mode !== 'host') {
    if (existsSync('/proc/sys/net/ipv4/ping_group_range')) out['net.ipv4.ping_group_range'] = '0 2147483647';
    if (existsSync('/proc/sys/net/ipv4/ip_unprivileged_port_start')) out['net.ipv4.ip_unprivileged_port_start'] = '0';
  }
  return { ...out, ...(input.hostConfig.Sysctls ?? {}) };
}

function devices(hc: HostConfig): { devices: OciDevice[]; rules: OciDeviceRule[] } {
  const mapped = (hc.Devices ?? []).map((d) => ({ host: d.PathOnHost, container: d.PathInContainer || d.PathOnHost, perms: d.CgroupPermissions }));
  if (hc.Privileged) {
    const devs = hostDevices();
    for (const d of mapped) if (d.host !== d.container) devs.push(...devicesFromPath(d.host, d.container, 'rwm').devices);
    return { devices: devs, rules: [{ allow: true, access: 'rwm' }] };
  }
  const devs: OciDevice[] = [];
  const rules = defaultDeviceRules();
  for (const d of mapped) {
    const found = devicesFromPath(d.host, d.container, d.perms);
    devs.push(...found.devices);
    rules.push(...found.rules);
  }
  rules.push(...parseDeviceCgroupRules(hc.DeviceCgroupRules));
  return { devices: devs, rules };
}

/** The OCI config of the container (Docker's start-time failures throw TsdError, a 500 as in dockerd). */
export function buildSpec(input: SpecInput): OciSpec {
  const { config, hostConfig: hc, rootfs } = input;
  const security = parseSecurityOpt(hc.SecurityOpt);
  const privileged = hc.Privileged === true;
  const caps = tweakCapabilities(defaultCapabilities(), hc.CapAdd, hc.CapDrop, privileged);
  const workingDir = config.WorkingDir ? posix.normalize(config.WorkingDir) : '';
  if (workingDir !== '') ensureWorkingDir(rootfs, workingDir);

  let args = commandLine(config);
  const extraDefaults: OciMount[] = [];
  if (hc.Init === true && !hc.PidMode) {
    args = [INIT_PATH_IN_CONTAINER, '--', ...args];
    extraDefaults.push({ destination: INIT_PATH_IN_CONTAINER, type: 'bind', source: initBinary(), options: ['bind', 'ro'] });
  }

  const process: OciProcess = {
    ...(config.Tty ? { terminal: true } : {}),
    user: resolveUser(rootfs, config.User ?? '', hc.GroupAdd),
    args,
    env: daemonEnvironment(input.hostname, config.Tty === true, config.Env),
    cwd: workingDir || '/',
    capabilities: { bounding: caps, effective: caps, permitted: caps },
  };
  const [height = 0, width = 0] = hc.ConsoleSize ?? [];
  if (config.Tty && height > 0 && width > 0) process.consoleSize = { height, width };
  const rlimits = toRlimits(hc.Ulimits);
  if (rlimits.length > 0) process.rlimits = rlimits;
  if (security.noNewPrivileges) process.noNewPrivileges = true;
  process.oomScoreAdj = hc.OomScoreAdj ?? 0;

  const { mounts, rootfsPropagation } = buildMounts({ hostConfig: hc, user: userMounts(config, hc), volumeBinds: input.volumeBinds ?? [], etcFiles: input.etcFiles, extraDefaults, writableCgroups: security.writableCgroups });
  const dev = devices(hc);
  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process,
    root: hc.ReadonlyRootfs ? { path: rootfs, readonly: true } : { path: rootfs },
    ...(hc.UTSMode === 'host' ? {} : { hostname: input.hostname }),
    mounts,
    linux: {
      sysctl: sysctls(input),
      resources: buildResources(hc, dev.rules),
      cgroupsPath: input.cgroupsPath,
      namespaces: namespaces(input),
      devices: dev.devices,
    },
  };
  if (Object.keys(hc.Annotations ?? {}).length > 0) spec.annotations = { ...hc.Annotations };
  if (!privileged) {
    const seccomp = containerSeccomp(security.seccomp, caps);
    if (seccomp) spec.linux.seccomp = seccomp;
  }
  if (rootfsPropagation) spec.linux.rootfsPropagation = rootfsPropagation;
  if (!privileged) {
    spec.linux.maskedPaths = hc.MaskedPaths ?? defaultMaskedPaths();
    spec.linux.readonlyPaths = hc.ReadonlyPaths ?? defaultReadonlyPaths();
  }
  return spec;
}

/** Moves the TERM=xterm Docker adds for a tty to match the exec's tty (CreateDaemonEnvironment). */
function execBaseEnv(env: readonly string[], containerTty: boolean, execTty: boolean): string[] {
  const out = [...env];
  const term = out.indexOf('TERM=xterm');
  if (containerTty && !execTty && term >= 0 && term <= 2) out.splice(term, 1);
  if (!containerTty && execTty && !out.some((e) => e.startsWith('TERM='))) {
    const host = out.findIndex((e) => e.startsWith('HOSTNAME='));
    out.splice(host >= 0 && host <= 1 ? host + 1 : Math.min(2, out.length), 0, 'TERM=xterm');
  }
  return out;
}

/** An exec's WorkingDir, checked at create (a 400) rather than at start, after the hijack. */
export function validateExecWorkingDir(exec: ExecCreateBody): void {
  if (exec.WorkingDir && !exec.WorkingDir.startsWith('/')) {
    throw new InvalidArgumentError(`the working directory '${exec.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
}

/**
 * The OCI process for `docker exec` in a running container whose spec is
 * `spec`: the container's env with the exec's Env over it, its user and
 * working dir unless given, its capabilities (all of them with Privileged),
 * rlimits and no_new_privs. `groupAdd` is the container's HostConfig.GroupAdd,
 * applied when the exec names a user.
 */
export function buildExecProcess(spec: OciSpec, exec: ExecCreateBody, rootfs: string, groupAdd?: readonly string[] | null): OciProcess {
  const base = spec.process;
  if ((exec.Cmd ?? []).length === 0) throw new InvalidArgumentError('No exec command specified');
  validateExecWorkingDir(exec);
  const tty = exec.Tty === true;
  const p: OciProcess = {
    ...(tty ? { terminal: true } : {}),
    user: exec.User ? resolveUser(rootfs, exec.User, groupAdd) : { ...base.user },
    args: [...exec.Cmd!],
    env: replaceOrAppendEnv(execBaseEnv(base.env, base.terminal === true, tty), exec.Env ?? []),
    cwd: exec.WorkingDir || base.cwd || '/',
  };
  const [height = 0, width = 0] = exec.ConsoleSize ?? [];
  if (tty && height > 0 && width > 0) p.consoleSize = { height, width };
  if (exec.Privileged) {
    const all = allCapabilities();
    p.capabilities = { bounding: all, effective: all, permitted: all };
  } else if (base.capabilities) {
    p.capabilities = base.capabilities;
  }
  if (base.rlimits) p.rlimits = base.rlimits;
  if (base.noNewPrivileges) p.noNewPrivileges = true;
  if (base.oomScoreAdj !== undefined) p.oomScoreAdj = base.oomScoreAdj;
  return p;
}

/**
 * JSON for config.json or an exec's process.json. rlimits are uint64 and
 * RLIM_INFINITY (2^64-1) has no exact double: write it exactly, as runc's Go
 * decoder refuses the rounded 18446744073709552000.
 */
export function serializeSpec(value: OciSpec | OciProcess): string {
  return JSON.stringify(value).replace(/(?<=[:\[,])18446744073709552000(?=[,}\]])/g, '18446744073709551615');
}
