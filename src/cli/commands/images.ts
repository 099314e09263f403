// images, image ls/inspect/history/tag/rm/prune/import/save/load, rmi, tag,
// import, save, load, history.
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { HistoryResponseItem, ImageDeleteResponseItem, ImageInspect, ImagePruneResponse, ImageSummary } from '../../api/types';
import type { Cli } from '../cli';
import { CliError } from '../cli';
import { DaemonError } from '../client';
import { parseNormalizedNamed } from '../../api/reference';
import { platformJson } from '../platform';
import { goRfc3339, goTimeString, timeAgo } from '../../api/time';
import { humanSize, printInspect, renderList, shortId } from '../format';
import { printMessages } from '../jsonstream';
import { confirmed } from './containers-ops';
import { checkOutputPath, openInput, writeOutput } from './file-io';
import { collect } from './containers-opts';
import { renderTree } from './images-tree';
import { compareVersions } from '../../api/version';
import { isTerminal, terminalSize } from '../tty';


/** `--filter k=v` flags as the API's filters JSON. */
export function filterJson(flags: string[] | undefined, extra: Record<string, string[]> = {}): string | undefined {
  const out: Record<string, string[]> = { ...extra };
  for (const f of flags ?? []) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new CliError(`bad format of filter (expected name=value)`);
    (out[f.slice(0, eq)] ??= []).push(f.slice(eq + 1));
  }
  return Object.keys(out).length ? JSON.stringify(out) : undefined;
}

/** Splits `name[:tag]` where the tag follows the last '/'. */
export function splitTag(ref: string): { repo: string; tag: string | undefined } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repo: ref, tag: undefined };
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repo: ref, tag: undefined };
}

/** stringutils.Ellipsis: at most `max` characters, the last one "…" when cut. */
function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? chars.slice(0, max - 1).join('') + '…' : s;
}

interface ImageRow {
  ID: string;
  Repository: string;
  Tag: string;
  Digest: string;
  CreatedSince: string;
  CreatedAt: string;
  Size: string;
  Containers: string;
  SharedSize: string;
  UniqueSize: string;
  VirtualSize: string;
}

export function imageRows(images: ImageSummary[], noTrunc: boolean): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const img of images) {
    const base = {
      ID: noTrunc ? img.Id : shortId(img.Id),
      CreatedSince: timeAgo(img.Created),
      CreatedAt: goTimeString(img.Created),
      Size: humanSize(img.Size, 3),
      Containers: img.Containers >= 0 ? String(img.Containers) : 'N/A',
      SharedSize: img.SharedSize === -1 ? 'N/A' : humanSize(img.SharedSize),
      UniqueSize: img.Size === -1 || img.SharedSize === -1 ? 'N/A' : humanSize(img.Size - img.SharedSize),
      VirtualSize: humanSize(img.Size),
    };
    const digestOf = (repo: string) => img.RepoDigests.find((d) => d.startsWith(`${repo}@`))?.split('@')[1] ?? '<none>';
    if (img.RepoTags.length > 0) {
      for (const rt of img.RepoTags) {
        const { repo, tag } = splitTag(rt);
        rows.push({ ...base, Repository: repo, Tag: tag ?? '<none>', Digest: digestOf(repo) });
      }
    } else if (img.RepoDigests.length > 0) {
      for (const rd of img.RepoDigests) {
        const [repo, digest] = rd.split('@');
        rows.push({ ...base, Repository: repo!, Tag: '<none>', Digest: digest ?? '<none>' });
      }
    } else rows.push({ ...base, Repository: '<none>', Tag: '<none>', Digest: '<none>' });
  }
  return rows;
}

interface ListOpts { all?: boolean; quiet?: boolean; digests?: boolean; noTrunc?: boolean; filter?: string[]; format?: string; tree?: boolean }

/** `images --tree`: the flags it cannot show yet refused, an older daemon too, as docker does. */
async function listTree(cli: Cli, filters: string | undefined, o: ListOpts): Promise<void> {
  const refused = o.quiet ? '--quiet' : o.noTrunc ? '--no-trunc' : o.digests ? '--show-digest' : o.format ? '--format' : undefined;
  if (refused) throw new CliError(`${refused} is not yet supported with --tree`);
  const version = await cli.client.apiVersion();
  if (compareVersions(version, '1.47') < 0) throw new CliError(`"--tree" requires API version 1.47, but the Docker daemon API version is ${version}`);
  const images = await cli.client.get<ImageSummary[]>('/images/json', { all: o.all ? '1' : undefined, filters, manifests: '1' });
  const terminal = isTerminal(1);
  cli.out(renderTree(images, o.all === true, { terminal, width: terminal ? terminalSize()[1] : 0 }));
}

