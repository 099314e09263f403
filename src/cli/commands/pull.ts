// pull, image pull: docker's flags (-a, -q, --platform) and output: the
// per-layer progress redrawn in place on a terminal, plain status lines
// otherwise, and the full reference at the end.
import type { Command } from 'commander';
import type { Readable } from 'node:stream';
import type { JSONMessage } from '../../api/types';
import { DaemonError } from '../client';
import { CliError, type Cli } from '../cli';
import { jsonMessages, printMessages } from '../jsonstream';
import { splitTag } from './images';

interface PullOptions {
  allTags?: boolean;
  quiet?: boolean;
  platform?: string;
}

/** The reference as distribution's String() prints it: `busybox` is docker.io/library/busybox. */
function qualified(name: string): string {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  if (slash >= 0 && (/[.:]/.test(first) || first === 'localhost')) return name;
  return `docker.io/${slash < 0 ? 'library/' : ''}${name}`;
}

/** One line per layer, redrawn in place as its status changes (jsonmessage's terminal mode). */
async function drawProgress(body: Readable, write: (s: string) => void): Promise<void> {
  const lines = new Map<string, number>();
  for await (const msg of jsonMessages<JSONMessage>(body)) {
    if (msg.errorDetail || msg.error) throw new DaemonError(500, msg.errorDetail?.message ?? msg.error ?? 'unknown error');
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
  const res = await cli.client.stream('POST', '/images/create', { query });
  if (o.quiet) await printMessages(res.body, () => {});
  else if (process.stdout.isTTY) await drawProgress(res.body, (s) => cli.out(s));
  else await printMessages(res.body, (s) => cli.out(s));
  cli.out(`${qualified(o.allTags ? repo : `${repo}${tag !== undefined ? `:${tag}` : defaultTag ? ':latest' : ''}`)}\n`);
}

export function registerPull(program: Command, cli: Cli): void {
  const pullCommand = (cmd: Command) =>
    cmd
      .argument('<name>', 'NAME[:TAG|@DIGEST]')
      .option('-a, --all-tags', 'Download all tagged images in the repository')
      .option('-q, --quiet', 'Suppress verbose output')
      .option('--platform <platform>', 'Set platform if server is multi-platform capable')
      .action((name: string, o: PullOptions) => pull(cli, name, o));
  pullCommand(program.command('pull').description('Download an image from a registry'));
  const image = program.commands.find((c) => c.name() === 'image');
  if (image) pullCommand(image.command('pull').description('Download an image from a registry'));
}
