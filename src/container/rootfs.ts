// A container's filesystem outside its start: the rootfs of a stopped
// container mounted for export and cp (counted, shared), the overlay's lower
// dirs for inspect and diff, and the sizes ps and df show.
import type { Digest } from '../graph/digest';
import type { Graph } from '../graph/graph';
import { type ContainerPaths, dirSize, isMounted, unmountRootfs } from './files';
import { mountRootfs } from './start-steps';
import type { ContainerRecord, ContainerStore } from './store';

export class RootfsViews {
  /** Users of the rootfs of stopped containers (mounted()). */
  private readonly uses = new Map<string, { users: number; mountedHere: boolean }>();

  constructor(
    private readonly paths: ContainerPaths,
    private readonly graph: Graph,
    private readonly store: ContainerStore,
  ) {}

  /** The container's root filesystem, mounted for reading while it does not run; release() unmounts it then. */
  mounted(rec: ContainerRecord): { rootfs: string; release: () => void } {
    const rootfs = this.paths.rootfs(rec.id);
    if (rec.state.Running) return { rootfs, release: () => undefined };
    // Counted: an export and a cp of the same stopped container share the mount; the last one out unmounts what was mounted for them.
    const use = this.uses.get(rec.id) ?? { users: 0, mountedHere: false };
    if (use.users === 0) {
      use.mountedHere = !isMounted(rootfs);
      if (use.mountedHere) mountRootfs({ paths: this.paths, graph: this.graph }, rec);
    }
    use.users++;
    this.uses.set(rec.id, use);
    let released = false;
    return {
      rootfs,
      release: () => {
        if (released) return;
        released = true;
        if (--use.users > 0) return;
        this.uses.delete(rec.id);
        if (use.mountedHere && !this.store.get(rec.id)?.state.Running) unmountRootfs(this.paths, rec.id);
      },
    };
  }

  /** The lower dirs of the container's overlay, top first (inspect's GraphDriver.Data.LowerDir). */
  lowerDirs(rec: ContainerRecord): string[] {
    return [this.paths.init(rec.id), ...(rec.topLayer ? this.graph.layers.chain(rec.topLayer as Digest).map((l) => l.diffDir) : [])];
  }

  /** SizeRw (the upper dir) and SizeRootFs (with the image's layers). */
  sizes(rec: ContainerRecord): { SizeRw: number; SizeRootFs: number } {
    const rw = dirSize(this.paths.upper(rec.id));
    const image = this.graph.store.get(rec.imageId as Digest);
    return { SizeRw: rw, SizeRootFs: rw + (image?.size ?? 0) };
  }
}