async function list(cli: Cli, reference: string | undefined, o: ListOpts): Promise<void> {
  const filters = filterJson(o.filter, reference ? { reference: [reference] } : {});
  if (o.tree) return listTree(cli, filters, o);
  const images = await cli.client.get<ImageSummary[]>('/images/json', { all: o.all ? '1' : undefined, filters });
  const rows = imageRows(images, o.noTrunc === true);
  // With --format, -q is ignored (docker's image list lets the format win, silently).
  if (o.quiet && !o.format) {
    // One line per row (per tag), as docker prints them: `images -q | wc -l` counts tags.
    cli.out(rows.map((r) => `${r.ID}\n`).join(''));
    return;
  }
  const digestCol = o.digests ? '\t{{.Digest}}' : '';
  cli.out(
    renderList(o.format, {
      defaultTable: `table {{.Repository}}\t{{.Tag}}${digestCol}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}`,
      headers: {
        Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE',
        Containers: 'CONTAINERS', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', VirtualSize: 'SIZE',
      },
      context: '*formatter.imageContext',
      rows,
    }),
  );
}

async function inspect(cli: Cli, names: string[], o: { format?: string; platform?: string }): Promise<void> {
  const platform = o.platform ? platformJson(o.platform) : undefined;
  const found: ImageInspect[] = [];
  let failure: unknown;
  for (const name of names) {
    try {
      found.push(await cli.client.get<ImageInspect>(`/images/${name}/json`, { platform }));
    } catch (err) {
      failure = err;
    }
  }
  const errors = printInspect(cli, o.format, found);
  if (failure) throw failure;
  if (errors.length) throw new CliError(errors.join('\n'));
}

async function history(cli: Cli, name: string, o: { human: boolean; noTrunc?: boolean; quiet?: boolean; format?: string; platform?: string }): Promise<void> {
  const items = await cli.client.get<HistoryResponseItem[]>(`/images/${name}/history`, { platform: o.platform ? platformJson(o.platform, 'invalid platform') : undefined });
  const rows = items.map((h) => ({
    ID: h.Id === '<missing>' ? h.Id : o.noTrunc ? h.Id : shortId(h.Id),
    CreatedSince: o.human ? timeAgo(h.Created) : goRfc3339(h.Created),
    CreatedAt: goRfc3339(h.Created),
    CreatedBy: o.noTrunc ? h.CreatedBy : ellipsis(h.CreatedBy.replace(/\t/g, ' '), 45),
    Size: o.human ? humanSize(h.Size, 3) : String(h.Size),
    Comment: h.Comment,
  }));
  if (o.quiet && !o.format) {
    cli.out(rows.map((r) => `${r.ID}\n`).join(''));
    return;
  }
  cli.out(
    renderList(o.format, {
      defaultTable: `table {{.ID}}\t{{.${o.human ? 'CreatedSince' : 'CreatedAt'}}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}`,
      headers: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' },
      context: '*image.historyContext',
      rows,
    }),
  );
}

async function tag(cli: Cli, source: string, target: string): Promise<void> {
  // Both names are parsed first, as docker's client does.
  for (const name of [source, target]) {
    try {
      parseNormalizedNamed(name);
    } catch (err) {
      throw new CliError(`Error parsing reference: ${JSON.stringify(name)} is not a valid repository/tag: ${(err as Error).message}`);
    }
  }
  const { repo, tag: t } = splitTag(target);
  await cli.client.json('POST', `/images/${source}/tag`, { query: { repo, tag: t } });
}

