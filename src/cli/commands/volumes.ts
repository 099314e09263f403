// volume create|ls|inspect|rm|prune, with docker's flags and output.
import { Option, type Command } from 'commander';
import type { VolumeSummary } from '../../api/types';
import type { Cli } from '../cli';
import { CliError } from '../cli';
import { humanSize, printInspect, renderList } from '../format';
import { confirmed, eachContainer, errorText } from './containers-ops';
import { collect } from './containers-opts';
import { filterJson } from './images';

/** `k=v` flags as a map (a flag without '=' has an empty value, as docker's ListOpts). */
function kvMap(flags: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags ?? []) {
    const eq = f.indexOf('=');
    if (eq < 0) out[f] = '';
    else out[f.slice(0, eq)] = f.slice(eq + 1);
  }
  return out;
}

interface CreateOpts { driver: string; label?: string[]; opt?: string[]; name?: string }

async function create(cli: Cli, nameArg: string | undefined, o: CreateOpts): Promise<void> {
  if (nameArg !== undefined && o.name !== undefined && nameArg !== o.name) {
    throw new CliError(`conflicting options: cannot specify a volume-name through both --name and as a positional arg`);
  }
  const { body } = await cli.client.json<VolumeSummary>('POST', '/volumes/create', {
    body: { Name: nameArg ?? o.name ?? '', Driver: o.driver, DriverOpts: kvMap(o.opt), Labels: kvMap(o.label) },
  });
  cli.out(`${body.Name}\n`);
}

const labelsText = (labels: Record<string, string> | null): string =>
  Object.entries(labels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

export function volumeRows(vols: VolumeSummary[]): Array<Record<string, string>> {
  return [...vols]
    .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0))
    .map((v) => ({
      Name: v.Name,
      Driver: v.Driver,
      Scope: v.Scope,
      Mountpoint: v.Mountpoint,
      Labels: labelsText(v.Labels),
      Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
      Size: v.UsageData ? (v.UsageData.Size < 0 ? 'N/A' : humanSize(v.UsageData.Size)) : 'N/A',
      Availability: 'N/A',
      Group: 'N/A',
      Status: 'N/A',
    }));
}

export const VOLUME_HEADERS = {
  Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE',
  Availability: 'AVAILABILITY', Group: 'GROUP', Status: 'STATUS',
};

async function list(cli: Cli, o: { filter?: string[]; format?: string; quiet?: boolean }): Promise<void> {
  const { Volumes } = await cli.client.get<{ Volumes: VolumeSummary[] | null }>('/volumes', { filters: filterJson(o.filter) });
  const rows = volumeRows(Volumes ?? []);
  if (o.quiet) {
    cli.out(rows.map((r) => `${r.Name}\n`).join(''));
    return;
  }
  cli.out(renderList(o.format, { defaultTable: 'table {{.Driver}}\t{{.Name}}', headers: VOLUME_HEADERS, context: '*formatter.volumeContext', rows }));
}

async function inspect(cli: Cli, names: string[], o: { format?: string }): Promise<void> {
  const found: VolumeSummary[] = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      found.push(await cli.client.get<VolumeSummary>(`/volumes/${encodeURIComponent(name)}`));
    } catch (err) {
      errors.push(errorText(err));
    }
  }
  // docker's volume inspect has no raw fallback: a missing field is the typed error.
  errors.push(...printInspect(cli, o.format, found, true));
  if (errors.length) throw new CliError(errors.join('\n'));
}

async function remove(cli: Cli, names: string[], o: { force?: boolean }): Promise<void> {
  await eachContainer(cli, names, async (name) => {
    await cli.client.json('DELETE', `/volumes/${encodeURIComponent(name)}`, { query: { force: o.force ? '1' : undefined } });
  });
}

async function prune(cli: Cli, o: { all?: boolean; force?: boolean; filter?: string[] }): Promise<void> {
  const warning = o.all ? 'This will remove all local volumes not used by at least one container.' : 'This will remove anonymous local volumes not used by at least one container.';
  if (!o.force && !(await confirmed(cli, warning))) return;
  const { body } = await cli.client.json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/volumes/prune', {
    query: { filters: filterJson(o.filter, o.all ? { all: ['true'] } : {}) },
  });
  const deleted = body.VolumesDeleted ?? [];
  if (deleted.length) cli.out(`Deleted Volumes:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
  cli.out(`Total reclaimed space: ${humanSize(body.SpaceReclaimed)}\n`);
}

export function registerVolumes(program: Command, cli: Cli): void {
  const volume = program.command('volume').description('Manage volumes').usage('COMMAND');
  volume
    .command('create')
    .description('Create a volume')
    .argument('[VOLUME]')
    .option('-d, --driver <string>', 'Specify volume driver name', 'local')
    .option('--label <list>', 'Set metadata for a volume', collect)
    .option('-o, --opt <map>', 'Set driver specific options (default map[])', collect)
    .addOption(new Option('--name <string>', 'Specify volume name').hideHelp())
    .action((name: string | undefined, o: CreateOpts) => create(cli, name, o));
  volume
    .command('ls')
    .alias('list')
    .description('List volumes')
    .option('-f, --filter <filter>', 'Provide filter values (e.g. "dangling=true")', collect)
    .option('--format <string>', 'Format output using a custom template')
    .option('-q, --quiet', 'Only display volume names')
    .action((o: { filter?: string[]; format?: string; quiet?: boolean }) => list(cli, o));
  volume
    .command('inspect')
    .description('Display detailed information on one or more volumes')
    .argument('<VOLUME...>')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action((names: string[], o: { format?: string }) => inspect(cli, names, o));
  volume
    .command('rm')
    .alias('remove')
    .summary('Remove one or more volumes')
    .description('Remove one or more volumes. You cannot remove a volume that is in use by a container.')
    .argument('<VOLUME...>')
    .option('-f, --force', 'Force the removal of one or more volumes')
    .action((names: string[], o: { force?: boolean }) => remove(cli, names, o));
  // A swarm command: docker hides it, and its flag, from a daemon outside a swarm (as tsdockerd always is).
  volume
    .command('update', { hidden: true })
    .description('Update a volume (cluster volumes only)')
    .usage('[OPTIONS] [VOLUME]')
    .argument('<VOLUME>')
    .addOption(new Option('--availability <string>', 'Cluster Volume availability ("active", "pause", "drain")').default('active').hideHelp())
    .action(async (name: string) => {
      // tsdockerd is no swarm: it has no cluster volumes, and docker's CLI says so once it has looked the volume up.
      const found = await cli.client.get<VolumeSummary & { ClusterVolume?: unknown }>(`/volumes/${encodeURIComponent(name)}`);
      if (!found.ClusterVolume) throw new CliError('can only update cluster volumes');
    });
  volume
    .command('prune')
    .description('Remove unused local volumes')
    .option('-a, --all', 'Remove all unused volumes, not just anonymous ones')
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<label>")', collect)
    .action((o: { all?: boolean; force?: boolean; filter?: string[] }) => prune(cli, o));
}
