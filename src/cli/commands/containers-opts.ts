// The flags of `run` and `create` (docker 28's set, descriptions included) and
// their translation into the POST /containers/create body, field for field as
// docker/cli's opts.go `parse` builds Config, HostConfig and NetworkingConfig.
// The body's keys come in Go's struct order and maps with sorted keys, so the
// JSON sent is the docker CLI's byte for byte.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { goPathError, memSwapBytes, nanoCpus, parseDuration, ramInBytes } from './containers-units';
import { enableGoFlags } from './containers-flags';
import { parseMount, parsePorts, type Mount } from './containers-mounts';

/** A parse error docker reports as `docker: <msg>` + the help hint, exit 125. */
export class FlagError extends Error {}

/** A repeatable flag's values, in order. */
export const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

/** A commander parser from a Go-style one: errors become flag errors (exit 125). */
export function parser<T>(parse: (v: string) => T): (v: string) => T {
  return (v) => {
    try {
      return parse(v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

function intValue(v: string): number {
  if (!/^[+-]?\d+$/.test(v)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}
/** A repeatable flag whose every value is parsed (and refused) as it comes. */
function collectParsed<T>(parse: (v: string) => T): (v: string, prev: T[] | undefined) => T[] {
  const one = parser(parse);
  return (v, prev) => [...(prev ?? []), one(v)];
}

export const int = parser(intValue);
export const bytes = parser(ramInBytes);
const duration = parser(parseDuration);

/** Flags of run and create that are not part of the container's configuration. */
export function addCreateFlags(cmd: Command, run: boolean): void {
  if (run) {
    cmd
      .option('-d, --detach', 'Run container in background and print container ID')
      .option('--sig-proxy', 'Proxy received signals to the process (default true)')
      .option('--detach-keys <string>', 'Override the key sequence for detaching a container');
  }
  cmd
    .option('--name <string>', 'Assign a name to the container')
    .option('--pull <string>', 'Pull image before running ("always", "missing", "never")', 'missing')
    .option('-q, --quiet', 'Suppress the pull output')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('--disable-content-trust', 'Skip image verification (default true)');
}

/** The flags that make up the container's configuration (docker's AddFlags). */
/** The CPU flags run, create and update share. */
export function addCpuFlags(cmd: Command): Command {
  return cmd
    .option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period', int)
    .option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota', int)
    .option('--cpu-rt-period <int>', 'Limit CPU real-time period in microseconds', int)
    .option('--cpu-rt-runtime <int>', 'Limit CPU real-time runtime in microseconds', int)
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)', int)
    .option('--cpus <decimal>', 'Number of CPUs', parser(nanoCpus))
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)');
}

export function addContainerFlags(cmd: Command): void {
  cmd
    .option('-a, --attach <list>', 'Attach to STDIN, STDOUT or STDERR', collect)
    .option('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', collect)
    .option('--annotation <map>', 'Add an annotation to the container (passed through to the OCI runtime)', collect)
    .option('--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', int)
    .option('--cap-add <list>', 'Add Linux capabilities', collect)
    .option('--cap-drop <list>', 'Drop Linux capabilities', collect)
    .option('--cgroup-parent <string>', 'Optional parent cgroup for the container')
    .option('--cgroupns <string>', 'Cgroup namespace to use (host|private)')
    .option('--cidfile <string>', 'Write the container ID to the file');
  addCpuFlags(cmd);
  cmd
    .option('--device <list>', 'Add a host device to the container', collect)
    .option('--device-cgroup-rule <list>', 'Add a rule to the cgroup allowed devices list', collect)
    .option('--dns <list>', 'Set custom DNS servers', collect)
    .option('--dns-option <list>', 'Set DNS options', collect)
    .option('--dns-search <list>', 'Set custom DNS search domains', collect)
    .option('--domainname <string>', 'Container NIS domain name')
    .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .option('-e, --env <list>', 'Set environment variables', collect)
    .option('--env-file <list>', 'Read in a file of environment variables', collect)
    .option('--expose <list>', 'Expose a port or a range of ports', collect)
    .option('--group-add <list>', 'Add additional groups to join', collect)
    .option('--health-cmd <string>', 'Command to run to check health')
    .option('--health-interval <duration>', 'Time between running the check (ms|s|m|h) (default 0s)', duration)
    .option('--health-retries <int>', 'Consecutive failures needed to report unhealthy', int)
    .option('--health-start-interval <duration>', 'Time between running the check during the start period (ms|s|m|h) (default 0s)', duration)
    .option('--health-start-period <duration>', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)', duration)
    .option('--health-timeout <duration>', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)', duration)
    .option('-h, --hostname <string>', 'Container host name')
    .option('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('--ip <ip>', 'IPv4 address (e.g., 172.30.100.104)')
    .option('--ip6 <ip>', 'IPv6 address (e.g., 2001:db8::33)')
    .option('--ipc <string>', 'IPC mode to use')
    .option('--isolation <string>', 'Container isolation technology')
    .option('-l, --label <list>', 'Set meta data on a container', collect)
    .option('--label-file <list>', 'Read in a line delimited file of labels', collect)
    .option('--link <list>', 'Add link to another container', collect)
    .option('--log-driver <string>', 'Logging driver for the container')
    .option('--log-opt <list>', 'Log driver options', collect)
    .option('--mac-address <string>', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)')
    .option('-m, --memory <bytes>', 'Memory limit', bytes)
    .option('--memory-reservation <bytes>', 'Memory soft limit', bytes)
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", parser(memSwapBytes))
    .option('--memory-swappiness <int>', 'Tune container memory swappiness (0 to 100) (default -1)', int)
    .option('--mount <mount>', 'Attach a filesystem mount to the container', collectParsed(parseMount))
    .option('--network <network>', 'Connect a container to a network')
    .option('--network-alias <list>', 'Add network-scoped alias for the container', collect)
    .option('--no-healthcheck', 'Disable any container-specified HEALTHCHECK')
    .option('--oom-kill-disable', 'Disable OOM Killer')
    .option('--oom-score-adj <int>', "Tune host's OOM preferences (-1000 to 1000)", int)
    .option('--pid <string>', 'PID namespace to use')
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)', int)
    .option('--privileged', 'Give extended privileges to this container')
    .option('-p, --publish <list>', "Publish a container's port(s) to the host", collect)
    .option('-P, --publish-all', 'Publish all exposed ports to random ports')
    .option('--read-only', "Mount the container's root filesystem as read only")
    .option('--restart <string>', 'Restart policy to apply when a container exits', 'no')
    .option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits')
    .option('--runtime <string>', 'Runtime to use for this container')
    .option('--security-opt <list>', 'Security Options', collect)
    .option('--shm-size <bytes>', 'Size of /dev/shm', bytes)
    .option('--stop-signal <string>', 'Signal to stop the container')
    .option('--stop-timeout <int>', 'Timeout (in seconds) to stop a container', int)
    .option('--storage-opt <list>', 'Storage driver options for the container', collect)
    .option('--sysctl <map>', 'Sysctl options', collect)
    .option('--tmpfs <list>', 'Mount a tmpfs directory', collect)
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('--ulimit <ulimit>', 'Ulimit options', collectParsed(parseUlimit))
    .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .option('--userns <string>', 'User namespace to use')
    .option('--uts <string>', 'UTS namespace to use')
    .option('-v, --volume <list>', 'Bind mount a volume', collect)
    .option('--volume-driver <string>', 'Optional volume driver for the container')
    .option('--volumes-from <list>', 'Mount volumes from the specified container(s)', collect)
    .option('-w, --workdir <string>', 'Working directory inside the container');
}

/** run's or create's arguments and flags (`-h` is --hostname there, so help is --help only). */
export function defineCreateCommand(cmd: Command, run: boolean): Command {
  cmd.helpOption('--help', 'Print usage').argument('<IMAGE>').argument('[COMMAND...]').passThroughOptions();
  addCreateFlags(cmd, run);
  addContainerFlags(cmd);
  return enableGoFlags(cmd, false);
}

/** What commander hands the action of run/create. */
export interface ContainerFlags {
  attach?: string[]; addHost?: string[]; annotation?: string[]; blkioWeight?: number; capAdd?: string[]; capDrop?: string[];
  cgroupParent?: string; cgroupns?: string; cidfile?: string; cpuPeriod?: number; cpuQuota?: number; cpuRtPeriod?: number;
  cpuRtRuntime?: number; cpuShares?: number; cpus?: number; cpusetCpus?: string; cpusetMems?: string; device?: string[];
  deviceCgroupRule?: string[]; dns?: string[]; dnsOption?: string[]; dnsSearch?: string[]; domainname?: string;
  entrypoint?: string; env?: string[]; envFile?: string[]; expose?: string[]; groupAdd?: string[]; healthCmd?: string;
  healthInterval?: number; healthRetries?: number; healthStartInterval?: number; healthStartPeriod?: number;
  healthTimeout?: number; hostname?: string; init?: boolean; interactive?: boolean; ip?: string; ip6?: string; ipc?: string;
  isolation?: string; label?: string[]; labelFile?: string[]; link?: string[]; logDriver?: string; logOpt?: string[];
  macAddress?: string; memory?: number; memoryReservation?: number; memorySwap?: number; memorySwappiness?: number;
  mount?: Mount[]; network?: string; networkAlias?: string[]; healthcheck?: boolean; oomKillDisable?: boolean;
  oomScoreAdj?: number; pid?: string; pidsLimit?: number; privileged?: boolean; publish?: string[]; publishAll?: boolean;
  readOnly?: boolean; restart: string; rm?: boolean; runtime?: string; securityOpt?: string[]; shmSize?: number;
  stopSignal?: string; stopTimeout?: number; storageOpt?: string[]; sysctl?: string[]; tmpfs?: string[]; tty?: boolean;
  ulimit?: Ulimit[]; user?: string; userns?: string; uts?: string; volume?: string[]; volumeDriver?: string;
  volumesFrom?: string[]; workdir?: string;
  // run and create
  name?: string; pull: string; quiet?: boolean; platform?: string;
  // run only
  detach?: boolean; sigProxy?: boolean; detachKeys?: string;
}

/** The create request: its body, and the query (name, platform). */
export interface CreateRequest {
  body: Record<string, unknown>;
  query: { name?: string; platform?: string };
}

const sortedMap = <V>(entries: Iterable<[string, V]>): Record<string, V> =>
  Object.fromEntries([...new Map(entries)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const splitKV = (s: string): [string, string] => {
  const eq = s.indexOf('=');
  return eq < 0 ? [s, ''] : [s.slice(0, eq), s.slice(eq + 1)];
};

/** opts.ValidateEnv: `KEY` alone takes its value from our environment when it has one. */
function envValue(v: string): string {
  const [k] = splitKV(v);
  if (k === '') throw new FlagError(`invalid environment variable: ${v}`);
  if (v.includes('=')) return v;
  const found = process.env[k];
  return found === undefined ? v : `${k}=${found}`;
}

/** kvfile.Parse: KEY=value lines; `KEY` alone is looked up (or dropped); # comments. */
export function readKVFile(file: string, lookup: ((k: string) => string | undefined) | undefined): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new FlagError(goPathError(err));
  }
  const out: string[] = [];
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((raw, i, all) => {
    if (i === all.length - 1 && raw === '') return;
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    const fail = (msg: string) => new FlagError(`invalid env file (${file}): ${msg}`);
    if (key === '') throw fail(`no variable name on line '${line}'`);
    if (/[ \t]/.test(key)) throw fail(`variable '${key}' contains whitespaces`);
    if (eq >= 0) out.push(line);
    else if (lookup) {
      const value = lookup(key);
      if (value !== undefined) out.push(`${key}=${value}`);
    }
  });
  return out;
}

/** The container's environment: env files first, then -e; a later KEY wins in place. */
export function readEnv(files: string[] | undefined, flags: string[] | undefined): string[] | null {
  const all = [...(files ?? []).flatMap((f) => readKVFile(f, (k) => process.env[k])), ...(flags ?? []).map(envValue)];
  if (all.length === 0) return null;
  const byKey = new Map<string, string>();
  for (const e of all) byKey.set(splitKV(e)[0], e);
  return [...byKey.values()];
}

function normalizeCaps(caps: string[] | undefined): string[] | null {
  if (!caps?.length) return null;
  const norm = caps.map((c) => {
    const up = c.trim().toUpperCase();
    return up === 'ALL' || up.startsWith('CAP_') ? up : `CAP_${up}`;
  });
  return [...new Set(norm)].sort();
}

const ULIMITS = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

export interface Ulimit { Name: string; Hard: number; Soft: number }

/** go-units ParseUlimit: `name=soft[:hard]`. */
function parseUlimit(v: string): Ulimit {
  const [name, limits] = splitKV(v);
  if (!v.includes('=')) throw new FlagError(`invalid ulimit argument: ${v}`);
  if (!ULIMITS.has(name)) throw new FlagError(`invalid ulimit type: ${name}`);
  const parts = limits.split(':');
  if (parts.length > 2) throw new FlagError(`too many limit value arguments - ${limits}, can only have up to two, \`soft[:hard]\``);
  const [soft, hard] = parts.map((p) => {
    if (!/^-?\d+$/.test(p)) throw new FlagError(`strconv.ParseInt: parsing ${JSON.stringify(p)}: invalid syntax`);
    return Number(p);
  }) as [number, number | undefined];
  const h = hard ?? soft;
  if (soft > h && h !== -1) throw new FlagError(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${h}`);
  return { Name: name, Hard: h, Soft: soft };
}

/** opts.ParseRestartPolicy: `name[:max-retries]`; the daemon judges the name. */
export function parseRestart(policy: string): { Name: string; MaximumRetryCount: number } {
  if (policy === '') return { Name: '', MaximumRetryCount: 0 };
  const colon = policy.indexOf(':');
  const name = colon < 0 ? policy : policy.slice(0, colon);
  const count = colon < 0 ? '' : policy.slice(colon + 1);
  if (colon >= 0 && name === '') throw new FlagError('invalid restart policy format: no policy provided before colon');
  if (count !== '' && !/^[+-]?\d+$/.test(count)) throw new FlagError('invalid restart policy format: maximum retry count must be an integer');
  return { Name: name, MaximumRetryCount: count === '' ? 0 : Number(count) };
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
    if (value === '' && key !== 'no-new-privileges') throw new FlagError(`invalid --security-opt: ${JSON.stringify(opt)}`);
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

const ZERO_ENDPOINT = {
  IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, GwPriority: 0, NetworkID: '', EndpointID: '',
  Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
};

const BUILTIN_NETWORKS = new Set(['default', 'bridge', 'host', 'none']);

function networkingConfig(f: ContainerFlags): Record<string, unknown> {
  const target = f.network ?? 'default';
  const userDefined = !BUILTIN_NETWORKS.has(target) && !target.startsWith('container:');
  const aliases = f.networkAlias ?? [];
  const links = f.link ?? [];
  if (!userDefined && aliases.length) throw new FlagError('network-scoped aliases are only supported for user-defined networks');
  if (!userDefined && links.length && f.network !== undefined) throw new FlagError('links are only supported for user-defined networks');
  const endpoint = {
    ...ZERO_ENDPOINT,
    IPAMConfig: f.ip || f.ip6 ? { IPv4Address: f.ip ?? '', IPv6Address: f.ip6 ?? '' } : null,
    Links: links.length && userDefined ? links : null,
    Aliases: aliases.length ? aliases : null,
  };
  const custom = endpoint.IPAMConfig !== null || endpoint.Links !== null || endpoint.Aliases !== null;
  // No --network: docker 28 always sends the "default" endpoint; one plain --network sends none.
  if (f.network === undefined || custom) return { EndpointsConfig: { [target]: endpoint } };
  return { EndpointsConfig: {} };
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

/** Builds the create request as docker's `parse` does; throws FlagError with docker's message. */
export function buildCreateRequest(f: ContainerFlags, image: string, args: string[], changed: (flag: string) => boolean, consoleSize: [number, number]): CreateRequest {
  const attach = new Set((f.attach ?? []).map((a) => {
    const s = a.toLowerCase();
    if (!['stdin', 'stdout', 'stderr'].includes(s)) throw new FlagError('valid streams are STDIN, STDOUT and STDERR');
    return s;
  }));
  if (f.macAddress !== undefined && !/^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(f.macAddress.trim())) {
    throw new FlagError(`${f.macAddress} is not a valid mac address`);
  }
  const attachStdin = attach.has('stdin') || f.interactive === true;
  const attachAll = attach.size === 0;
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
  const labelList = [...(f.labelFile ?? []).flatMap((file) => readKVFile(file, undefined)), ...(f.label ?? [])];
  for (const l of f.label ?? []) if (splitKV(l)[0].trim() === '') throw new FlagError(`invalid label '${l}': empty name`);
  const labels = sortedMap(labelList.map(splitKV));
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
  const openStdin = f.interactive === true;
  const sysctls = (f.sysctl ?? []).map(splitKV);
  const annotations = (f.annotation ?? []).map(splitKV);

  const config: Record<string, unknown> = {
    Hostname: f.hostname ?? '',
    Domainname: f.domainname ?? '',
    User: f.user ?? '',
    AttachStdin: attachStdin,
    AttachStdout: attachAll || attach.has('stdout'),
    AttachStderr: attachAll || attach.has('stderr'),
  };
  if (Object.keys(exposed).length) config['ExposedPorts'] = exposed;
  Object.assign(config, {
    Tty: f.tty === true,
    OpenStdin: openStdin,
    StdinOnce: openStdin && attachStdin,
    Env: env,
    Cmd: args.length ? args : null,
  });
  if (health) config['Healthcheck'] = health;
  Object.assign(config, { Image: image, Volumes: volumes, WorkingDir: f.workdir ?? '', Entrypoint: entrypoint, OnBuild: null, Labels: labels });
  if (f.stopSignal) config['StopSignal'] = f.stopSignal;
  if (changed('stop-timeout')) config['StopTimeout'] = f.stopTimeout;

  const hostConfig: Record<string, unknown> = {
    Binds: binds,
    ContainerIDFile: f.cidfile ?? '',
    LogConfig: { Type: f.logDriver ?? '', Config: logOpts },
    NetworkMode: f.network ?? 'default',
    PortBindings: bindings,
    RestartPolicy: restart,
    AutoRemove: f.rm === true,
    VolumeDriver: f.volumeDriver ?? '',
    VolumesFrom: f.volumesFrom ?? null,
    ConsoleSize: consoleSize,
  };
  if (annotations.length) hostConfig['Annotations'] = sortedMap(annotations);
  Object.assign(hostConfig, {
    CapAdd: normalizeCaps(f.capAdd),
    CapDrop: normalizeCaps(f.capDrop),
    CgroupnsMode: cgroupnsMode,
    Dns: f.dns ?? [],
    DnsOptions: f.dnsOption ?? [],
    DnsSearch: f.dnsSearch ?? [],
    ExtraHosts: f.addHost ?? null,
    GroupAdd: f.groupAdd ?? null,
    IpcMode: f.ipc ?? '',
    Cgroup: '',
    Links: f.link ?? null,
    OomScoreAdj: f.oomScoreAdj ?? 0,
    PidMode: pidMode,
    Privileged: f.privileged === true,
    PublishAllPorts: f.publishAll === true,
    ReadonlyRootfs: f.readOnly === true,
    SecurityOpt: security.opts,
  });
  if (storage.length) hostConfig['StorageOpt'] = sortedMap(storage);
  if (Object.keys(tmpfs).length) hostConfig['Tmpfs'] = tmpfs;
  Object.assign(hostConfig, { UTSMode: utsMode, UsernsMode: usernsMode, ShmSize: f.shmSize ?? 0 });
  if (sysctls.length) hostConfig['Sysctls'] = sortedMap(sysctls);
  if (f.runtime) hostConfig['Runtime'] = f.runtime;
  Object.assign(hostConfig, {
    Isolation: f.isolation ?? '',
    CpuShares: f.cpuShares ?? 0,
    Memory: f.memory ?? 0,
    NanoCpus: f.cpus ?? 0,
    CgroupParent: f.cgroupParent ?? '',
    BlkioWeight: f.blkioWeight ?? 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: f.cpuPeriod ?? 0,
    CpuQuota: f.cpuQuota ?? 0,
    CpuRealtimePeriod: f.cpuRtPeriod ?? 0,
    CpuRealtimeRuntime: f.cpuRtRuntime ?? 0,
    CpusetCpus: f.cpusetCpus ?? '',
    CpusetMems: f.cpusetMems ?? '',
    Devices: devices(f.device),
    DeviceCgroupRules: f.deviceCgroupRule ?? null,
    DeviceRequests: null,
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
  });
  if (f.mount?.length) hostConfig['Mounts'] = f.mount;
  Object.assign(hostConfig, {
    MaskedPaths: security.unconfinedPaths ? [] : null,
    ReadonlyPaths: security.unconfinedPaths ? [] : null,
  });
  if (changed('init')) hostConfig['Init'] = f.init === true;

  const body = { ...config, HostConfig: hostConfig, NetworkingConfig: networkingConfig(f) };
  const query: CreateRequest['query'] = {};
  if (f.name !== undefined) query.name = f.name;
  if (f.platform) query.platform = f.platform;
  return { body, query };
}
