// The steps of a container's start (pipeline.ts tells their rules):
//   rootfs   overlay of the image's layers + the container's upper dir
//   mounts   the files and mounts the process sees besides its rootfs: today
//            /etc/hostname, hosts, resolv.conf (volumes join here: create,
//            copy-up, mount)
//   task     config.json written, the shim started: the runtime has created
//            the container (namespaces exist, pid known), its process waits
//   network  the container's endpoints into its netns (veth or macvlan,
//            addresses, routes), its published ports, its embedded DNS
//   attaches clients that attached before the start join, so they see
//            everything from the first byte
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
import { type ContainerPaths, unmountRootfs } from './files';
import { shimLogOptions } from './log-config';
import { hostnameOf, joinedContainer, linkEnv, netInfo, networkModeOf, portBindings, writeContainerEtc, type NetworkingDeps } from './networking';
import type { StartStep } from './pipeline';
import { resolveRuntime } from './runtimes';
import type { ContainerRecord } from './store';
import { volumesStep } from './volume-step';
import type { ContainerVolumes } from './volumes';
import type { Watchers } from './watchers';

export interface StepDeps extends NetworkingDeps {
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

/** The runtime's network namespace for a NetworkMode: the host's, a new one (none and networks), or another container's. */
function runtimeNetwork(deps: StepDeps, rec: ContainerRecord): { mode: 'host' | 'none' | 'private' } | { mode: 'path'; path: string } {
  const mode = networkModeOf(rec);
  if (mode === 'host') return { mode: 'host' };
  if (mode === 'none') return { mode: 'none' };
  if (mode.startsWith('container:')) return { mode: 'path', path: `/proc/${joinedContainer(deps, rec).state.Pid}/ns/net` };
  return { mode: 'private' };
}

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
    run: ({ rec }) => writeContainerEtc(deps, rec),
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
      const env = linkEnv(deps, rec);
      const spec = buildSpec({
        id,
        config: env.length > 0 ? { ...config, Env: [...env, ...(config.Env ?? [])] } : config,
        hostConfig: { ...hostConfig, Init: hostConfig.Init ?? deps.defaultInit ?? false },
        rootfs: paths.rootfs(id),
        hostname: hostnameOf(rec),
        etcFiles: { hostname: paths.hostnamePath(id), hosts: paths.hostsPath(id), resolvConf: paths.resolvConfPath(id) },
        cgroupsPath: `/tsdocker/${id}`,
        network: runtimeNetwork(deps, rec),
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

function networkStep(deps: StepDeps): StartStep {
  return {
    name: 'network',
    run: async ({ rec, pid, sink }) => {
      if (!deps.networking || !pid) return;
      await deps.networking.attach(netInfo(rec), pid, portBindings(rec));
      for (const event of deps.networking.events(rec.id, 'connect')) sink?.emit(event);
    },
    // From the records alone (host veth names derive from endpoint IDs): also after a crash.
    undo: async (rec) => {
      await deps.networking?.detach(rec.id);
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
  return [rootfsStep(deps), mountsStep(deps), ...volumes, taskStep(deps), networkStep(deps), attachesStep(deps), processStep()];
}