async function remove(cli: Cli, names: string[], o: { force?: boolean; prune: boolean; platform?: string[] }): Promise<void> {
  let failed = false;
  const platforms = o.platform?.map((p) => platformJson(p));
  for (const name of names) {
    try {
      const { body } = await cli.client.json<ImageDeleteResponseItem[]>('DELETE', `/images/${name}`, {
        query: { force: o.force ? '1' : undefined, noprune: o.prune ? undefined : '1', platforms },
      });
      for (const item of body) cli.out(item.Untagged ? `Untagged: ${item.Untagged}\n` : `Deleted: ${item.Deleted}\n`);
    } catch (err) {
      // With -f, an image that is not there is reported, but is no failure (docker's exit 0).
      if (!(o.force && err instanceof DaemonError && err.status === 404)) failed = true;
      cli.err(`Error response from daemon: ${(err as Error).message}\n`);
    }
  }
  if (failed) throw new CliError('', 1);
}

async function prune(cli: Cli, o: { all?: boolean; force?: boolean; filter?: string[] }): Promise<void> {
  const warning = o.all ? 'This will remove all images without at least one container associated to them.' : 'This will remove all dangling images.';
  if (!o.force && !(await confirmed(cli, warning))) return;
  const extra: Record<string, string[]> = o.all ? { dangling: ['false'] } : {};
  const { body } = await cli.client.json<ImagePruneResponse>('POST', '/images/prune', { query: { filters: filterJson(o.filter, extra) } });
  const deleted = body.ImagesDeleted ?? [];
  if (deleted.length) {
    cli.out('Deleted Images:\n');
    for (const item of deleted) cli.out(item.Untagged ? `untagged: ${item.Untagged}\n` : `deleted: ${item.Deleted}\n`);
    cli.out('\n');
  }
  cli.out(`Total reclaimed space: ${humanSize(body.SpaceReclaimed)}\n`);
}

async function importImage(cli: Cli, file: string, reference: string | undefined, o: { change?: string[]; message?: string; platform?: string }): Promise<void> {
  const { repo, tag: t } = reference ? splitTag(reference) : { repo: undefined, tag: undefined };
  // docker's three sources: stdin, a URL the daemon fetches (no body), a local file.
  const url = /^https?:\/\//.test(file);
  const query = { fromSrc: url ? file : '-', repo, tag: t, message: o.message, changes: o.change, platform: o.platform };
  const stream = file === '-' ? process.stdin : url ? undefined : await openInput(cli, file, 'POST', '/images/create', { fromSrc: '-', repo, tag: t, message: o.message, platform: o.platform });
  const res = await cli.client.stream('POST', '/images/create', { query, ...(stream ? { stream } : {}) });
  await printMessages(res.body, (s) => cli.out(s));
}

async function save(cli: Cli, names: string[], o: { output?: string; platform?: string }): Promise<void> {
  if (!o.output && process.stdout.isTTY) {
    throw new CliError('tsdocker: cowardly refusing to save to a terminal. Use the -o flag or redirect');
  }
  if (o.output) await checkOutputPath(o.output, 'failed to save image');
  const res = await cli.client.stream('GET', '/images/get', { query: { names, platform: o.platform === undefined ? undefined : platformJson(o.platform, 'invalid platform') } });
  if (o.output) await writeOutput(res.body, o.output, 'failed to save image');
  else await pipeline(res.body, process.stdout);
}

async function load(cli: Cli, o: { input?: string; quiet?: boolean; platform?: string }): Promise<void> {
  if (!o.input && process.stdin.isTTY) throw new CliError('requested load from stdin, but stdin is empty');
  const query = { quiet: o.quiet || !process.stdout.isTTY ? '1' : undefined, platform: o.platform === undefined ? undefined : platformJson(o.platform, 'invalid platform') };
  const res = await cli.client.stream('POST', '/images/load', {
    query,
    stream: o.input ? await openInput(cli, o.input, 'POST', '/images/load', query) : process.stdin,
  });
  await printMessages(res.body, (s) => cli.out(s));
}

function listCommand(cmd: Command, cli: Cli): Command {
  return cmd
    .argument('[REPOSITORY[:TAG]]')
    .option('-a, --all', 'Show all images (default hides intermediate images)')
    .option('--digests', 'Show digests')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .option('--tree', 'List multi-platform images as a tree (EXPERIMENTAL)')
    .action((ref: string | undefined, o: ListOpts & { trunc?: boolean }) => list(cli, ref, { ...o, noTrunc: o.trunc === false }));
}

