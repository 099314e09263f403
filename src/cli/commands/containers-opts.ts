// The flags of `run` and `create` (docker 28's set, descriptions included) and
// the Go-style parsers of their values; containers-create.ts turns the parsed
// flags into the POST /containers/create request.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { memSwapBytes, nanoCpus, parseDuration, ramInBytes, splitKV } from './containers-units';
import { enableGoFlags } from './containers-flags';
import { parseMount, type Mount } from './containers-mounts';
import { parseDnsAddress, parseDnsSearch, parseExtraHost, parseLink, parseNetworkOpt, type NetworkAttachment } from './containers-netflags';
import { parseGpus, throttleBps, validateAttach, validateDeviceCgroupRule, validateEnv, validateSysctl, validateThrottleIOps, validateWeightDevice } from './containers-validate';

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
export function collectParsed<T>(parse: (v: string) => T): (v: string, prev: T[] | undefined) => T[] {
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
    // docker's own words, its create's stray '|' too.
    .option('--pull <string>', run ? 'Pull image before running ("always", "missing", "never")' : 'Pull image before creating ("always", "|missing", "never")', 'missing')
    .option('-q, --quiet', 'Suppress the pull output')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('--disable-content-trust', 'Skip image verification (default true)');
}

/** The CPU flags run, create and update share (update words the real-time ones its own way). */
export function addCpuFlags(cmd: Command, update = false): Command {
  const the = update ? 'the ' : '';
  return cmd
    .option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period', int)
    .option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota', int)
    .option('--cpu-rt-period <int>', `Limit ${the}CPU real-time period in microseconds`, int)
    .option('--cpu-rt-runtime <int>', `Limit ${the}CPU real-time runtime in microseconds`, int)
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)', int)
    .option('--cpus <decimal>', 'Number of CPUs', parser(nanoCpus))
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)');
}

