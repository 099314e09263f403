// The start pipeline's `volumes` step (after `mounts`, before `task`): each of
// the container's volumes mounted for it (and filled from the image on its
// first mount), their host paths handed to the task step as binds. Its undo
// unmounts them from the record alone, so it also runs after a crash.
import type { StartStep } from './pipeline';
import type { ContainerPaths } from './files';
import type { ContainerVolumes } from './volumes';

export function volumesStep(volumes: ContainerVolumes, paths: ContainerPaths): StartStep {
  return {
    name: 'volumes',
    run: async (task) => {
      if (!task.rec.mountPoints?.length) return;
      task.volumeBinds = await volumes.mount(task.rec, paths.rootfs(task.rec.id), task.sink);
    },
    undo: async (rec, sink) => {
      if (!rec.mountPoints?.length) return;
      await volumes.unmount(rec, sink);
    },
  };
}
