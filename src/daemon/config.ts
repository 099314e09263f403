// The daemon's configuration: dockerd-style flags merged over a daemon.json-style
// file. Flags win over the file; an unknown key in the file is an error (with
// dockerd's wording), so a typo never silently does nothing.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, isErrno } from '../errors';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal'];

export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  configFile: string;
  logLevel: LogLevel;
  debug: boolean;
  /** Group owning the Unix sockets (Docker's `group`), when it exists. */
  group: string;
  labels: string[];
  liveRestore: boolean;
  /** Run an init in containers whose HostConfig.Init is not set (dockerd's `init`). */
  init: boolean;
  experimental: boolean;
  logDriver: string;
  logOpts: Record<string, string>;
  runtimes: Record<string, { path: string; runtimeArgs?: string[] }>;
  defaultRuntime: string;
  insecureRegistries: string[];
  registryMirrors: string[];
  /** docker's certs.d for registries: <dir>/<host[:port]>/{*.crt,*.cert,*.key} (daemon.json `registry-certs-dir`). */
  registryCertsDir: string;
  /** Layers a pull downloads at once (dockerd's `max-concurrent-downloads`). */
  maxConcurrentDownloads: number;
  /** Layers a push uploads at once (dockerd's `max-concurrent-uploads`). */
  maxConcurrentUploads: number;
  /** TLS on the TCP listeners (dockerd's `tls`; implied by `tlsverify`). */
  tls: boolean;
  /** Require client certificates signed by `tlsCaCert` (dockerd's `tlsverify`). */
  tlsVerify: boolean;
  tlsCaCert: string;
  tlsCert: string;
  tlsKey: string;
  // Networks (dockerd's keys; src/network/service.ts, src/network/firewall/).
  /** `bridge`: the default bridge's Linux name ('' = tsd0 / tsd<tag>). */
  bridge: string;
  /** `bip`: the default bridge's gateway/prefix. */
  bip: string;
  /** `fixed-cidr`: the default bridge's address range. */
  fixedCidr: string;
  /** `default-address-pools`: where networks' subnets come from. */
  defaultAddressPools: Array<{ base: string; size: number }>;
  /** `mtu` of the default bridge (0: 1500). */
  mtu: number;
  /** `ip`: the host address of ports published without one. */
  ip: string;
  icc: boolean;
  ipMasq: boolean;
  /** `iptables`: false = no firewall rules at all (no published ports, no masquerade). */
  iptables: boolean;
  /** `userland-proxy`: accepted; tsdocker never runs a proxy (ports are in the kernel). */
  userlandProxy: boolean;
  /** `dns`, `dns-opts`, `dns-search`: the defaults of containers' resolv.conf. */
  dns: string[];
  dnsOpts: string[];
  dnsSearch: string[];
}

export const DEFAULTS: DaemonConfig = {
  hosts: ['unix:///run/tsdocker.sock'],
  dataRoot: '/var/lib/tsdocker',
  execRoot: '/run/tsdocker',
  pidfile: '/run/tsdockerd.pid',
  configFile: '/etc/tsdocker/daemon.json',
  logLevel: 'info',
  debug: false,
  group: 'tsdocker',
  labels: [],
  liveRestore: true,
  init: false,
  experimental: false,
  logDriver: 'json-file',
  logOpts: { 'max-size': '10m', 'max-file': '3' },
  runtimes: {},
  defaultRuntime: 'tsd-runtime',
  insecureRegistries: [],
  registryMirrors: [],
  registryCertsDir: '/etc/tsdocker/certs.d',
  maxConcurrentDownloads: 3,
  maxConcurrentUploads: 5,
  tls: false,
  tlsVerify: false,
  ...defaultCertPaths(),
  bridge: '',
  bip: '',
  fixedCidr: '',
  defaultAddressPools: [],
  mtu: 0,
  ip: '',
  icc: true,
  ipMasq: true,
  iptables: true,
  userlandProxy: false,
  dns: [],
  dnsOpts: [],
  dnsSearch: [],
};

/** dockerd's defaults for the TLS files: $DOCKER_CERT_PATH or ~/.docker, {ca,cert,key}.pem. */
function defaultCertPaths(): Pick<DaemonConfig, 'tlsCaCert' | 'tlsCert' | 'tlsKey'> {
  const dir = process.env['DOCKER_CERT_PATH'] || join(homedir(), '.docker');
  return { tlsCaCert: join(dir, 'ca.pem'), tlsCert: join(dir, 'cert.pem'), tlsKey: join(dir, 'key.pem') };
}

type Kind = 'string' | 'boolean' | 'string[]' | 'map' | 'runtimes' | 'count' | 'pools';