/** The flags that make up the container's configuration (docker's AddFlags). */
export function addContainerFlags(cmd: Command): void {
  cmd
    .option('-a, --attach <list>', 'Attach to STDIN, STDOUT or STDERR', collectParsed(validateAttach))
    .option('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', collectParsed(parseExtraHost))
    .option('--annotation <map>', 'Add an annotation to the container (passed through to the OCI runtime) (default map[])', collect)
    .option('--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', int)
    .option('--cap-add <list>', 'Add Linux capabilities', collect)
    .option('--cap-drop <list>', 'Drop Linux capabilities', collect)
    .option('--cgroup-parent <string>', 'Optional parent cgroup for the container')
    .option(
      '--cgroupns <string>',
      "Cgroup namespace to use (host|private)\n'host':    Run the container in the Docker host's cgroup namespace\n'private': Run the container in its own private cgroup namespace\n'':        Use the cgroup namespace as configured by the\n           default-cgroupns-mode option on the daemon (default)",
    )
    .option('--cidfile <string>', 'Write the container ID to the file');
  addCpuFlags(cmd);
  cmd
    .option('--device <list>', 'Add a host device to the container', collect)
    .option('--device-cgroup-rule <list>', 'Add a rule to the cgroup allowed devices list', collectParsed(validateDeviceCgroupRule))
    .option('--dns <list>', 'Set custom DNS servers', collectParsed(parseDnsAddress))
    .option('--dns-option <list>', 'Set DNS options', collect)
    .option('--dns-search <list>', 'Set custom DNS search domains', collectParsed(parseDnsSearch))
    .option('--domainname <string>', 'Container NIS domain name')
    .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .option('-e, --env <list>', 'Set environment variables', collectParsed(validateEnv))
    .option('--env-file <list>', 'Read in a file of environment variables', collect)
    .option('--expose <list>', 'Expose a port or a range of ports', collect)
    .option('--group-add <list>', 'Add additional groups to join', collect)
    .option('-h, --hostname <string>', 'Container host name')
    .option('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('--ip <string>', 'IPv4 address (e.g., 172.30.100.104)')
    .option('--ip6 <string>', 'IPv6 address (e.g., 2001:db8::33)')
    .option('--ipc <string>', 'IPC mode to use')
    .option('--isolation <string>', 'Container isolation technology')
    .option('-l, --label <list>', 'Set meta data on a container', collect)
    .option('--label-file <list>', 'Read in a line delimited file of labels', collect)
    .option('--link <list>', 'Add link to another container', collectParsed(parseLink))
    .option('--log-driver <string>', 'Logging driver for the container')
    .option('--log-opt <list>', 'Log driver options', collect)
    .option('--mac-address <string>', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)')
    .option('-m, --memory <bytes>', 'Memory limit', bytes)
    .option('--memory-reservation <bytes>', 'Memory soft limit', bytes)
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", parser(memSwapBytes))
    .option('--memory-swappiness <int>', 'Tune container memory swappiness (0 to 100) (default -1)', int)
    .option('--mount <mount>', 'Attach a filesystem mount to the container', collectParsed(parseMount))
    .option('--network <network>', 'Connect a container to a network', collectParsed(parseNetworkOpt))
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
    .option('--sysctl <map>', 'Sysctl options (default map[])', collectParsed(validateSysctl))
    .option('--tmpfs <list>', 'Mount a tmpfs directory', collect)
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('--ulimit <ulimit>', 'Ulimit options (default [])', collectParsed(parseUlimit))
    .option('--use-api-socket', 'Bind mount Docker API socket and required auth')
    .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .option('--userns <string>', 'User namespace to use')
    .option('--uts <string>', 'UTS namespace to use')
    .option('-v, --volume <list>', 'Bind mount a volume', collect)
    .option('--volume-driver <string>', 'Optional volume driver for the container')
    .option('--volumes-from <list>', 'Mount volumes from the specified container(s)', collect)
    .option('-w, --workdir <string>', 'Working directory inside the container');
  addNetAlias(cmd);
}

/** --net: docker's hidden alias of --network, into the same list in command-line order. */
function addNetAlias(cmd: Command): void {
  const network = parser(parseNetworkOpt);
  cmd.addOption(
    new Option('--net <network>').hideHelp().argParser((v: string) => {
      cmd.setOptionValue('network', [...((cmd.getOptionValue('network') as NetworkAttachment[] | undefined) ?? []), network(v)]);
      return undefined;
    }),
  );
}

/** Per-device block IO limits, GPUs, kernel memory, link-local addresses. */
function addDeviceFlags(cmd: Command): void {
  cmd
    .option('--blkio-weight-device <list>', 'Block IO weight (relative device weight) (default [])', collectParsed(validateWeightDevice))
    .option('--device-read-bps <list>', 'Limit read rate (bytes per second) from a device (default [])', collectParsed(throttleBps(ramInBytes)))
    .option('--device-read-iops <list>', 'Limit read rate (IO per second) from a device (default [])', collectParsed(validateThrottleIOps))
    .option('--device-write-bps <list>', 'Limit write rate (bytes per second) to a device (default [])', collectParsed(throttleBps(ramInBytes)))
    .option('--device-write-iops <list>', 'Limit write rate (IO per second) to a device (default [])', collectParsed(validateThrottleIOps))
    .option('--gpus <gpu-request>', "GPU devices to add to the container ('all' to pass all GPUs)", collectParsed(parseGpus))
    // Accepted and dropped, as docker 28's CLI does (the API ignores it since 1.42).
    .option('--kernel-memory <bytes>', 'Kernel memory limit', bytes)
    .option('--link-local-ip <list>', 'Container IPv4/IPv6 link-local addresses', collect);
}

/** The healthcheck flags (docker's Health* of the container config). */
function addHealthFlags(cmd: Command): void {
  cmd
    .option('--health-cmd <string>', 'Command to run to check health')
    .option('--health-interval <duration>', 'Time between running the check (ms|s|m|h) (default 0s)', duration)
    .option('--health-retries <int>', 'Consecutive failures needed to report unhealthy', int)
    .option('--health-start-interval <duration>', 'Time between running the check during the start period (ms|s|m|h) (default 0s)', duration)
    .option('--health-start-period <duration>', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)', duration)
    .option('--health-timeout <duration>', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)', duration);
}

/** run's or create's arguments and flags (`-h` is --hostname there, so help is --help only). */
export function defineCreateCommand(cmd: Command, run: boolean): Command {
  cmd.helpOption('--help', 'Print usage').usage('[OPTIONS] IMAGE [COMMAND] [ARG...]').argument('<IMAGE>').argument('[COMMAND...]').passThroughOptions();
  addCreateFlags(cmd, run);
  addContainerFlags(cmd);
  addHealthFlags(cmd);
  addDeviceFlags(cmd);
  return enableGoFlags(cmd, false);
}

type Throttle = { Path: string; Rate: number };

/** What commander hands the action of run/create. */
export interface ContainerFlags {
  attach?: string[]; addHost?: string[]; annotation?: string[]; blkioWeight?: number; capAdd?: string[]; capDrop?: string[];
  blkioWeightDevice?: Array<{ Path: string; Weight: number }>; deviceReadBps?: Throttle[]; deviceReadIops?: Throttle[]; deviceWriteBps?: Throttle[];
  deviceWriteIops?: Throttle[]; gpus?: Array<ReturnType<typeof parseGpus>>; kernelMemory?: number; linkLocalIp?: string[];
  cgroupParent?: string; cgroupns?: string; cidfile?: string; cpuPeriod?: number; cpuQuota?: number; cpuRtPeriod?: number;
  cpuRtRuntime?: number; cpuShares?: number; cpus?: number; cpusetCpus?: string; cpusetMems?: string; device?: string[];
  deviceCgroupRule?: string[]; dns?: string[]; dnsOption?: string[]; dnsSearch?: string[]; domainname?: string;
  entrypoint?: string; env?: string[]; envFile?: string[]; expose?: string[]; groupAdd?: string[]; healthCmd?: string;
  healthInterval?: number; healthRetries?: number; healthStartInterval?: number; healthStartPeriod?: number;
  healthTimeout?: number; hostname?: string; init?: boolean; interactive?: boolean; ip?: string; ip6?: string; ipc?: string;
  isolation?: string; label?: string[]; labelFile?: string[]; link?: string[]; logDriver?: string; logOpt?: string[];
  macAddress?: string; memory?: number; memoryReservation?: number; memorySwap?: number; memorySwappiness?: number;
  mount?: Mount[]; network?: NetworkAttachment[]; net?: undefined; networkAlias?: string[]; healthcheck?: boolean; oomKillDisable?: boolean;
  oomScoreAdj?: number; pid?: string; pidsLimit?: number; privileged?: boolean; publish?: string[]; publishAll?: boolean;
  readOnly?: boolean; restart: string; rm?: boolean; runtime?: string; securityOpt?: string[]; shmSize?: number;
  stopSignal?: string; stopTimeout?: number; storageOpt?: string[]; sysctl?: string[]; tmpfs?: string[]; tty?: boolean;
  ulimit?: Ulimit[]; useApiSocket?: boolean; user?: string; userns?: string; uts?: string; volume?: string[]; volumeDriver?: string;
  volumesFrom?: string[]; workdir?: string;
  // run and create
  name?: string; pull: string; quiet?: boolean; platform?: string;
  // run only
  detach?: boolean; sigProxy?: boolean; detachKeys?: string;
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

