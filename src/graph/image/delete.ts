// Image removal with Docker's semantics (daemon/images/image_delete.go): untag
// vs delete, conflicts (hard: child images, running containers; soft: other
// references, stopped containers), force, noprune, and the response list.
import type { ImageDeleteResponseItem } from '../../api/types';
import { ConflictError } from '../../errors';
import { shortId, type Digest } from '../../api/digest';
import { familiarString, isImageIdPrefix, parseNormalizedNamed, withDefaultTag, type NamedRef } from '../../api/reference';
import type { ImageStore } from './store';

/** Who uses an image: the container store answers (running or not). */
export interface ImageUsers {
  containersUsing(imageId: Digest): Array<{ id: string; running: boolean }>;
}

export const NO_USERS: ImageUsers = { containersUsing: () => [] };

const DEPENDENT_CHILD = 1;
const RUNNING = 2;
const ACTIVE_REFERENCE = 4;
const STOPPED = 8;
const HARD = DEPENDENT_CHILD | RUNNING;
const SOFT = ACTIVE_REFERENCE | STOPPED;

class ImageDeleteConflict extends ConflictError {
  constructor(
    id: Digest,
    readonly hard: boolean,
    readonly used: boolean,
    what: string,
  ) {
    super(`conflict: unable to delete ${shortId(id)} (${hard ? 'cannot be forced' : 'must be forced'}) - ${what}`);
  }
}

export interface DeleteHooks {
  /** Called for each removed reference and image (for events). */
  untagged?(id: Digest, ref: string): void;
  deleted?(id: Digest): void;
}

export class ImageDeleter {
  constructor(
    private readonly store: ImageStore,
    private readonly users: ImageUsers,
    private readonly hooks: DeleteHooks = {},
  ) {}

  remove(name: string, force: boolean, prune: boolean): ImageDeleteResponseItem[] {
    const img = this.store.resolve(name);
    const id = img.id;
    const records: ImageDeleteResponseItem[] = [];
    let repoRefs = this.store.refs(id);
    let removedRepositoryRef = false;

    if (!isImageIdPrefix(id, name)) {
      if (!force && isSingleReference(repoRefs)) {
        const c = this.users.containersUsing(id)[0];
        if (c) {
          throw new ConflictError(
            `conflict: unable to remove repository reference ${JSON.stringify(name)} (must force) - container ${shortId(c.id)} is using its referenced image ${shortId(id)}`,
          );
        }
      }
      const parsed = withDefaultTag(parseNormalizedNamed(name));
      this.untag(id, parsed, records);
      repoRefs = this.store.refs(id);
      if (parsed.digest === undefined) {
        const sameRepoTag = repoRefs.some((r) => r.digest === undefined && r.name === parsed.name);
        if (!sameRepoTag) {
          const remaining: NamedRef[] = [];
          for (const r of repoRefs) {
            if (r.digest !== undefined && r.name === parsed.name) this.untag(id, r, records);
            else remaining.push(r);
          }
          repoRefs = remaining;
        }
      }
      if (repoRefs.length > 0) return records;
      removedRepositoryRef = true;
    } else if (isSingleReference(repoRefs)) {
      const mask = force ? HARD : HARD | (SOFT & ~ACTIVE_REFERENCE);
      const conflict = this.conflict(id, mask);
      if (conflict) throw conflict;
      for (const r of repoRefs) this.untag(id, r, records);
    }
    this.deleteHelper(id, records, force, prune, removedRepositoryRef);
    return records;
  }

  private untag(id: Digest, ref: NamedRef, records: ImageDeleteResponseItem[]): void {
    this.store.deleteRef(ref);
    const s = familiarString(ref);
    records.push({ Untagged: s });
    this.hooks.untagged?.(id, s);
  }

  private deleteHelper(id: Digest, records: ImageDeleteResponseItem[], force: boolean, prune: boolean, quiet: boolean): void {
    const mask = force ? HARD : HARD | SOFT;
    const conflict = this.conflict(id, mask);
    if (conflict) {
      if (quiet && (!this.isDangling(id) || conflict.used)) return;
      throw conflict;
    }
    const parent = this.store.get(id)?.parent ?? null;
    for (const r of this.store.refs(id)) this.untag(id, r, records);
    const removedLayers = this.store.delete(id);
    this.hooks.deleted?.(id);
    records.push({ Deleted: id });
    for (const l of removedLayers) records.push({ Deleted: l });
    if (!prune || parent === null || !this.store.get(parent)) return;
    this.deleteHelper(parent, records, false, true, true);
  }

  private isDangling(id: Digest): boolean {
    return this.store.refs(id).length === 0;
  }

  private conflict(id: Digest, mask: number): ImageDeleteConflict | undefined {
    if (mask & DEPENDENT_CHILD && this.store.children(id).length > 0) {
      return new ImageDeleteConflict(id, true, false, 'image has dependent child images');
    }
    const users = mask & (RUNNING | STOPPED) ? this.users.containersUsing(id) : [];
    const running = users.find((c) => c.running);
    if (mask & RUNNING && running) {
      return new ImageDeleteConflict(id, true, true, `image is being used by running container ${shortId(running.id)}`);
    }
    if (mask & ACTIVE_REFERENCE && this.store.refs(id).length > 0) {
      return new ImageDeleteConflict(id, false, false, 'image is referenced in multiple repositories');
    }
    const stopped = users.find((c) => !c.running);
    if (mask & STOPPED && stopped) {
      return new ImageDeleteConflict(id, false, true, `image is being used by stopped container ${shortId(stopped.id)}`);
    }
    return undefined;
  }
}

/** True if the refs are at most one tag plus digests of that same repository. */
function isSingleReference(refs: NamedRef[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: NamedRef | undefined;
  const canonical = new Set<string>();
  for (const r of refs) {
    if (r.digest !== undefined) canonical.add(r.name);
    else if (single === undefined) single = r;
    else return false;
  }
  single ??= refs[0]!;
  return canonical.size === 1 && canonical.has(single.name);
}