export function registerImages(program: Command, cli: Cli): void {
  const lsCommand = (cmd: Command) => listCommand(cmd, cli);
  const inspectCommand = (cmd: Command) =>
    cmd
      .argument('<IMAGE...>')
      .option('-f, --format <string>', 'Format output using a custom template')
      .option(
        '--platform <string>',
        "Inspect a specific platform of the multi-platform image.\nIf the image or the server is not multi-platform capable, the command will error out if the platform does not match.\n'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)",
      )
      .action((names: string[], o: { format?: string; platform?: string }) => inspect(cli, names, o));
  const historyCommand = (cmd: Command) =>
    cmd
      .argument('<IMAGE>')
      .option('-H, --human', 'Print sizes and dates in human readable format', true)
      .option('--no-trunc', "Don't truncate output")
      .option('-q, --quiet', 'Only show image IDs')
      .option('--format <string>', 'Format output using a custom template')
      .option('--platform <string>', 'Show history for the given platform. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")')
      .action((name: string, o: { human: boolean; trunc?: boolean; quiet?: boolean; format?: string; platform?: string }) => history(cli, name, { ...o, noTrunc: o.trunc === false }));
  const tagCommand = (cmd: Command) => cmd.argument('<SOURCE_IMAGE[:TAG]>').argument('<TARGET_IMAGE[:TAG]>').action((s: string, t: string) => tag(cli, s, t));
  const rmCommand = (cmd: Command) =>
    cmd
      .argument('<IMAGE...>')
      .option('-f, --force', 'Force removal of the image')
      .option('--no-prune', 'Do not delete untagged parents')
      .option('--platform <strings>', 'Remove only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")', collect)
      .action((names: string[], o: { force?: boolean; prune: boolean; platform?: string[] }) => remove(cli, names, o));
  const importCommand = (cmd: Command) =>
    cmd.usage('[OPTIONS] file|URL|- [REPOSITORY[:TAG]]')
      .argument('<file|URL|->')
      .argument('[REPOSITORY[:TAG]...]') // docker takes at least 1 and ignores any past the second
      .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect)
      .option('-m, --message <string>', 'Set commit message for imported image')
      .option('--platform <string>', 'Set platform if server is multi-platform capable')
      .action((file: string, refs: string[], o: { change?: string[]; message?: string; platform?: string }) => importImage(cli, file, refs[0], o));
  const saveCommand = (cmd: Command) =>
    cmd
      .argument('<IMAGE...>')
      .option('-o, --output <string>', 'Write to a file, instead of STDOUT')
      .option('--platform <string>', 'Save only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")')
      .action((names: string[], o: { output?: string; platform?: string }) => save(cli, names, o));
  const loadCommand = (cmd: Command) =>
    cmd
      .option('-i, --input <string>', 'Read from tar archive file, instead of STDIN')
      .option('-q, --quiet', 'Suppress the load output')
      .option('--platform <string>', 'Load only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")')
      .action((o: { input?: string; quiet?: boolean; platform?: string }) => load(cli, o));

  lsCommand(program.command('images').description('List images'));
  tagCommand(program.command('tag').description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE'));
  rmCommand(program.command('rmi').description('Remove one or more images'));
  historyCommand(program.command('history').description('Show the history of an image'));
  importCommand(program.command('import').description('Import the contents from a tarball to create a filesystem image'));
  saveCommand(program.command('save').description('Save one or more images to a tar archive (streamed to STDOUT by default)'));
  loadCommand(program.command('load').description('Load an image from a tar archive or STDIN'));

  const image = program.command('image').description('Manage images');
  lsCommand(image.command('ls').alias('list').description('List images'));
  inspectCommand(image.command('inspect').description('Display detailed information on one or more images'));
  historyCommand(image.command('history').description('Show the history of an image'));
  tagCommand(image.command('tag').description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE'));
  rmCommand(image.command('rm').alias('remove').description('Remove one or more images'));
  importCommand(image.command('import').description('Import the contents from a tarball to create a filesystem image'));
  saveCommand(image.command('save').description('Save one or more images to a tar archive (streamed to STDOUT by default)'));
  loadCommand(image.command('load').description('Load an image from a tar archive or STDIN'));
  image
    .command('prune')
    .description('Remove unused images')
    .option('-a, --all', 'Remove all unused images, not just dangling ones')
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect)
    .action((o: { all?: boolean; force?: boolean; filter?: string[] }) => prune(cli, o));
}
