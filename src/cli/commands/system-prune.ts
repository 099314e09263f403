// `system prune`: docker 28's sequence — stopped containers, unused networks,
// (with --volumes) anonymous volumes, dangling (or, with -a, unused) images,
// build cache — each through its own prune endpoint, printing what each
// removed, then the total. The first refusal ends it as docker's does.
import type { Command } from 'commander';
import type { Cli } from '../cli';
import { humanSize } from '../format';
import { confirmed } from './containers-ops';
import { collect } from './containers-opts';
import { filterJson } from './images';

interface PruneOptions { all?: boolean; force?: boolean; volumes?: boolean; filter?: string[] }

function warning(o: PruneOptions): string {
  const items = [
    'all stopped containers',
    'all networks not used by at least one container',
    ...(o.volumes ? ['all anonymous volumes not used by at least one container'] : []),
    o.all ? 'all images without at least one container associated to them' : 'all dangling images',
    o.all ? 'all build cache' : 'unused build cache',
  ];
  return `This will remove:\n${items.map((i) => `  - ${i}\n`).join('')}`;
}

type Printer = (body: Record<string, unknown>) => string;
const list = (title: string, items: unknown) => (Array.isArray(items) && items.length ? `${title}:\n${items.map((i) => `${String(i)}\n`).join('')}\n` : '');

async function systemPrune(cli: Cli, o: PruneOptions): Promise<void> {
  if (!o.force && !(await confirmed(cli, warning(o)))) return;
  const filters = filterJson(o.filter);
  const steps: Array<[string, Record<string, string | undefined>, Printer]> = [
    ['/containers/prune', { filters }, (b) => list('Deleted Containers', b['ContainersDeleted'])],
    ['/networks/prune', { filters }, (b) => list('Deleted Networks', b['NetworksDeleted'])],
    ...(o.volumes ? [['/volumes/prune', { filters }, (b: Record<string, unknown>) => list('Deleted Volumes', b['VolumesDeleted'])] as [string, Record<string, string | undefined>, Printer]] : []),
    [
      '/images/prune',
      { filters: filterJson(o.filter, o.all ? { dangling: ['false'] } : {}) },
      (b) => {
        const items = Array.isArray(b['ImagesDeleted']) ? (b['ImagesDeleted'] as Array<{ Untagged?: string; Deleted?: string }>) : [];
        return items.length ? `Deleted Images:\n${items.map((i) => (i.Untagged ? `untagged: ${i.Untagged}\n` : `deleted: ${i.Deleted}\n`)).join('')}\n` : '';
      },
    ],
    ['/build/prune', { filters, all: o.all ? '1' : undefined }, (b) => list('Deleted build cache objects', b['CachesDeleted'])],
  ];
  let reclaimed = 0;
  for (const [path, query, print] of steps) {
    const { body } = await cli.client.json<Record<string, unknown>>('POST', path, { query });
    cli.out(print(body));
    reclaimed += Number(body['SpaceReclaimed'] ?? 0);
  }
  cli.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
}

export function definePrune(cmd: Command, cli: Cli): Command {
  return cmd
    .description('Remove unused data')
    .option('-a, --all', 'Remove all unused images not just dangling ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<key>=<value>")', collect)
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--volumes', 'Prune anonymous volumes')
    .action((o: PruneOptions) => systemPrune(cli, o));
}
