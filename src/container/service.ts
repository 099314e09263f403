// The container driver: what the container jobs (src/engine/container-jobs.ts) call.
// It owns the records (ContainerStore), moves them between phases only through
// the lifecycle (lifecycle.ts), starts a container through the start pipeline
// (pipeline.ts, start-steps.ts) and talks to one tsd-shim per running
// container. The shim, not the daemon, holds the container's stdio, log and
// exit status, so the daemon can stop and start again while containers run
// (restore() re-attaches, supervisor.ts).
//
// Every method that changes a container takes the job's EventSink: events
// leave through the job that caused them. Exits are noticed by the
// supervisor, which hands them to the job layer (hooks.exited) to record.
import { rmSync } from 'node:fs';
import type { ContainerCreateBody, ContainerCreateResponse, ContainerWaitResponse, NetworkSettings } from '../api/containers';
import { exposedPorts } from '../api/ports';
import { portMap } from '../network/firewall';
import type { ContainerSummary } from '../api/types';
import type { ContainerUsage } from '../engine/drivers';
import { ConflictError, InvalidArgumentError, NotModifiedError, TsdError, messageOf } from '../errors';
import type { Digest } from '../api/digest';
import { ShimError, type ShimClient, type ShimExit } from '../native/shim-client';
import type { RuntimeDriver } from '../runtime/driver';
import type { AttachRequest } from './attach';
import { newRecord, nameInUse } from './create';
import { nowRfc3339Nano } from '../api/time';
import { ContainerPaths, makeContainerDirs, removeContainerDirs } from './files';
import { containerEvent, Lifecycle, type EventSink } from './lifecycle';
import { thawAfterSignal } from './pause';
import { runSteps, undoSteps, type StartStep, type StartTask } from './pipeline';
import { RootfsViews } from './rootfs';
import { signalNumber } from './signals';
import { startSteps, type StepDeps } from './start-steps';
import { ContainerStore, type ContainerRecord } from './store';
import { Supervisor, type SupervisorHooks } from './supervisor';
import { summary } from './views';
import { validateName } from './names';
import { Watchers } from './watchers';
import { netInfo } from './networking';

/** What the start steps need (graph, log, runtimes, log options, default init), and: */
export interface ContainerServiceOptions extends Omit<StepDeps, 'paths' | 'watchers' | 'findContainer'> {
  dataRoot: string;
  execRoot: string;
  /** The runtimes whose roots restore sweeps for state no record owns. */
  runtimeDrivers: (paths: ContainerPaths) => RuntimeDriver[];
}

export class ContainerService implements ContainerUsage {
  readonly store: ContainerStore;
  readonly paths: ContainerPaths;
  readonly lifecycle: Lifecycle;
  readonly rootfs: RootfsViews;
  /** The start pipeline: networks and volumes join it as steps (pipeline.ts). */
  readonly steps: StartStep[];
  private readonly watchers = new Watchers();
  private readonly supervisor: Supervisor;

  constructor(private readonly opts: ContainerServiceOptions) {
    this.store = new ContainerStore(opts.graph.gdb);
    this.paths = new ContainerPaths(opts.dataRoot, opts.execRoot);
    this.lifecycle = new Lifecycle(this.store);
    this.rootfs = new RootfsViews(this.paths, opts.graph, this.store);
    this.steps = startSteps({ ...opts, paths: this.paths, watchers: this.watchers, findContainer: (ref) => this.store.find(ref) });
    this.supervisor = new Supervisor(this.paths, this.store, opts.log);
  }

  /** Set once by the job layer: what happens when a container exits, or is found restarting at restore. */
  set hooks(hooks: SupervisorHooks) {
    this.supervisor.hooks = hooks;
  }

  // ---- queries -------------------------------------------------------------

  counts(): { running: number; paused: number; stopped: number } {
    const all = this.store.all();
    const running = all.filter((c) => c.state.Running && !c.state.Paused).length;
    const paused = all.filter((c) => c.state.Paused).length;
    return { running, paused, stopped: all.length - running - paused };
  }

