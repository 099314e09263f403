// POST /commit (the container's changes as a new image over its image) and the
// choice of POST /containers/prune; the jobs (src/engine/container-jobs.ts) run them.
import type { ContainerConfig } from '../api/containers';
import { InvalidArgumentError } from '../errors';
import type { Digest } from '../graph/digest';
import type { Graph } from '../graph/graph';
import { applyChanges } from '../graph/image/changes';
import { labelMatch, parseUntil } from '../graph/image/filters';
import { exportDiff } from '../graph/layers/export';
import type { ContainerPaths } from './files';
import type { ContainerRecord } from './store';

export interface CommitOptions {
  body: Partial<ContainerConfig>;
  changes: string[];
  author?: string | undefined;
  comment?: string | undefined;
  repo?: string | undefined;
  tag?: string | undefined;
}

export async function commitContainer(graph: Graph, paths: ContainerPaths, rec: ContainerRecord, opts: CommitOptions): Promise<Digest> {
  const parent = graph.store.get(rec.imageId as Digest) ?? null;
  const merged = { ...rec.config, ...Object.fromEntries(Object.entries(opts.body).filter(([, v]) => v !== undefined && v !== null)) } as ContainerConfig;
  const config = applyChanges(merged, opts.changes);
  return graph.images.commitImage({
    parent,
    diff: exportDiff(paths.upper(rec.id)),
    config,
    containerId: rec.id,
    createdBy: [rec.path, ...rec.args].join(' '),
    ...(opts.author ? { author: opts.author } : {}),
    ...(opts.comment ? { comment: opts.comment } : {}),
    ...(opts.repo ? { repo: opts.repo } : {}),
    ...(opts.tag ? { tag: opts.tag } : {}),
  });
}

/** The stopped containers the prune filters (label, label!, until) select. */
export function prunable(all: readonly ContainerRecord[], f: Record<string, string[]>): ContainerRecord[] {
  for (const k of Object.keys(f)) if (!['label', 'label!', 'until'].includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
  const until = (f.until ?? []).map((v) => parseUntil(v) * 1000);
  return all.filter((rec) => {
    if (rec.state.Running || rec.state.Status === 'removing') return false;
    const labels = rec.config.Labels ?? {};
    if (!(f.label ?? []).every((l) => labelMatch(labels, l))) return false;
    if ((f['label!'] ?? []).some((l) => labelMatch(labels, l))) return false;
    return until.every((u) => Date.parse(rec.created) < u);
  });
}
