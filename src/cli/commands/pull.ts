// pull, push (and image pull/push), login, logout: docker's flags and output:
// the per-layer progress redrawn in place on a terminal, plain status lines
// otherwise; credentials from and to the docker CLI's config.json, sent to
// the daemon in X-Registry-Auth.
import type { Command } from 'commander';
import type { Readable } from 'node:stream';
import type { JSONMessage } from '../../api/types';
import { CliError, type Cli } from '../cli';
import { jsonMessages, printMessages, streamError } from '../jsonstream';
import { splitTag } from './images';
import { note } from '../note';
import { platformJson } from '../platform';
import { isTerminal } from '../tty';
import { domainOf, eraseCredentials, registryAuthHeader, registryKey, saveCredentials } from '../credentials';

interface PullOptions {
  allTags?: boolean;
  quiet?: boolean;
  platform?: string;
}

/** The reference as distribution's String() prints it: `busybox` is docker.io/library/busybox. */
function qualified(name: string): string {
  if (domainOf(name) !== 'docker.io' || name.startsWith('docker.io/')) return name;
  return `docker.io/${name.includes('/') ? '' : 'library/'}${name}`;
}

/** A progress stream printed as docker does: redrawn on a terminal, plain lines otherwise, nothing when quiet. */
async function showProgress(cli: Cli, body: Readable, quiet: boolean | undefined): Promise<void> {
  if (quiet) await printMessages(body, () => {});
  else if (process.stdout.isTTY) await drawProgress(body, (s) => cli.out(s));
  else await printMessages(body, (s) => cli.out(s));
}

/** One line per layer, redrawn in place as its status changes (jsonmessage's terminal mode). */
async function drawProgress(body: Readable, write: (s: string) => void): Promise<void> {
  const lines = new Map<string, number>();
  for await (const msg of jsonMessages<JSONMessage>(body)) {
    if (msg.errorDetail || msg.error) throw streamError(msg);
    const text = `${msg.id ? `${msg.id}: ` : ''}${msg.status ?? ''}${msg.progress ? ` ${msg.progress}` : ''}`;
    const line = msg.id !== undefined ? lines.get(msg.id) : undefined;
    if (line === undefined) {
      if (msg.id !== undefined && msg.progressDetail !== undefined) lines.set(msg.id, lines.size);
      else lines.clear(); // a line without an id ends the block of layer lines
      write(`${text}\n`);
      continue;
    }
    const up = lines.size - line;
    write(`\x1b[${up}A\r\x1b[2K${text}\r\x1b[${up}B`);
  }
}

async function pull(cli: Cli, name: string, o: PullOptions): Promise<void> {
  const { repo, tag } = splitTag(name);
  if (o.allTags && tag !== undefined) throw new CliError('tag can\'t be used with --all-tags/-a');
  if (o.allTags && name.includes('@')) throw new CliError('digest can\'t be used with --all-tags/-a');
  const defaultTag = !o.allTags && tag === undefined && !name.includes('@');
  if (defaultTag && !o.quiet) cli.out('Using default tag: latest\n');
  const query: Record<string, string | undefined> = { fromImage: repo, tag: o.allTags ? undefined : (tag ?? (name.includes('@') ? undefined : 'latest')), platform: o.platform };
  const res = await cli.client.stream('POST', '/images/create', { query, headers: { 'X-Registry-Auth': registryAuthHeader(domainOf(repo)) } });
  await showProgress(cli, res.body, o.quiet);
  cli.out(`${qualified(o.allTags ? repo : `${repo}${tag !== undefined ? `:${tag}` : defaultTag ? ':latest' : ''}`)}\n`);
}

const PLATFORM_PUSH_NOTE = `Using --platform pushes only the specified platform manifest of a multi-platform image index.
Other components, like attestations, will not be included.
To push the complete multi-platform image, remove the --platform flag.
`;

/** push --platform: docker's check and its JSON, or undefined. */
function pushPlatform(platform: string | undefined): string | undefined {
  if (platform === undefined) return undefined;
  try {
    return platformJson(platform);
  } catch (err) {
    throw new CliError(`Invalid platform ${platform}${(err as Error).message}`);
  }
}