  diskUsage(): ContainerSummary[] {
    return this.store.all().map((rec) => ({ ...summary(rec, this.networkSettings(rec)), ...this.rootfs.sizes(rec) }));
  }

  containersUsing(imageId: Digest): Array<{ id: string; running: boolean }> {
    return this.store
      .all()
      .filter((c) => c.imageId === imageId)
      .map((c) => ({ id: c.id, running: c.state.Running }));
  }

  /** NetworkSettings of inspect (undefined without a network driver: views.ts shows the bare ones). */
  networkSettings(rec: ContainerRecord): NetworkSettings | undefined {
    const net = this.opts.networking;
    if (!net) return undefined;
    // dockerd fills Ports when the container's network comes up and empties it when it goes (releaseNetwork).
    return net.settings(netInfo(rec), rec.state.Running ? portMap(exposedPorts(rec.config.ExposedPorts, rec.hostConfig), net.published(rec.id)) : {});
  }

  /** The container's volumes (and --volumes-from binds) as host paths for a view of its files (docker cp); release() when done. */
  openVolumeView(rec: ContainerRecord): Promise<{ binds: Array<{ source: string; destination: string; readOnly: boolean }>; release(): Promise<void> }> {
    return this.opts.volumes?.openView(rec) ?? Promise.resolve({ binds: [], release: async () => undefined });
  }

  shim(rec: ContainerRecord): ShimClient {
    return this.supervisor.shim(rec);
  }

  // ---- create, start -------------------------------------------------------

  /**
   * The record, its name, its layer hold and its volume references in one
   * transaction; the volumes (created if new) and the directories before
   * (restore removes the directories if the commit never came).
   */
  async create(sink: EventSink, body: ContainerCreateBody, nameIn: string | undefined): Promise<ContainerCreateResponse & { rec: ContainerRecord }> {
    const { rec, warnings } = newRecord(this.opts.graph, this.store, this.opts, body, nameIn);
    const volumes = this.opts.volumes;
    await volumes?.prepare(sink, rec, (ref) => this.store.resolve(ref));
    try {
      makeContainerDirs(this.paths, rec.id);
      this.store.insert(rec, (tx) => {
        if (rec.topLayer) this.opts.graph.layers.hold(rec.topLayer as Digest, `container:${rec.id}`, tx);
        this.opts.networking?.plan(tx, netInfo(rec), body.NetworkingConfig?.EndpointsConfig);
        volumes?.hold(tx, rec);
      });
    } catch (err) {
      rmSync(this.paths.dir(rec.id), { recursive: true, force: true });
      await volumes?.abandon(rec);
      throw err;
    }
    sink.emit(containerEvent(rec, 'create'));
    return { Id: rec.id, Warnings: warnings, rec };
  }

  /** Runs the start pipeline; a failed step undoes those before it. Emits `start` when the job succeeds. */
  async start(sink: EventSink, rec: ContainerRecord): Promise<void> {
    if (rec.state.Running) throw new NotModifiedError('container already started');
    if (rec.state.Status === 'removing' || rec.state.Dead) throw new ConflictError(`container is marked for removal and cannot be started`);
    const task: StartTask = { rec, sink };
    try {
      await runSteps(this.steps, task, this.opts.log);
    } catch (err) {
      const failure = this.startError(sink, rec, err);
      // Like dockerd: a --rm container that cannot start is removed (docker run waits for that).
      if (rec.hostConfig.AutoRemove) await this.remove(sink, rec, { force: true, removeVolumes: true }).catch(() => undefined);
      throw failure;
    }
    const shim = task.shim!;
    rec.manuallyStopped = false;
    this.lifecycle.transition(sink, rec, 'running', { OOMKilled: false, Dead: false, Pid: task.pid ?? 0, ExitCode: 0, Error: '', StartedAt: nowRfc3339Nano() }, { action: 'start' });
    this.supervisor.watch(rec, shim);
  }

