// Which daemon the CLI talks to, and how: docker's resolution. A context
// (--context, else DOCKER_CONTEXT, else config.json's currentContext) unless -H or
// DOCKER_HOST names a host; for a host, TLS from --tls/--tlsverify/DOCKER_TLS_VERIFY
// with the files of --tlscacert/--tlscert/--tlskey, by default
// $DOCKER_CERT_PATH/{ca,cert,key}.pem or the config directory's.
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { CliError } from './cli-error';
import { currentContext, DEFAULT_CONTEXT, dockerConfigDir, readContext, type TlsFiles } from './contexts';

export const DEFAULT_HOST = 'unix:///run/tsdocker.sock';
const EXPIRY_WARNING_DAYS = 30;

/** What node:tls needs to reach a daemon: a client certificate and key when it asks for one, the CA when verifying. */
export interface TlsSettings {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  verify: boolean;
}

export interface Endpoint {
  host: string;
  tls?: TlsSettings;
}

export interface EndpointFlags {
  host?: string[];
  context?: string;
  config?: string;
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

function readPem(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    // Go's words for the file error ("open x: no such file or directory"), as docker's CLI fails at start.
    const why = /^[A-Z]+: (.*?), /.exec((err as Error).message)?.[1] ?? (err as Error).message;
    throw new CliError(`${UNRESOLVED}open ${path}: ${why}`);
  }
}

/** Warns (once per command) when the client certificate is about to expire or has. */
function warnExpiry(cert: Buffer, path: string): void {
  // Loaded here, not at start-up: only TLS endpoints pay for node:crypto.
  const { X509Certificate } = process.getBuiltinModule('node:crypto');
  const until = new Date(new X509Certificate(cert).validTo);
  const days = (until.getTime() - Date.now()) / 86_400_000;
  if (days > EXPIRY_WARNING_DAYS) return;
  const when = days < 0 ? 'expired on' : 'expires on';
  process.stderr.write(`WARNING: the client certificate ${path} ${when} ${until.toISOString()}: renew it with 'tsdocker tls renew'\n`);
}

function loadTls(files: TlsFiles, verify: boolean): TlsSettings {
  const settings: TlsSettings = { verify };
  // Read whenever TLS is on, as docker reads its files (the CA is used to verify only with verify).
  if (files.ca) settings.ca = readPem(files.ca);
  if (files.cert && files.key) {
    settings.cert = readPem(files.cert);
    settings.key = readPem(files.key);
    warnExpiry(settings.cert, files.cert);
  }
  return settings;
}

/** The context to use, or undefined for -H/DOCKER_HOST (docker's resolveContextName). */
export function contextName(flags: EndpointFlags, configDir: string): string | undefined {
  if (flags.context !== undefined && flags.host?.length) throw new CliError('conflicting options: either specify --host or --context, not both');
  if (flags.context !== undefined) return flags.context;
  if (flags.host?.length || process.env['TSDOCKER_HOST'] || process.env['DOCKER_HOST']) return undefined;
  return process.env['DOCKER_CONTEXT'] || currentContext(configDir);
}

export function resolveEndpoint(flags: EndpointFlags): Endpoint {
  const configDir = dockerConfigDir(flags.config);
  const name = contextName(flags, configDir);
  if (name !== undefined && name !== DEFAULT_CONTEXT) {
    const context = readContext(configDir, name);
    const tls = Object.keys(context.tls).length > 0 ? loadTls(context.tls, !context.skipTlsVerify) : undefined;
    return tls ? { host: context.host, tls } : { host: context.host };
  }
  if (flags.host && flags.host.length > 1) throw new CliError(`${UNRESOLVED}Specify only one -H`);
  const host = parseHost(flags.host?.[0] || process.env['TSDOCKER_HOST'] || process.env['DOCKER_HOST'] || '');
  const verify = flags.tlsverify === true || (process.env['DOCKER_TLS_VERIFY'] ?? '') !== '';
  if (!verify && flags.tls !== true) return { host };
  const certDir = process.env['DOCKER_CERT_PATH'] || configDir;
  // As the docker CLI: the default client files are used when they exist, named ones always.
  const named = (given: string | undefined, file: string) => given ?? (existsSync(join(certDir, file)) ? join(certDir, file) : undefined);
  const files: TlsFiles = { ca: flags.tlscacert ?? join(certDir, 'ca.pem') };
  const cert = named(flags.tlscert, 'cert.pem');
  const key = named(flags.tlskey, 'key.pem');
  if (cert !== undefined) files.cert = cert;
  if (key !== undefined) files.key = key;
  return { host, tls: loadTls(files, verify) };
}

const UNRESOLVED = 'Failed to initialize: unable to resolve docker endpoint: ';

/**
 * -H/DOCKER_HOST as docker's CLI takes it at start (opts.ParseHost): blank is
 * the default socket, an address without a scheme is tcp, `tcp://` and
 * `tcp://:port` are localhost's, `unix://` the default socket; other schemes
 * are refused in docker's words.
 */
function parseHost(value: string): string {
  const addr = value.trim();
  if (addr === '') return DEFAULT_HOST;
  const cut = addr.indexOf('://');
  const [proto, rest] = cut < 0 ? ['tcp', addr] : [addr.slice(0, cut), addr.slice(cut + 3)];
  switch (proto) {
    case 'tcp':
      if (rest === '') return 'tcp://localhost:2375';
      return `tcp://${rest.startsWith(':') ? `localhost${rest}` : rest}`;
    case 'unix':
      return rest === '' ? DEFAULT_HOST : addr;
    case 'ssh':
      return addr;
    case 'fd':
      throw new CliError(`Failed to initialize: unable to parse docker host \`${addr}\``);
    case 'npipe':
      throw new CliError('Failed to initialize: protocol not available');
    default:
      throw new CliError(`${UNRESOLVED}invalid bind address format: ${addr}`);
  }
}

/** The address and node:tls options for a TCP host (docker's default port: 2376 with TLS, 2375 without). */
export function tcpTarget(host: string, tls: TlsSettings | undefined): { hostname: string; port: number; origin: string } {
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  const port = url.port === '' ? (tls ? 2376 : 2375) : Number(url.port);
  return { hostname: url.hostname.replace(/^\[|\]$/g, ''), port, origin: `${tls ? 'https' : 'http'}://${url.host.replace(/:\d+$/, '')}:${port}` };
}

/** node:tls connection options for `tls`, to `hostname`. */
export function tlsConnectOptions(tls: TlsSettings, hostname: string): ConnectionOptions {
  return {
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
    rejectUnauthorized: tls.verify,
    minVersion: 'TLSv1.2',
    // SNI carries names only; an IP address is checked against the certificate's IP SANs.
    ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
  };
}