async function push(cli: Cli, name: string, o: { allTags?: boolean; quiet?: boolean; platform?: string }): Promise<void> {
  const { repo, tag } = splitTag(name);
  const platform = pushPlatform(o.platform);
  if (platform) cli.out(note(PLATFORM_PUSH_NOTE, isTerminal(1)));
  if (o.allTags && tag !== undefined) throw new CliError('tag can\'t be used with --all-tags/-a');
  if (!o.allTags && tag === undefined && !o.quiet) cli.out('Using default tag: latest\n');
  const query = { tag: o.allTags ? undefined : (tag ?? 'latest'), platform };
  const res = await cli.client.stream('POST', `/images/${repo}/push`, { query, headers: { 'X-Registry-Auth': registryAuthHeader(domainOf(repo)) } });
  await showProgress(cli, res.body, o.quiet);
  if (o.quiet) cli.out(`${name}\n`);
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += (chunk as Buffer).toString();
  return text.replace(/\r?\n$/, '');
}

async function login(cli: Cli, server: string | undefined, o: { username?: string; password?: string; passwordStdin?: boolean }): Promise<void> {
  if (o.password !== undefined && o.passwordStdin) throw new CliError('--password and --password-stdin are mutually exclusive');
  if (o.passwordStdin && !o.username) throw new CliError('Must provide --username with --password-stdin');
  if (o.password !== undefined) cli.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  const password = o.passwordStdin ? await readStdin() : o.password;
  // An empty password (from stdin too) means a prompt, as docker's: impossible off a terminal.
  if (!o.username || !password) throw new CliError('Error: Cannot perform an interactive login from a non TTY device');
  const domain = server ? server.replace(/^https?:\/\//, '').replace(/\/.*$/, '') : 'docker.io';
  const serveraddress = registryKey(domain);
  await cli.client.json('POST', '/auth', { body: { username: o.username, password, serveraddress } });
  saveCredentials(domain, { username: o.username, password });
  cli.out('Login Succeeded\n');
}

function logout(cli: Cli, server: string | undefined): void {
  const domain = server ? server.replace(/^https?:\/\//, '').replace(/\/.*$/, '') : 'docker.io';
  if (eraseCredentials(domain)) cli.out(`Removing login credentials for ${registryKey(domain)}\n`);
  else cli.out(`Not logged in to ${registryKey(domain)}\n`);
}

export function registerRegistryCommands(program: Command, cli: Cli): void {
  const pullCommand = (cmd: Command) =>
    cmd
      .argument('<NAME[:TAG|@DIGEST]>')
      .option('-a, --all-tags', 'Download all tagged images in the repository')
      .option('-q, --quiet', 'Suppress verbose output')
      .option('--platform <string>', 'Set platform if server is multi-platform capable')
      // Content trust (notary) is not done: accepted off, as docker's default.
      .option('--disable-content-trust', 'Skip image verification (default true)')
      .action((name: string, o: PullOptions) => pull(cli, name, o));
  const pushCommand = (cmd: Command) =>
    cmd
      .argument('<NAME[:TAG]>')
      .option('-a, --all-tags', 'Push all tags of an image to the repository')
      .option('-q, --quiet', 'Suppress verbose output')
      .option('--disable-content-trust', 'Skip image signing (default true)')
      .option(
        '--platform <string>',
        "Push a platform-specific manifest as a single-platform image to the registry.\nImage index won't be pushed, meaning that other manifests, including attestations won't be preserved.\n'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)",
      )
      .action((name: string, o: { allTags?: boolean; quiet?: boolean; platform?: string }) => push(cli, name, o));
  pullCommand(program.command('pull').description('Download an image from a registry'));
  pushCommand(program.command('push').description('Upload an image to a registry'));
  const image = program.commands.find((c) => c.name() === 'image');
  if (image) {
    pullCommand(image.command('pull').description('Download an image from a registry'));
    pushCommand(image.command('push').description('Upload an image to a registry'));
  }
  program
    .command('login')
    .summary('Authenticate to a registry')
    .description('Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.')
    .argument('[SERVER]')
    .option('-u, --username <string>', 'Username')
    .option('-p, --password <string>', 'Password or Personal Access Token (PAT)')
    .option('--password-stdin', 'Take the Password or Personal Access Token (PAT) from stdin')
    .action((server: string | undefined, o: { username?: string; password?: string; passwordStdin?: boolean }) => login(cli, server, o));
  program
    .command('logout')
    .summary('Log out from a registry')
    .description('Log out from a registry.\nIf no server is specified, the default is defined by the daemon.')
    .argument('[SERVER]')
    .action((server: string | undefined) => logout(cli, server));
}
