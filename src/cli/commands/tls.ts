// `tls init` / `tls renew`: Docker's TLS set-up in one command. init makes a CA, a
// server certificate for the names and addresses clients dial, and a client
// certificate (keys 0600, directory 0700), prints the daemon's flags and writes a
// docker context holding the client's files, so `tsdocker --context NAME ps` and
// `docker --context NAME ps` work at once. renew re-issues both certificates from
// the same CA (same names) and refreshes the context.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Authority } from '../certs';
import { CliError, type Cli } from '../cli';
import { dockerConfigDir, readContext, writeContext } from '../contexts';

const FILES = {
  ca: 'ca.pem',
  caKey: 'ca-key.pem',
  serverCert: 'server-cert.pem',
  serverKey: 'server-key.pem',
  clientCert: 'cert.pem',
  clientKey: 'key.pem',
} as const;

const CA_DAYS = 3650;

interface TlsOptions {
  dir?: string;
  san?: string[];
  host: string;
  name: string;
  days: string;
  force?: boolean;
}

const defaultDir = () => join(homedir(), '.tsdocker', 'tls');

function days(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > CA_DAYS) throw new CliError(`invalid --days ${value}: a whole number of days from 1 to ${CA_DAYS}`);
  return n;
}

/** The port clients dial, from a tcp://host:port address. */
function hostPort(host: string): number {
  const url = URL.parse(host.replace(/^tcp:/, 'https:'));
  if (!host.startsWith('tcp://') || url === null || url.hostname === '') throw new CliError(`invalid --host ${host}: expected tcp://HOST:PORT`);
  return url.port === '' ? 2376 : Number(url.port);
}

function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

async function issuePair(dir: string, ca: Authority, sans: readonly string[], validDays: number): Promise<Date> {
  const { expiry, issue } = await import('../certs');
  const server = await issue(ca, 'server', sans[0] ?? 'localhost', sans, validDays);
  const client = await issue(ca, 'client', 'client', [], validDays);
  writeSecret(join(dir, FILES.serverKey), server.key);
  writeFileSync(join(dir, FILES.serverCert), server.cert, { mode: 0o644 });
  writeSecret(join(dir, FILES.clientKey), client.key);
  writeFileSync(join(dir, FILES.clientCert), client.cert, { mode: 0o644 });
  return expiry(server.cert);
}

function saveContext(cli: Cli, dir: string, name: string, host: string, overwrite: boolean): void {
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  writeContext(
    dockerConfigDir(cli.configFlag),
    { name, description: `tsdocker over TLS (${dir})`, host, skipTlsVerify: false },
    { ca: read(FILES.ca), cert: read(FILES.clientCert), key: read(FILES.clientKey) },
    overwrite,
  );
}

async function init(cli: Cli, o: TlsOptions): Promise<void> {
  const dir = o.dir ?? defaultDir();
  const validDays = days(o.days);
  const port = hostPort(o.host);
  if (!o.force && existsSync(join(dir, FILES.caKey))) {
    throw new CliError(`${join(dir, FILES.caKey)} exists: renew the certificates with 'tsdocker tls renew', or start over with --force`);
  }
  const sans = [...new Set(o.san ?? ['localhost', '127.0.0.1', hostname()])];
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const { createAuthority } = await import('../certs');
  const ca = await createAuthority(`tsdocker CA (${hostname()})`, CA_DAYS);
  writeSecret(join(dir, FILES.caKey), ca.key);
  writeFileSync(join(dir, FILES.ca), ca.cert, { mode: 0o644 });
  const until = await issuePair(dir, ca, sans, validDays);
  saveContext(cli, dir, o.name, o.host, o.force === true);
  cli.out(
    `Created a CA, a server certificate for ${sans.join(', ')} and a client certificate in ${dir} (valid until ${until.toISOString()}).\n\n` +
      `Start the daemon with:\n  tsdockerd -H unix:///run/tsdocker.sock -H tcp://0.0.0.0:${port} --tlsverify ` +
      `--tlscacert ${join(dir, FILES.ca)} --tlscert ${join(dir, FILES.serverCert)} --tlskey ${join(dir, FILES.serverKey)}\n\n` +
      `Created the context "${o.name}" (${o.host}):\n  tsdocker --context ${o.name} ps\n  docker --context ${o.name} ps\n`,
  );
}

async function renew(cli: Cli, o: TlsOptions): Promise<void> {
  const dir = o.dir ?? defaultDir();
  const validDays = days(o.days);
  const read = (file: string) => {
    try {
      return readFileSync(join(dir, file), 'utf8');
    } catch (err) {
      throw new CliError(`cannot renew: ${join(dir, file)}: ${(err as Error).message} (make the certificates with 'tsdocker tls init')`);
    }
  };
  const { loadAuthority, sansOf } = await import('../certs');
  const ca = await loadAuthority(read(FILES.ca), read(FILES.caKey));
  const sans = o.san ?? sansOf(read(FILES.serverCert));
  const until = await issuePair(dir, ca, sans, validDays);
  const configDir = dockerConfigDir(cli.configFlag);
  const context = readContext(configDir, o.name);
  saveContext(cli, dir, o.name, context.host, true);
  cli.out(`Renewed the server certificate (${sans.join(', ')}) and the client certificate in ${dir}, valid until ${until.toISOString()}; the context "${o.name}" has the new client certificate.\nRestart tsdockerd to serve the new server certificate.\n`);
}

export function registerTls(program: Command, cli: Cli): void {
  const tls = program.command('tls').description('Make the certificates for a daemon reached over TLS');
  const common = (cmd: Command) =>
    cmd
      .option('--dir <dir>', 'Directory of the CA and the certificates (default "~/.tsdocker/tls")')
      .option('--san <name>', 'A DNS name or IP address of the daemon (repeatable; default: localhost, 127.0.0.1 and the host name)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
      .option('--name <context>', 'Docker context holding the client certificate', 'tsdocker-tls')
      .option('--days <days>', 'Validity of the server and client certificates, in days', '365');
  common(tls.command('init').description('Create a CA, server and client certificates, and a docker context'))
    .option('--host <address>', 'Address clients dial (the context\'s endpoint)', 'tcp://localhost:2376')
    .option('--force', 'Replace an existing CA and context')
    .action((o: TlsOptions) => init(cli, o));
  common(tls.command('renew').description('Re-issue the server and client certificates from the same CA'))
    .action((o: TlsOptions) => renew(cli, o));
}
