// The steps of a container's start (pipeline.ts tells their rules):
//   rootfs   overlay of the image's layers + the container's upper dir
//   mounts   the files and mounts the process sees besides its rootfs: today
//            /etc/hostname, hosts, resolv.conf (volumes join here: create,
//            copy-up, mount)
//   task     config.json written, the shim started: the runtime has created
//            the container (namespaces exist, pid known), its process waits
//   attaches clients that attached before the start join, so they see
//            everything from the first byte
//            (networks join here: veth into the netns, addresses, DNS, ports)
//   process  the shim's START: the user's process runs
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { messageOf } from '../errors';
import type { Digest } from '../api/digest';
import type { Graph } from '../graph/graph';
import { readExitFile, ShimClient, startShim } from '../native/shim-client';
import { buildSpec, serializeSpec } from '../runtime/spec';
import { joinAttach } from './attach';
import { type ContainerPaths, unmountRootfs, writeEtcFiles } from './files';
import { shimLogOptions } from './log-config';
import type { StartStep } from './pipeline';
import { resolveRuntime } from './runtimes';
import type { ContainerRecord } from './store';
import { volumesStep } from './volume-step';
import type { ContainerVolumes } from './volumes';
import type { Watchers } from './watchers';

export interface StepDeps {
  paths: ContainerPaths;
  graph: Graph;
  log: Logger;
  watchers: Watchers;
  defaultRuntime: string;
  runtimes: Record<string, { path: string }>;
  logOpts: Record<string, string>;
  /** daemon.json `init`: the Init of containers created without one (HostConfig.Init null), applied at each start like dockerd. */
  defaultInit?: boolean;
  /** The volume service (src/volume/): the `volumes` step runs when it is given. */
  volumes?: ContainerVolumes;
}

/** Mounts the container's overlay at its rootfs dir (also for export and cp of a stopped container). */
export function mountRootfs(deps: Pick<StepDeps, 'paths' | 'graph'>, rec: ContainerRecord): void {
  const p = deps.paths;
  deps.graph.layers.mountLayers(rec.topLayer as Digest | null, p.upper(rec.id), p.work(rec.id), p.rootfs(rec.id), [p.init(rec.id)]);
}

const hostnameOf = (rec: ContainerRecord): string => rec.config.Hostname || rec.id.slice(0, 12);
const networkModeOf = (rec: ContainerRecord): string => rec.hostConfig.NetworkMode ?? 'default';

function rootfsStep(deps: StepDeps): StartStep {
  return {
    name: 'rootfs',
    run: ({ rec }) => {
      unmountRootfs(deps.paths, rec.id);
      mountRootfs(deps, rec);
    },
    undo: (rec) => unmountRootfs(deps.paths, rec.id),
  };
}

function mountsStep(deps: StepDeps): StartStep {
  return {
    name: 'mounts',
    run: ({ rec }) => writeEtcFiles(deps.paths, rec.id, hostnameOf(rec), rec.config.Domainname, networkModeOf(rec)),
    // The etc files stay with the container (inspect shows their paths); volumes will unmount here.
    undo: () => undefined,
  };
}

function taskStep(deps: StepDeps): StartStep {
  const { paths } = deps;
  return {
    name: 'task',
    run: async (task) => {
      const { rec } = task;
      const { id, config, hostConfig } = rec;
      const stateDir = paths.state(id);
      rmSync(stateDir, { recursive: true, force: true });
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      const mode = networkModeOf(rec);
      const spec = buildSpec({
        id,
        config,
        hostConfig: { ...hostConfig, Init: hostConfig.Init ?? deps.defaultInit ?? false },
        rootfs: paths.rootfs(id),
        hostname: hostnameOf(rec),
        etcFiles: { hostname: paths.hostnamePath(id), hosts: paths.hostsPath(id), resolvConf: paths.resolvConfPath(id) },
        cgroupsPath: `/tsdocker/${id}`,
        network: { mode: mode === 'host' ? 'host' : mode === 'none' ? 'none' : 'private' },
        volumeBinds: task.volumeBinds ?? [],
      });
      writeFileSync(join(stateDir, 'config.json'), serializeSpec(spec));
      const runtime = resolveRuntime(rec.runtime, deps.defaultRuntime, deps.runtimes);
      const { pid, client } = await startShim({
        id,
        bundle: stateDir,
        stateDir,
        runtime: runtime.path,
        runtimeRoot: paths.runtimeRoot(runtime.name),
        ...shimLogOptions(hostConfig.LogConfig, paths, id, deps.logOpts),
        stdin: config.OpenStdin,
        terminal: config.Tty,
      });
      task.shim = client;
      task.pid = pid;
    },
    // The shim found by its socket: the container (if it still runs) is killed, the shim let go, the bundle removed.
    undo: async (rec) => {
      const stateDir = paths.state(rec.id);
      const client = ShimClient.forStateDir(stateDir);
      if (!readExitFile(stateDir)) {
        const killed = await client.kill(9, true).then(() => true, () => false);
        if (killed) deps.log.info({ id: rec.id }, 'killed the container of an undone start');
      }
      await client.shutdown(true).catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

function attachesStep(deps: StepDeps): StartStep {
  return {
    name: 'attaches',
    run: async ({ rec, shim }) => {
      if (!shim) return;
      await Promise.all(
        deps.watchers.takeAttaches(rec.id).map(async (a) => {
          try {
            const { done } = await joinAttach(shim, a.req);
            void done.finally(a.done);
          } catch (err) {
            deps.log.warn({ id: rec.id, err: messageOf(err) }, 'attach failed');
            a.done();
          }
        }),
      );
    },
    // Joined attaches end with the container; waiting ones are let go by the start's failure.
    undo: () => undefined,
  };
}

function processStep(): StartStep {
  return {
    name: 'process',
    run: async ({ shim }) => {
      await shim?.start();
    },
    // Undone with the task: the process dies with its container.
    undo: () => undefined,
  };
}

/** The start pipeline, in order. Network and volume steps are inserted by name (see the file's head). */
export function startSteps(deps: StepDeps): StartStep[] {
  const volumes = deps.volumes ? [volumesStep(deps.volumes, deps.paths)] : [];
  return [rootfsStep(deps), mountsStep(deps), ...volumes, taskStep(deps), attachesStep(deps), processStep()];
}