  /** Records a failed start as Docker does and returns the API error (exit 127/126 → 400, else 500). */
  private startError(sink: EventSink, rec: ContainerRecord, err: unknown): Error {
    this.watchers.releaseAttaches(rec.id);
    if (!(err instanceof ShimError)) return err instanceof Error ? err : new Error(messageOf(err));
    const message = `failed to create task for container: OCI runtime create failed: ${err.message}: unknown`;
    const phase = rec.state.Status === 'created' ? 'created' : 'exited';
    this.lifecycle.transition(sink, rec, phase, { ExitCode: err.exitCode === 125 ? 128 : err.exitCode, Error: message });
    if (err.exitCode === 126 || err.exitCode === 127) return new InvalidArgumentError(message);
    return new TsdError(message);
  }

  /** An exit the supervisor noticed: recorded (`oom`, `die`), the start undone, waiters told. The job layer applies --rm and the restart policy. */
  async recordExit(sink: EventSink, rec: ContainerRecord, exit: ShimExit): Promise<void> {
    this.supervisor.forget(rec.id);
    if (exit.oomKilled) sink.emitNow(containerEvent(rec, 'oom'));
    this.lifecycle.transition(sink, rec, 'exited', { Pid: 0, ExitCode: exit.exitCode, OOMKilled: exit.oomKilled, FinishedAt: exit.exitedAt || nowRfc3339Nano() }, {
      action: 'die',
      attributes: { exitCode: String(exit.exitCode) },
      now: true,
    });
    await undoSteps(this.steps, rec, this.opts.log, sink);
    for (const event of this.opts.networking?.events(rec.id, 'disconnect') ?? []) sink.emit(event);
    this.watchers.exited(rec.id);
  }

  // ---- signals, stop, wait -------------------------------------------------

  /** A SIGKILL returns once the container is dead and recorded so, as dockerd's (docker kill x && docker rm x). */
  async kill(sink: EventSink, rec: ContainerRecord, signal: string | undefined): Promise<void> {
    const sig = signalNumber(signal ?? 'KILL');
    if (!rec.state.Running) throw new ConflictError(`Cannot kill container: ${rec.name.slice(1)}: Container ${rec.id} is not running`);
    rec.manuallyStopped = true;
    const exited = this.nextExit(rec);
    await this.shim(rec).kill(sig, sig === 9);
    sink.emitNow(containerEvent(rec, 'kill', { signal: String(sig) }));
    await thawAfterSignal(this.lifecycle, sink, rec, sig);
    if (sig === 9) await exited;
  }

