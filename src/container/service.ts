// The container driver: what the container routes' jobs call. It owns the
// records (ContainerStore), each container's filesystem (overlay of the image's
// layers + upper dir), and talks to one tsd-shim per running container. The shim,
// not the daemon, holds the container's stdio, log and exit status, so the
// daemon can stop and start again while containers run (restore() re-attaches).
//
// Lifecycle of a container: create (record + layer reference + dirs) → start
// (mount rootfs, write bundle, start shim = runtime create, join waiting
// attaches, shim START) → running (a WAIT request to the shim is kept open) →
// exit (record the exit, shut the shim down, unmount) → start again or remove.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type {
  ContainerConfig,
  ContainerCreateBody,
  ContainerCreateResponse,
  ContainerState,
  ContainerWaitResponse,
  HostConfig,
} from '../api/containers';
import type { ContainerSummary } from '../api/types';
import { nowRfc3339Nano } from '../api/time';
import type { ContainerUsage } from '../engine/drivers';
import type { EventBus } from '../engine/events';
import type { JobEngine } from '../engine/jobs';
import { RestartTimers, shouldRestart } from './restart';
import type { HealthMonitor } from './health';
import { ConflictError, InvalidArgumentError, NotModifiedError, TsdError, isErrno, messageOf } from '../errors';
import type { Digest } from '../graph/digest';
import type { Graph } from '../graph/graph';
import { readExitFile, ShimClient, ShimError, startShim, type ShimExit } from '../native/shim-client';
import { buildSpec, serializeSpec, validateCreate } from '../runtime/spec';
import { joinAttach, type AttachRequest } from './attach';
import { commandOf, mergeConfig } from './config';
import { summary } from './views';
import { containerCgroup } from './cgroups';
import { ContainerPaths, dirSize, isMounted, makeContainerDirs, removeContainerDirs, unmountRootfs, writeEtcFiles } from './files';
import { labelMatch, parseUntil } from '../graph/image/filters';
import { applyChanges } from '../graph/image/changes';
import { exportDiff } from '../graph/layers/export';
import { randomName, validateName } from './names';
import { resolveRuntime } from './runtimes';
import { ContainerStore, type ContainerRecord } from './store';
import { thawAfterSignal } from './pause';
import { signalNumber } from './signals';
import { checkLogConfig, shimLogOptions } from './log-config';

export interface ContainerServiceOptions {
  dataRoot: string;
  execRoot: string;
  graph: Graph;
  events: EventBus;
  log: Logger;
  defaultRuntime: string;
  runtimes: Record<string, { path: string }>;
  logOpts: Record<string, string>;
  /** daemon.json `init`: the Init of containers created without one (HostConfig.Init null), applied at each start like dockerd. */
  defaultInit?: boolean;
  /** false (dockerd's default, not ours): the daemon's stop stops the containers too. */
  liveRestore?: boolean;
  /** Restarts by policy run as jobs, under the container's lock like the API's. */
  jobs: JobEngine;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

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

type Waiter = () => void;

function nameInUse(name: string, id: string): ConflictError {
  return new ConflictError(
    `Conflict. The container name "${name}" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`,
  );
}

/** A promise settled the next time the set's waiters are called. */
function once(waiters: Set<Waiter>): Promise<void> {
  return new Promise((resolve) => {
    const fn = (): void => {
      waiters.delete(fn);
      resolve();
    };
    waiters.add(fn);
  });
}

/** Per container: who waits for its next exit or its removal, and the attaches waiting for a start. */
interface Watchers {
  exit: Set<Waiter>;
  removed: Set<Waiter>;
  attaches: Array<{ req: AttachRequest; done: () => void }>;
}

export class ContainerService implements ContainerUsage {
  readonly store: ContainerStore;
  readonly paths: ContainerPaths;
  private readonly watchers = new Map<string, Watchers>();
  private readonly shims = new Map<string, ShimClient>();
  private readonly restarts = new RestartTimers();
  /** Users of the rootfs of stopped containers (mountedRootfs). */
  private readonly rootfsUses = new Map<string, { users: number; mountedHere: boolean }>();
  /** Set by close(): exits from then on leave their restarts to the next start. */
  private closing = false;
  /** Set by the daemon once the exec service exists (probes are execs). */
  health: HealthMonitor | undefined;

