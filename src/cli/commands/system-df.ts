// `system df -v`: docker's four sections — images (one row each, by its first tag, with
// shared and unique sizes and the containers using them), containers (as
// ps shows them, with their local volumes and writable-layer size), local
// volumes, and the build cache — from GET /system/df.
import type { SystemDataUsage, VolumeSummary } from '../../api/types';
import { timeAgo } from '../../api/time';
import type { Cli } from '../cli';
import { humanSize, renderList, shortId } from '../format';
import { row as psRow } from './containers-list';

function imageRows(du: SystemDataUsage): Array<Record<string, string>> {
  const rows: Array<Record<string, string>> = [];
  for (const i of du.Images) {
    // docker shows an image once, by its first tag.
    for (const t of [i.RepoTags[0] ?? '<none>:<none>']) {
      const at = t.lastIndexOf(':');
      rows.push({
        Repository: t.slice(0, at),
        Tag: t.slice(at + 1),
        ID: shortId(i.Id),
        CreatedSince: timeAgo(i.Created),
        Size: humanSize(i.Size, 3),
        SharedSize: i.SharedSize < 0 ? 'N/A' : humanSize(i.SharedSize),
        UniqueSize: i.SharedSize < 0 ? 'N/A' : humanSize(i.Size - i.SharedSize),
        Containers: String(i.Containers),
      });
    }
  }
  return rows;
}

/**
 * The "Local Volumes space usage" rows. The volumes lane fills the volume
 * fields in; this section only lays them out as docker does.
 */
export function volumeRows(volumes: readonly VolumeSummary[]): Array<Record<string, string>> {
  return volumes.map((v) => ({
    Name: v.Name,
    Links: String(v.UsageData?.RefCount ?? 0),
    Size: (v.UsageData?.Size ?? -1) < 0 ? 'N/A' : humanSize(v.UsageData!.Size),
  }));
}

export function dfVerbose(cli: Cli, du: SystemDataUsage): void {
  const images = renderList(undefined, {
    defaultTable: 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}',
    headers: { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', Size: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS' },
    rows: imageRows(du),
  });
  const containers = renderList(undefined, {
    defaultTable: 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}',
    headers: { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', LocalVolumes: 'LOCAL VOLUMES', Size: 'SIZE', RunningFor: 'CREATED', Status: 'STATUS', Names: 'NAMES' },
    rows: du.Containers.map((c) => ({ ...psRow(c, true), Size: humanSize(c.SizeRw ?? 0, 3) })),
  });
  const volumes = renderList(undefined, {
    defaultTable: 'table {{.Name}}\t{{.Links}}\t{{.Size}}',
    headers: { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' },
    rows: volumeRows(du.Volumes),
  });
  const cacheSize = du.BuildCache.reduce((n, b) => n + b.Size, 0);
  const cache = renderList(undefined, {
    defaultTable: 'table {{.ID}}\t{{.Type}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}',
    headers: { ID: 'CACHE ID', Type: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' },
    rows: du.BuildCache.map((b) => ({
      ID: b.ID.slice(0, 12),
      Type: b.Type,
      Size: humanSize(b.Size),
      CreatedSince: timeAgo(Date.parse(b.CreatedAt) / 1000),
      LastUsedSince: b.LastUsedAt ? timeAgo(Date.parse(b.LastUsedAt) / 1000) : '',
      UsageCount: String(b.UsageCount),
      Shared: String(b.Shared),
    })),
  });
  cli.out(
    `Images space usage:\n\n${images}\nContainers space usage:\n\n${containers}\nLocal Volumes space usage:\n\n${volumes}\n` +
      `Build cache usage: ${humanSize(cacheSize)}\n\n${cache}`,
  );
}