  /**
   * Stops with the stop signal, then SIGKILL after `timeout` seconds (-1: wait
   * for ever). A stop by the daemon's own shutdown is not a manual one: the
   * restart policy applies at the next start, as dockerd does.
   */
  async stop(sink: EventSink, rec: ContainerRecord, opts: { signal?: string; timeout?: number; byDaemon?: boolean }): Promise<void> {
    if (!rec.state.Running) throw new NotModifiedError('container already stopped');
    rec.manuallyStopped = !opts.byDaemon;
    this.store.save(rec);
    const exited = this.nextExit(rec);
    const sig = signalNumber(opts.signal || rec.config.StopSignal || 'TERM');
    const timeout = opts.timeout ?? rec.config.StopTimeout ?? 10;
    const client = this.shim(rec);
    await client.kill(sig).catch(() => undefined);
    sink.emitNow(containerEvent(rec, 'kill', { signal: String(sig) }));
    await thawAfterSignal(this.lifecycle, sink, rec, sig);
    if (timeout < 0) return exited;
    const inTime = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeout * 1000))]);
    if (!inTime) {
      await client.kill(9, true).catch(() => undefined);
      sink.emitNow(containerEvent(rec, 'kill', { signal: '9' }));
      await thawAfterSignal(this.lifecycle, sink, rec, 9);
      await exited;
    }
    sink.emit(containerEvent(rec, 'stop'));
  }

  /** Resolves at the container's next exit. */
  nextExit(rec: ContainerRecord): Promise<void> {
    return this.watchers.nextExit(rec.id);
  }

  /** POST /containers/{id}/wait: returns at once the promise of the answer (headers go out first). */
  wait(rec: ContainerRecord, condition: string): Promise<ContainerWaitResponse> {
    // dockerd's key order; a removed container's answer carries no error
    // (the docker CLI would log a start failure a second time).
    const answer = (): ContainerWaitResponse => ({
      Error: rec.state.Error && condition !== 'removed' ? { Message: rec.state.Error } : null,
      StatusCode: rec.state.ExitCode,
    });
    switch (condition) {
      case '':
      case 'not-running':
        if (!rec.state.Running) return Promise.resolve(answer());
        return this.nextExit(rec).then(answer);
      case 'next-exit':
        return this.nextExit(rec).then(answer);
      case 'removed':
        return this.watchers.removal(rec.id).then(answer);
      default:
        throw new InvalidArgumentError(`invalid condition: "${condition}"`);
    }
  }

  // ---- attach --------------------------------------------------------------

  /** dockerd's refusals, before the connection is hijacked; `ref` is the container as the client named it. */
  checkAttach(rec: ContainerRecord, ref: string): void {
    if (rec.state.Paused) throw new ConflictError(`container ${ref} is paused, unpause the container before attach`);
    if (rec.state.Restarting) throw new ConflictError(`container ${ref} is restarting, wait until the container is running`);
  }

  /** Joins a client now if the container runs, else when it starts (the pipeline's `attaches` step); resolves when the attach ends. */
  attach(rec: ContainerRecord, req: AttachRequest): Promise<void> {
    return this.supervisor.attach(rec, req) ?? this.watchers.queueAttach(rec.id, req);
  }

  async resize(rec: ContainerRecord, rows: number, cols: number): Promise<void> {
    if (!rec.state.Running) throw new ConflictError(`Container ${rec.id} is not running`);
    if (!rec.config.Tty) return;
    await this.shim(rec).resize(rows, cols);
  }

  // ---- remove, rename ------------------------------------------------------

  /** `removeVolumes` (rm -v, --rm): the container's anonymous volumes go with it. */
  async remove(sink: EventSink, rec: ContainerRecord, opts: { force?: boolean; removeVolumes?: boolean }): Promise<void> {
    if (this.store.get(rec.id) !== rec) return;
    if (rec.state.Restarting && !opts.force) {
      throw new ConflictError(`cannot remove container "${rec.name}": container is restarting: stop the container before removing or force remove`);
    }
    if (rec.state.Running) {
      if (!opts.force) {
        throw new ConflictError(`cannot remove container "${rec.name}": container is running: stop the container before removing or force remove`);
      }
      const exited = this.nextExit(rec);
      await this.shim(rec).kill(9, true).catch(() => undefined);
      await thawAfterSignal(this.lifecycle, sink, rec, 9);
      await exited;
      if (this.store.get(rec.id) !== rec) return;
    }
    this.lifecycle.transition(sink, rec, 'removing');
    this.watchers.releaseAttaches(rec.id);
    removeContainerDirs(this.paths, rec.id);
    this.store.delete(rec, (tx) => {
      if (rec.topLayer) this.opts.graph.layers.release(rec.topLayer as Digest, `container:${rec.id}`, tx);
      this.opts.networking?.release(tx, rec.id);
      this.opts.volumes?.release(tx, rec);
    });
    sink.emit(containerEvent(rec, 'destroy'));
    await this.opts.volumes?.afterRemove(sink, rec, opts.removeVolumes === true);
    this.watchers.removed(rec.id);
  }

  rename(sink: EventSink, rec: ContainerRecord, newName: string): void {
    const name = validateName(newName);
    if (name === rec.name) throw new InvalidArgumentError(`Renaming a container with the same name as its current name`);
    const taken = this.store.byName(name);
    if (taken) throw nameInUse(name, taken.id);
    const old = rec.name;
    rec.name = name;
    this.store.save(rec);
    this.opts.networking?.renamed(rec.id, old, name);
    sink.emit(containerEvent(rec, 'rename', { oldName: old }));
  }

  // ---- daemon start --------------------------------------------------------

  /**
   * Re-joins the shims of containers that ran when the daemon stopped (their
   * missed exits go to hooks.exited), undoes the starts the daemon died in,
   * and removes what no record owns (orphans.ts).
   */
  async restore(): Promise<void> {
    await this.supervisor.restore(this.steps, this.opts.runtimeDrivers(this.paths));
  }
}

export type { ContainerRecord };