  constructor(private readonly opts: ContainerServiceOptions) {
    this.store = new ContainerStore(opts.graph.gdb);
    this.paths = new ContainerPaths(opts.dataRoot, opts.execRoot);
  }

  private watch(id: string): Watchers {
    let w = this.watchers.get(id);
    if (!w) this.watchers.set(id, (w = { exit: new Set(), removed: new Set(), attaches: [] }));
    return w;
  }

  // ---- queries -------------------------------------------------------------

  counts(): { running: number; paused: number; stopped: number } {
    const all = this.store.all();
    const running = all.filter((c) => c.state.Running && !c.state.Paused).length;
    const paused = all.filter((c) => c.state.Paused).length;
    return { running, paused, stopped: all.length - running - paused };
  }

  diskUsage(): ContainerSummary[] {
    return this.store.all().map((rec) => ({ ...summary(rec), ...this.sizes(rec) }));
  }

  containersUsing(imageId: Digest): Array<{ id: string; running: boolean }> {
    return this.store
      .all()
      .filter((c) => c.imageId === imageId)
      .map((c) => ({ id: c.id, running: c.state.Running }));
  }

  shim(rec: ContainerRecord): ShimClient {
    const client = this.shims.get(rec.id);
    if (!client || !rec.state.Running) throw new ConflictError(`Container ${rec.id} is not running`);
    return client;
  }

  // ---- create --------------------------------------------------------------

