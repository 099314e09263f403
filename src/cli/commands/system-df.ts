// `system df -v`: docker's verbose disk usage, a table per kind (images,
// containers, local volumes, build cache) under docker's headings.
import type { SystemDataUsage } from '../../api/types';
import type { Cli } from '../cli';
import { humanSize, renderList } from '../format';
import { row as containerRow } from './containers-list';
import { imageRows } from './images';
import { VOLUME_HEADERS, volumeRows } from './volumes';

/** docker's verbose df rows of images: each once, by its first tag (full IDs and no digest in its JSON). */
function imageDfRows(du: SystemDataUsage, json: boolean): Array<Record<string, string>> {
  return imageRows(du.Images.map((i) => ({ ...i, RepoTags: (i.RepoTags ?? []).slice(0, 1) })), json).map((r) => {
    const img = du.Images.find((i) => i.Id.includes(r.ID));
    const sizes = { Size: humanSize(img?.Size ?? 0, 3), SharedSize: humanSize(img?.SharedSize ?? 0), UniqueSize: humanSize((img?.Size ?? 0) - (img?.SharedSize ?? 0)) };
    return { ...r, ...sizes, ...(json ? { Digest: '' } : {}) };
  });
}

/** `--format json`: the rows of each kind, in docker's order of kinds (each row's keys sorted, as Go's maps). */
function dfJson(du: SystemDataUsage): string {
  const rows = (list: object[]) => `[${renderList('json', { defaultTable: '', headers: {}, rows: list }).trim().split('\n').filter(Boolean).join(',')}]`;
  const containers = du.Containers.map((c) => ({ ...containerRow(c, false), Size: humanSize(c.SizeRw ?? 0, 3) }));
  // No newline after it: docker writes none.
  return `{"Images":${rows(imageDfRows(du, true))},"Containers":${rows(containers)},"Volumes":${rows(volumeRows(du.Volumes))},"BuildCache":[]}`;
}

export async function dfVerbose(cli: Cli, format: string | undefined): Promise<void> {
  const du = await cli.client.get<SystemDataUsage>('/system/df', { verbose: '1' });
  if (format === 'json') {
    cli.out(dfJson(du));
    return;
  }
  if (format !== undefined && format !== '' && format !== 'table') {
    const all = { Images: du.Images, Containers: du.Containers, Volumes: volumeRows(du.Volumes), BuildCache: du.BuildCache };
    cli.out(renderList(format, { defaultTable: '', headers: {}, rows: [all] }));
    return;
  }
  const images = imageDfRows(du, false);
  const imagesTable = renderList(undefined, {
    defaultTable: 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}',
    headers: { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', Size: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS' },
    rows: images,
  });
  const containersTable = renderList(undefined, {
    defaultTable: 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}',
    headers: { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', LocalVolumes: 'LOCAL VOLUMES', Size: 'SIZE', RunningFor: 'CREATED', Status: 'STATUS', Names: 'NAMES' },
    rows: du.Containers.map((c) => ({ ...containerRow(c, true), Size: humanSize(c.SizeRw ?? 0, 3) })),
  });
  const volumesTable = renderList(undefined, { defaultTable: 'table {{.Name}}\t{{.Links}}\t{{.Size}}', headers: VOLUME_HEADERS, rows: volumeRows(du.Volumes) });
  const cacheSize = du.BuildCache.reduce((n, b) => n + b.Size, 0);
  const cacheTable = renderList(undefined, {
    defaultTable: 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}',
    headers: { ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' },
    rows: [] as Array<Record<string, string>>,
  });
  cli.out(
    `Images space usage:\n\n${imagesTable}\nContainers space usage:\n\n${containersTable}\nLocal Volumes space usage:\n\n${volumesTable}\nBuild cache usage: ${humanSize(cacheSize)}\n\n${cacheTable}`,
  );
}