/** daemon.json keys (dockerd's spelling) → config field and expected JSON type. */
const FILE_KEYS: Record<string, { field: keyof DaemonConfig; kind: Kind }> = {
  hosts: { field: 'hosts', kind: 'string[]' },
  'data-root': { field: 'dataRoot', kind: 'string' },
  'exec-root': { field: 'execRoot', kind: 'string' },
  pidfile: { field: 'pidfile', kind: 'string' },
  'log-level': { field: 'logLevel', kind: 'string' },
  debug: { field: 'debug', kind: 'boolean' },
  group: { field: 'group', kind: 'string' },
  labels: { field: 'labels', kind: 'string[]' },
  'live-restore': { field: 'liveRestore', kind: 'boolean' },
  init: { field: 'init', kind: 'boolean' },
  experimental: { field: 'experimental', kind: 'boolean' },
  'log-driver': { field: 'logDriver', kind: 'string' },
  'log-opts': { field: 'logOpts', kind: 'map' },
  runtimes: { field: 'runtimes', kind: 'runtimes' },
  'default-runtime': { field: 'defaultRuntime', kind: 'string' },
  'insecure-registries': { field: 'insecureRegistries', kind: 'string[]' },
  'registry-mirrors': { field: 'registryMirrors', kind: 'string[]' },
  'registry-certs-dir': { field: 'registryCertsDir', kind: 'string' },
  'max-concurrent-downloads': { field: 'maxConcurrentDownloads', kind: 'count' },
  'max-concurrent-uploads': { field: 'maxConcurrentUploads', kind: 'count' },
  tls: { field: 'tls', kind: 'boolean' },
  tlsverify: { field: 'tlsVerify', kind: 'boolean' },
  tlscacert: { field: 'tlsCaCert', kind: 'string' },
  tlscert: { field: 'tlsCert', kind: 'string' },
  tlskey: { field: 'tlsKey', kind: 'string' },
  bridge: { field: 'bridge', kind: 'string' },
  bip: { field: 'bip', kind: 'string' },
  'fixed-cidr': { field: 'fixedCidr', kind: 'string' },
  'default-address-pools': { field: 'defaultAddressPools', kind: 'pools' },
  mtu: { field: 'mtu', kind: 'count' },
  ip: { field: 'ip', kind: 'string' },
  icc: { field: 'icc', kind: 'boolean' },
  'ip-masq': { field: 'ipMasq', kind: 'boolean' },
  iptables: { field: 'iptables', kind: 'boolean' },
  'userland-proxy': { field: 'userlandProxy', kind: 'boolean' },
  dns: { field: 'dns', kind: 'string[]' },
  'dns-opts': { field: 'dnsOpts', kind: 'string[]' },
  'dns-search': { field: 'dnsSearch', kind: 'string[]' },
};

/** The subset of fields that SIGHUP may change in a running daemon. */
export const RELOADABLE: readonly (keyof DaemonConfig)[] = [
  'logLevel', 'debug', 'labels', 'liveRestore', 'logOpts', 'runtimes', 'defaultRuntime',
  'insecureRegistries', 'registryMirrors', 'registryCertsDir', 'experimental', 'maxConcurrentDownloads', 'maxConcurrentUploads',
];

function checkKind(key: string, kind: Kind, value: unknown): void {
  const isStringMap = (v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
  const ok =
    kind === 'string' ? typeof value === 'string'
    : kind === 'boolean' ? typeof value === 'boolean'
    : kind === 'string[]' ? Array.isArray(value) && value.every((v) => typeof v === 'string')
    : kind === 'map' ? isStringMap(value)
    : kind === 'count' ? Number.isInteger(value) && (value as number) > 0
    : kind === 'pools' ? Array.isArray(value) && value.every((p) => typeof p === 'object' && p !== null && typeof (p as { base?: unknown }).base === 'string' && Number.isInteger((p as { size?: unknown }).size))
    : typeof value === 'object' && value !== null && !Array.isArray(value) &&
      Object.values(value).every((r) => typeof r === 'object' && r !== null && typeof (r as { path?: unknown }).path === 'string');
  if (!ok) throw new InvalidArgumentError(`invalid value for "${key}" in configuration file: expected ${kind}`);
}

/** Reads a daemon.json. A missing file is an empty configuration unless `required`. */
export function readConfigFile(path: string, required: boolean): Partial<DaemonConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') && !required) return {};
    throw new InvalidArgumentError(`unable to configure the daemon with file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`unable to configure the daemon with file ${path}: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidArgumentError(`unable to configure the daemon with file ${path}: not a JSON object`);
  }
  const options = json as Record<string, unknown>;
  const unknown = Object.keys(options).filter((k) => !(k in FILE_KEYS));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `unable to configure the daemon with file ${path}: the following directives don't match any configuration option: ${unknown.join(', ')}`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    const spec = FILE_KEYS[key]!;
    checkKind(key, spec.kind, value);
    out[spec.field] = value;
  }
  return out as Partial<DaemonConfig>;
}

/** Defaults, then the file, then the flags; validates the result. */
export function resolveConfig(flags: Partial<DaemonConfig>, file: Partial<DaemonConfig>): DaemonConfig {
  const config: DaemonConfig = { ...DEFAULTS, ...file, ...flags };
  config.logOpts = { ...DEFAULTS.logOpts, ...file.logOpts, ...flags.logOpts };
  if (config.debug && flags.logLevel === undefined && file.logLevel === undefined) config.logLevel = 'debug';
  if (!LOG_LEVELS.includes(config.logLevel)) {
    throw new InvalidArgumentError(`unable to parse logging level: ${config.logLevel}`);
  }
  if (config.hosts.length === 0) config.hosts = [...DEFAULTS.hosts];
  // `tlsverify` implies `tls`; `"tlsverify": false` is read as off, not as "set" (dockerd turned TLS on for it, moby#27105).
  if (config.tlsVerify) config.tls = true;
  // As dockerd (its TLSVerify defaults to TLS): `--tls` alone requires client certificates; only an explicit
  // `--tlsverify=false` / `"tlsverify": false` serves TLS to clients without one.
  else if (config.tls && flags.tlsVerify === undefined && file.tlsVerify === undefined) config.tlsVerify = true;
  return config;
}