  create(body: ContainerCreateBody, nameIn: string | undefined): ContainerCreateResponse & { rec: ContainerRecord } {
    if (!body.Image) throw new InvalidArgumentError('config cannot be empty in order to create a container');
    const hostConfig: HostConfig = { ...(body.HostConfig ?? {}) };
    const image = this.opts.graph.store.resolve(body.Image);
    const config = mergeConfig(body, image.config.config, body.Image);
    const warnings = validateCreate(config, hostConfig);
    const runtime = resolveRuntime(hostConfig.Runtime, this.opts.defaultRuntime, this.opts.runtimes);
    hostConfig.Runtime = runtime.name;
    hostConfig.NetworkMode ||= 'default';
    hostConfig.LogConfig = checkLogConfig(hostConfig.LogConfig);

    const name = nameIn ? validateName(nameIn) : `/${randomName((n) => this.store.byName(`/${n}`) !== undefined)}`;
    const taken = this.store.byName(name);
    if (taken) throw nameInUse(name, taken.id);
    const id = randomBytes(32).toString('hex');
    const { path, args } = commandOf(config);
    const rec: ContainerRecord = {
      id,
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
    makeContainerDirs(this.paths, id);
    try {
      this.store.insert(rec, (tx) => {
        if (image.topLayer) this.opts.graph.layers.hold(image.topLayer as Digest, `container:${id}`, tx);
      });
    } catch (err) {
      rmSync(this.paths.dir(id), { recursive: true, force: true });
      throw err;
    }
    return { Id: id, Warnings: warnings, rec };
  }

  // ---- start ---------------------------------------------------------------

  async start(rec: ContainerRecord): Promise<void> {
    if (rec.state.Running) throw new NotModifiedError('container already started');
    if (rec.state.Status === 'removing' || rec.state.Dead) throw new ConflictError(`container is marked for removal and cannot be started`);
    const { id, config, hostConfig } = rec;
    const runtime = resolveRuntime(rec.runtime, this.opts.defaultRuntime, this.opts.runtimes);
    const stateDir = this.paths.state(id);
    rmSync(stateDir, { recursive: true, force: true });
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const rootfs = this.paths.rootfs(id);
    try {
      unmountRootfs(this.paths, id);
      this.mountRootfs(rec);
      const hostname = config.Hostname || id.slice(0, 12);
      const mode = hostConfig.NetworkMode ?? 'default';
      writeEtcFiles(this.paths, id, hostname, config.Domainname, mode);
      const spec = buildSpec({
        id,
        config,
        hostConfig: { ...hostConfig, Init: hostConfig.Init ?? this.opts.defaultInit ?? false },
        rootfs,
        hostname,
        etcFiles: { hostname: this.paths.hostnamePath(id), hosts: this.paths.hostsPath(id), resolvConf: this.paths.resolvConfPath(id) },
        cgroupsPath: `/tsdocker/${id}`,
        network: { mode: mode === 'host' ? 'host' : mode === 'none' ? 'none' : 'private' },
      });
      writeFileSync(join(stateDir, 'config.json'), serializeSpec(spec));
      const { pid, client } = await startShim({
        id,
        bundle: stateDir,
        stateDir,
        runtime: runtime.path,
        runtimeRoot: this.paths.runtimeRoot(runtime.name),
        ...shimLogOptions(hostConfig.LogConfig, this.paths, id, this.opts.logOpts),
        stdin: config.OpenStdin,
        terminal: config.Tty,
      });
      this.shims.set(id, client);
      // Clients that attached before the start see everything from the first byte.
      await Promise.all(
        this.watch(id).attaches.splice(0).map(async (a) => {
          try {
            const { done } = await joinAttach(client, a.req);
            void done.finally(a.done);
          } catch (err) {
            this.opts.log.warn({ id, err: messageOf(err) }, 'attach failed');
            a.done();
          }
        }),
      );
      await client.start();
      rec.state = {
        ...rec.state,
        Status: 'running',
        Running: true,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: pid,
        ExitCode: 0,
        Error: '',
        StartedAt: nowRfc3339Nano(),
      };
      delete rec.state.Health;
      rec.manuallyStopped = false;
      this.store.save(rec);
      this.monitor(rec, client);
      this.health?.start(rec);
    } catch (err) {
      const shim = this.shims.get(id);
      this.shims.delete(id);
      if (shim) await shim.shutdown(true).catch(() => undefined);
      unmountRootfs(this.paths, id);
      rmSync(stateDir, { recursive: true, force: true });
      const failure = this.startError(rec, err);
      // Like dockerd: a --rm container that cannot start is removed (docker run waits for that).
      if (rec.hostConfig.AutoRemove) await this.remove(rec, { force: true }).catch(() => undefined);
      throw failure;
    }
  }

  /** Records a failed start as Docker does and returns the API error (exit 127/126 → 400, else 500). */
  private startError(rec: ContainerRecord, err: unknown): Error {
    if (!(err instanceof ShimError)) return err instanceof Error ? err : new Error(messageOf(err));
    const message = `failed to create task for container: OCI runtime create failed: ${err.message}: unknown`;
    rec.state = { ...rec.state, Status: rec.state.Status === 'created' ? 'created' : 'exited', ExitCode: err.exitCode === 125 ? 128 : err.exitCode, Error: message };
    this.store.save(rec);
    for (const a of this.watch(rec.id).attaches.splice(0)) a.done();
    if (err.exitCode === 126 || err.exitCode === 127) return new InvalidArgumentError(message);
    return new TsdError(message);
  }

  /** Keeps a WAIT open on the shim; records the exit when it answers. */
  private monitor(rec: ContainerRecord, client: ShimClient): void {
    const waitExit = async (): Promise<ShimExit> => {
      for (;;) {
        try {
          return await client.wait();
        } catch (err) {
          // The shim is gone: its exit file (if any) tells how the container ended.
          const exit = readExitFile(this.paths.state(rec.id));
          if (exit) return exit;
          if (!isErrno(err, 'ECONNREFUSED') && !isErrno(err, 'ENOENT')) {
            await new Promise((r) => setTimeout(r, 100));
            continue;
          }
          return { id: rec.id, pid: rec.state.Pid, exitCode: 255, signal: 0, exitedAt: nowRfc3339Nano(), oomKilled: false };
        }
      }
    };
    void waitExit().then((exit) => this.exited(rec, exit, client));
  }

  private async exited(rec: ContainerRecord, exit: ShimExit, client: ShimClient): Promise<void> {
    if (this.store.get(rec.id) !== rec) return;
    rec.state = {
      ...rec.state,
      Status: 'exited',
      Running: false,
      Paused: false,
      Pid: 0,
      ExitCode: exit.exitCode,
      OOMKilled: exit.oomKilled,
      FinishedAt: exit.exitedAt || nowRfc3339Nano(),
    };
    this.store.save(rec);
    this.shims.delete(rec.id);
    this.health?.stop(rec.id);
    await client.shutdown(true).catch(() => undefined);
    this.undoStart(rec);
    if (exit.oomKilled) this.emit(rec, 'oom');
    this.emit(rec, 'die', { exitCode: String(exit.exitCode) });
    const w = this.watch(rec.id);
    for (const fn of [...w.exit]) fn();
    if (rec.hostConfig.AutoRemove) {
      await this.remove(rec, { force: true }).catch((err) => this.opts.log.warn({ id: rec.id, err: messageOf(err) }, 'auto-remove failed'));
      return;
    }
    this.applyRestartPolicy(rec, Date.parse(rec.state.FinishedAt) - Date.parse(rec.state.StartedAt));
  }

  /** After an exit: restart later if the policy says so (state "restarting" meanwhile). */
  private applyRestartPolicy(rec: ContainerRecord, ranMs: number): void {
    const restart = shouldRestart({
      policy: rec.hostConfig.RestartPolicy,
      exitCode: rec.state.ExitCode,
      restartCount: rec.restartCount,
      manuallyStopped: rec.manuallyStopped,
      ranMs,
    });
    if (!restart) {
      this.restarts.forget(rec.id);
      return;
    }
    rec.state = { ...rec.state, Status: 'restarting', Restarting: true };
    this.store.save(rec);
    if (this.closing) return; // restore() at the next start restarts it
    this.restarts.schedule(rec.id, this.restarts.nextDelay(rec.id, ranMs), () => {
      void this.opts.jobs
        .run({ name: 'container.restart-policy', object: rec.id }, async () => {
          if (this.store.get(rec.id) !== rec || !rec.state.Restarting) return;
          rec.restartCount++;
          rec.state = { ...rec.state, Restarting: false };
          await this.start(rec);
          this.emit(rec, 'start');
        })
        .catch((err) => {
          this.opts.log.warn({ id: rec.id, err: messageOf(err) }, 'restart by policy failed');
          rec.state = { ...rec.state, Status: 'exited', Restarting: false };
          this.store.save(rec);
        });
    });
  }

  /** Stops a pending restart (stop, kill, rm); true if there was one. */
  private cancelRestart(rec: ContainerRecord): boolean {
    if (!this.restarts.cancel(rec.id)) return false;
    rec.state = { ...rec.state, Status: 'exited', Restarting: false };
    rec.manuallyStopped = true;
    this.store.save(rec);
    return true;
  }

  emit(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.opts.events.publish({
      Type: 'container',
      Action: action,
      Actor: { ID: rec.id, Attributes: { ...(rec.config.Labels ?? {}), image: rec.config.Image, name: rec.name.slice(1), ...extra } },
    });
  }

  // ---- signals, stop, wait -------------------------------------------------

  async kill(rec: ContainerRecord, signal: string | undefined): Promise<void> {
    const sig = signalNumber(signal ?? 'KILL');
    if (!rec.state.Running) throw new ConflictError(`Cannot kill container: ${rec.name.slice(1)}: Container ${rec.id} is not running`);
    rec.manuallyStopped = true;
    await this.shim(rec).kill(sig, sig === 9);
    this.emit(rec, 'kill', { signal: String(sig) });
    await thawAfterSignal(this, rec, sig);
  }

  /**
   * Stops with the stop signal, then SIGKILL after `timeout` seconds (-1: wait
   * for ever). A stop by the daemon's own shutdown is not a manual one: the
   * restart policy applies at the next start, as dockerd does.
   */
  async stop(rec: ContainerRecord, opts: { signal?: string; timeout?: number; byDaemon?: boolean }): Promise<void> {
    if (this.cancelRestart(rec)) return this.emit(rec, 'stop');
    if (!rec.state.Running) throw new NotModifiedError('container already stopped');
    rec.manuallyStopped = !opts.byDaemon;
    this.store.save(rec);
    const exited = this.nextExit(rec);
    const sig = signalNumber(opts.signal || rec.config.StopSignal || 'TERM');
    const timeout = opts.timeout ?? rec.config.StopTimeout ?? 10;
    const client = this.shim(rec);
    await client.kill(sig).catch(() => undefined);
    this.emit(rec, 'kill', { signal: String(sig) });
    await thawAfterSignal(this, rec, sig);
    if (timeout < 0) return exited;
    const inTime = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeout * 1000))]);
    if (!inTime) {
      await client.kill(9, true).catch(() => undefined);
      this.emit(rec, 'kill', { signal: '9' });
      await thawAfterSignal(this, rec, 9);
      await exited;
    }
    this.emit(rec, 'stop');
  }

  /** Resolves at the container's next exit. */
  nextExit(rec: ContainerRecord): Promise<void> {
    return once(this.watch(rec.id).exit);
  }

  /** Resolves once the container is removed. */
  removal(rec: ContainerRecord): Promise<void> {
    return once(this.watch(rec.id).removed);
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
        return this.removal(rec).then(answer);
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

  /** Joins a client now if the container runs, else when it starts; resolves when the attach ends. */
  attach(rec: ContainerRecord, req: AttachRequest): Promise<void> {
    const client = rec.state.Running ? this.shims.get(rec.id) : undefined;
    if (client) return joinAttach(client, req).then((j) => j.done);
    const w = this.watch(rec.id);
    return new Promise((resolve) => {
      const entry = { req, done: resolve };
      w.attaches.push(entry);
      req.socket.once('close', () => {
        const i = w.attaches.indexOf(entry);
        if (i >= 0) w.attaches.splice(i, 1);
        resolve();
      });
    });
  }

  async resize(rec: ContainerRecord, rows: number, cols: number): Promise<void> {
    if (!rec.state.Running) throw new ConflictError(`Container ${rec.id} is not running`);
    if (!rec.config.Tty) return;
    await this.shim(rec).resize(rows, cols);
  }

  // ---- remove, rename ------------------------------------------------------

  async remove(rec: ContainerRecord, opts: { force?: boolean }): Promise<void> {
    if (this.store.get(rec.id) !== rec) return;
    if (rec.state.Restarting && !opts.force) {
      throw new ConflictError(`cannot remove container "${rec.name}": container is restarting: stop the container before removing or force remove`);
    }
    this.restarts.forget(rec.id);
    this.health?.stop(rec.id);
    if (rec.state.Running) {
      if (!opts.force) {
        throw new ConflictError(`cannot remove container "${rec.name}": container is running: stop the container before removing or force remove`);
      }
      const exited = this.nextExit(rec);
      await this.shim(rec).kill(9, true).catch(() => undefined);
      await thawAfterSignal(this, rec, 9);
      await exited;
      if (this.store.get(rec.id) !== rec) return;
    }
    rec.state.Status = 'removing';
    for (const a of this.watch(rec.id).attaches.splice(0)) a.done();
    removeContainerDirs(this.paths, rec.id);
    this.store.delete(rec, (tx) => {
      if (rec.topLayer) this.opts.graph.layers.release(rec.topLayer as Digest, `container:${rec.id}`, tx);
    });
    this.emit(rec, 'destroy');
    const w = this.watch(rec.id);
    for (const fn of [...w.removed]) fn();
    this.watchers.delete(rec.id);
  }

  rename(rec: ContainerRecord, newName: string): void {
    const name = validateName(newName);
    if (name === rec.name) throw new InvalidArgumentError(`Renaming a container with the same name as its current name`);
    const taken = this.store.byName(name);
    if (taken) throw nameInUse(name, taken.id);
    const old = rec.name;
    rec.name = name;
    this.store.save(rec);
    this.emit(rec, 'rename', { oldName: old });
  }

  /** POST /commit: the container's changes as a new image over its image. */
  async commit(rec: ContainerRecord, opts: { body: Partial<ContainerConfig>; changes: string[]; author?: string; comment?: string; repo?: string; tag?: string }): Promise<Digest> {
    const parent = this.opts.graph.store.get(rec.imageId as Digest) ?? null;
    const merged = { ...rec.config, ...Object.fromEntries(Object.entries(opts.body).filter(([, v]) => v !== undefined && v !== null)) } as ContainerConfig;
    const config = applyChanges(merged, opts.changes);
    const id = await this.opts.graph.images.commitImage({
      parent,
      diff: exportDiff(this.paths.upper(rec.id)),
      config,
      containerId: rec.id,
      createdBy: [rec.path, ...rec.args].join(' '),
      ...(opts.author ? { author: opts.author } : {}),
      ...(opts.comment ? { comment: opts.comment } : {}),
      ...(opts.repo ? { repo: opts.repo } : {}),
      ...(opts.tag ? { tag: opts.tag } : {}),
    });
    this.emit(rec, 'commit', { comment: opts.comment ?? '' });
    return id;
  }

  /** SizeRw (the upper dir) and SizeRootFs (with the image's layers). */
  sizes(rec: ContainerRecord): { SizeRw: number; SizeRootFs: number } {
    const rw = dirSize(this.paths.upper(rec.id));
    const image = this.opts.graph.store.get(rec.imageId as Digest);
    return { SizeRw: rw, SizeRootFs: rw + (image?.size ?? 0) };
  }

  private mountRootfs(rec: ContainerRecord): void {
    const p = this.paths;
    this.opts.graph.layers.mountLayers(rec.topLayer as Digest | null, p.upper(rec.id), p.work(rec.id), p.rootfs(rec.id), [p.init(rec.id)]);
  }

  /** The lower dirs of the container's overlay, top first (inspect's GraphDriver.Data.LowerDir). */
  lowerDirs(rec: ContainerRecord): string[] {
    return [this.paths.init(rec.id), ...(rec.topLayer ? this.opts.graph.layers.chain(rec.topLayer as Digest).map((l) => l.diffDir) : [])];
  }

  /** The container's root filesystem, mounted for reading while it does not run; release() unmounts it then. */
  mountedRootfs(rec: ContainerRecord): { rootfs: string; release: () => void } {
    const rootfs = this.paths.rootfs(rec.id);
    if (rec.state.Running) return { rootfs, release: () => undefined };
    // Counted: an export and a cp of the same stopped container share the mount; the last one out unmounts what was mounted for them.
    const use = this.rootfsUses.get(rec.id) ?? { users: 0, mountedHere: false };
    if (use.users === 0) {
      use.mountedHere = !isMounted(rootfs);
      if (use.mountedHere) this.mountRootfs(rec);
    }
    use.users++;
    this.rootfsUses.set(rec.id, use);
    let released = false;
    return {
      rootfs,
      release: () => {
        if (released) return;
        released = true;
        if (--use.users > 0) return;
        this.rootfsUses.delete(rec.id);
        if (use.mountedHere && !this.store.get(rec.id)?.state.Running) unmountRootfs(this.paths, rec.id);
      },
    };
  }

  /** POST /containers/prune: removes stopped containers (filters: label, label!, until). */
  async prune(f: Record<string, string[]>): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    for (const k of Object.keys(f)) if (!['label', 'label!', 'until'].includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
    const until = (f.until ?? []).map((v) => parseUntil(v) * 1000);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const rec of this.store.all()) {
      if (rec.state.Running || rec.state.Status === 'removing') continue;
      const labels = rec.config.Labels ?? {};
      if (!(f.label ?? []).every((l) => labelMatch(labels, l))) continue;
      if ((f['label!'] ?? []).some((l) => labelMatch(labels, l))) continue;
      if (!until.every((u) => Date.parse(rec.created) < u)) continue;
      const size = dirSize(this.paths.upper(rec.id));
      await this.remove(rec, {});
      deleted.push(rec.id);
      reclaimed += size;
    }
    if (deleted.length) this.opts.events.publish({ Type: 'container', Action: 'prune', Actor: { ID: '', Attributes: { reclaimed: String(reclaimed) } } });
    return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }

  // ---- daemon start and stop ------------------------------------------------

  /**
   * At daemon stop: containers keep running (live-restore), unless it is off:
   * then they are stopped, all at once. Pending restarts are picked up at the
   * next start.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.restarts.cancelAll();
    this.health?.close();
    if (this.opts.liveRestore !== false) return;
    const running = this.store.all().filter((rec) => rec.state.Running);
    await Promise.all(
      running.map((rec) =>
        this.stop(rec, { byDaemon: true }).catch((err) => this.opts.log.warn({ id: rec.id, err: messageOf(err) }, 'stop at daemon shutdown failed')),
      ),
    );
  }

  /** What a start made and an exit no longer needs: the rootfs mount (a failure only logged) and the bundle with the shim's state. */
  private undoStart(rec: ContainerRecord): void {
    try {
      unmountRootfs(this.paths, rec.id);
    } catch (err) {
      this.opts.log.warn({ id: rec.id, err: messageOf(err) }, 'unmount of rootfs failed');
    }
    rmSync(this.paths.state(rec.id), { recursive: true, force: true });
  }

  /**
   * A start the daemon died in the middle of (its record never said running):
   * its shim and container, if they came up, are ended, and the rootfs and
   * state it had made are undone, as a failed start undoes them.
   */
  private async abandonStart(rec: ContainerRecord): Promise<void> {
    const stateDir = this.paths.state(rec.id);
    if (!existsSync(stateDir)) return;
    const client = ShimClient.forStateDir(stateDir);
    // Either fails when no shim came up, or it is gone already.
    const killed = await client.kill(9, true).then(() => true, () => false);
    await client.shutdown(true).catch(() => undefined);
    if (killed) this.opts.log.warn({ id: rec.id }, 'ended a container whose start the daemon did not finish');
    this.undoStart(rec);
  }

  /** Re-joins the shims of containers that ran when the daemon stopped; records the exits it missed. */
  async restore(): Promise<void> {
    for (const rec of this.store.all()) {
      if (rec.state.Status === 'removing') {
        await this.remove(rec, { force: true }).catch((err) => this.opts.log.warn({ id: rec.id, err: messageOf(err) }, 'removal at restore failed'));
        continue;
      }
      if (rec.state.Restarting) {
        this.applyRestartPolicy(rec, 0);
        continue;
      }
      if (!rec.state.Running) {
        await this.abandonStart(rec);
        continue;
      }
      const client = ShimClient.forStateDir(this.paths.state(rec.id));
      try {
        const st = await client.state();
        this.shims.set(rec.id, client);
        if (st.status === 'stopped') {
          await this.exited(rec, { id: rec.id, pid: st.pid, exitCode: st.exitCode, signal: 0, exitedAt: st.exitedAt, oomKilled: st.oomKilled }, client);
        } else {
          this.monitor(rec, client);
          // A paused container stays frozen, its probes resume at unpause (pause.ts).
          if (!rec.state.Paused) {
            await thawLeftFrozen(rec, this.opts.log);
            this.health?.start(rec);
          }
        }
      } catch {
        const exit = readExitFile(this.paths.state(rec.id)) ?? { id: rec.id, pid: 0, exitCode: 255, signal: 0, exitedAt: nowRfc3339Nano(), oomKilled: false };
        await this.exited(rec, exit, client);
      }
    }
  }
}

export type { ContainerRecord };

/** A container frozen by a docker cp the daemon died in (archive.ts) but not paused by the user runs again. */
async function thawLeftFrozen(rec: ContainerRecord, log: Logger): Promise<void> {
  const cgroup = containerCgroup(rec.id);
  try {
    if (cgroup.frozen()) await cgroup.thaw();
  } catch (err) {
    log.warn({ id: rec.id, err: messageOf(err) }, 'thaw at restore failed');
  }
}
