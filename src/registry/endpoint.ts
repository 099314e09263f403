// Where and how a registry host is reached, as dockerd's registry package
// decides it. A secure registry speaks HTTPS verified against the system's CAs
// plus the `*.crt` files of <certs-dir>/<host[:port]>/, and presents the
// client certificate of a `*.cert` + `*.key` pair there (docker's certs.d
// layout; the directory is read again whenever its files change). An insecure
// one (127.0.0.0/8, `localhost`, `insecure-registries`) is tried over HTTPS
// without verification first and over plain HTTP when that fails; the scheme
// that answered is remembered for the host.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tls from 'node:tls';
import type { Dispatcher } from 'undici';
import { InvalidArgumentError, isErrno } from '../errors';

export interface EndpointOptions {
  /** `host[:port]` or CIDRs served over plain HTTP (daemon.json `insecure-registries`). */
  readonly insecureRegistries: readonly string[];
  /** docker's certs.d: one directory per `host[:port]` (daemon.json `registry-certs-dir`). */
  readonly certsDir: string;
}

/** dockerd's default insecure CIDR is 127.0.0.0/8 (so `localhost` too, not `::1`). */
function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/:\d+$/, '');
  return bare === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

function ipv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts.reduce((n, p) => n * 256 + p, 0) : undefined;
}

/** An `insecure-registries` entry names the host: `host[:port]` itself, or a CIDR holding its IPv4 address. */
function insecureEntryMatches(entry: string, domain: string): boolean {
  const bare = entry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const slash = bare.indexOf('/');
  if (slash < 0) return bare === domain;
  const net = ipv4(bare.slice(0, slash));
  const bits = Number(bare.slice(slash + 1));
  const host = ipv4(domain.replace(/:\d+$/, ''));
  if (net === undefined || host === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(host / size) === Math.floor(net / size);
}

/** The TLS material of one certs.d directory. */
interface HostCerts {
  ca: string[];
  cert?: Buffer;
  key?: Buffer;
  /** Names and mtimes of the files read: a change makes a new agent. */
  signature: string;
}

/** Reads <dir>'s `*.crt`, `*.cert` and `*.key` as dockerd's ReadCertsDirectory does. */
function readCertsDir(dir: string): HostCerts {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return { ca: [], signature: '' };
    throw err;
  }
  const out: HostCerts = { ca: [], signature: '' };
  for (const name of names) {
    const file = join(dir, name);
    if (name.endsWith('.crt')) out.ca.push(readFileSync(file, 'utf8'));
    else if (name.endsWith('.cert')) {
      const key = `${name.slice(0, -'.cert'.length)}.key`;
      if (!names.includes(key)) throw new InvalidArgumentError(`missing key ${key} for client certificate ${name}. CA certificates must use the extension .crt`);
      out.cert = readFileSync(file);
      out.key = readFileSync(join(dir, key));
    } else if (name.endsWith('.key')) {
      const cert = `${name.slice(0, -'.key'.length)}.cert`;
      if (!names.includes(cert)) throw new InvalidArgumentError(`missing client certificate ${cert} for key ${name}`);
    } else continue;
    out.signature += `${name}:${statSync(file).mtimeMs};`;
  }
  return out;
}

/** The CAs every secure registry is checked against: Node's bundled ones and the system's (Node ≥ 22.15 lists them). */
let baseCAs: string[] | undefined;
function systemCAs(): string[] {
  const list = (tls as { getCACertificates?: (type: 'default' | 'system') => string[] }).getCACertificates;
  baseCAs ??= list ? [...new Set([...list('default'), ...list('system')])] : [...tls.rootCertificates];
  return baseCAs;
}

export class Endpoints {
  /** Agents by `https|http host` and the certs.d state they were made with. */
  private readonly agents = new Map<string, { signature: string; dispatcher: Dispatcher }>();
  /** The scheme an insecure host answered on. */
  private readonly schemes = new Map<string, 'https' | 'http'>();
  /** Plain HTTP, and redirects (blob GETs may go to a storage backend); made at the first plain request. */
  private plain: Dispatcher | undefined;

  constructor(private readonly opts: EndpointOptions) {}

  /** Whether `domain` may be spoken to without verified TLS. */
  insecure(domain: string): boolean {
    return isLoopbackHost(domain) || this.opts.insecureRegistries.some((e) => insecureEntryMatches(e, domain));
  }

  /** The schemes to try for `domain`, in order. */
  schemesFor(domain: string): Array<'https' | 'http'> {
    if (!this.insecure(domain)) return ['https'];
    const known = this.schemes.get(domain);
    return known ? [known] : ['https', 'http'];
  }

  /** Remembers which scheme an insecure host answered on. */
  answered(domain: string, scheme: 'https' | 'http'): void {
    if (this.insecure(domain)) this.schemes.set(domain, scheme);
  }

  /**
   * The dispatcher for a request to `url`. undici is loaded here, at the first
   * registry request: a daemon that never pulls does not carry it (~6 MB of
   * heap, ~15 MB resident once its code has run).
   */
  async dispatcher(url: URL): Promise<Dispatcher> {
    const { Agent, interceptors } = await import('undici');
    if (url.protocol !== 'https:') return (this.plain ??= new Agent().compose(interceptors.redirect({ maxRedirections: 3 })));
    const host = url.host;
    const insecure = this.insecure(host);
    // dockerd reads certs.d for secure registries only.
    const certs = insecure ? { ca: [], signature: 'insecure' } : readCertsDir(join(this.opts.certsDir, host));
    const cached = this.agents.get(host);
    if (cached && cached.signature === certs.signature) return cached.dispatcher;
    void cached?.dispatcher.close().catch(() => {});
    const connect = insecure
      ? { rejectUnauthorized: false }
      : { ca: [...systemCAs(), ...certs.ca], ...(certs.cert && certs.key ? { cert: certs.cert, key: certs.key } : {}) };
    const dispatcher = new Agent({ connect }).compose(interceptors.redirect({ maxRedirections: 3 }));
    this.agents.set(host, { signature: certs.signature, dispatcher });
    return dispatcher;
  }
}
