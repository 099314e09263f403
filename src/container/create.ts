// A new container's record: the create body checked and completed from its
// image (dockerd's merge and checks), a name, a runtime, and Docker's initial
// state. The record, its name and its hold on the image's top layer are
// committed in one transaction by ContainerService.create.
import { randomBytes } from 'node:crypto';
import type { ContainerCreateBody, ContainerState, HostConfig } from '../api/containers';
import { nowRfc3339Nano, ZERO_TIME } from '../api/time';
import { ConflictError, InvalidArgumentError } from '../errors';
import type { Graph } from '../graph/graph';
import { validateCreate } from '../runtime/spec';
import { commandOf, mergeConfig } from './config';
import { checkLogConfig } from './log-config';
import { randomName, validateName } from './names';
import { resolveRuntime } from './runtimes';
import type { ContainerRecord, ContainerStore } from './store';

function initialState(): ContainerState {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
  };
}

export function nameInUse(name: string, id: string): ConflictError {
  return new ConflictError(
    `Conflict. The container name "${name}" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`,
  );
}

export interface CreateDefaults {
  defaultRuntime: string;
  runtimes: Record<string, { path: string }>;
}

/** The record of a container `body` describes, named `nameIn` (or a random name); with the create's warnings. */
export function newRecord(graph: Graph, store: ContainerStore, defaults: CreateDefaults, body: ContainerCreateBody, nameIn: string | undefined): { rec: ContainerRecord; warnings: string[] } {
  if (!body.Image) throw new InvalidArgumentError('config cannot be empty in order to create a container');
  const hostConfig: HostConfig = { ...(body.HostConfig ?? {}) };
  const image = graph.store.resolve(body.Image);
  const config = mergeConfig(body, image.config.config, body.Image);
  const warnings = validateCreate(config, hostConfig);
  const runtime = resolveRuntime(hostConfig.Runtime, defaults.defaultRuntime, defaults.runtimes);
  hostConfig.Runtime = runtime.name;
  hostConfig.NetworkMode ||= 'default';
  // dockerd resolves the container a container:<x> mode joins at create (it must exist, and not be this one).
  if (hostConfig.NetworkMode.startsWith('container:')) store.resolve(hostConfig.NetworkMode.slice('container:'.length));
  hostConfig.LogConfig = checkLogConfig(hostConfig.LogConfig);
  const name = nameIn ? validateName(nameIn) : `/${randomName((n) => store.byName(`/${n}`) !== undefined)}`;
  const taken = store.byName(name);
  if (taken) throw nameInUse(name, taken.id);
  const { path, args } = commandOf(config);
  const rec: ContainerRecord = {
    id: randomBytes(32).toString('hex'),
    name,
    created: nowRfc3339Nano(),
    imageId: image.id,
    topLayer: image.topLayer,
    path,
    args,
    config,
    hostConfig,
    state: initialState(),
    restartCount: 0,
    runtime: runtime.name,
    manuallyStopped: false,
  };
  return { rec, warnings };
}
