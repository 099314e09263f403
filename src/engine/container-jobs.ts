// The container jobs: each API operation that changes a container is a named
// job here, holding the container's lock (keys.ts) on the record as it is once
// the lock is held; its events leave through the job's context. Exits, the
// restart policy, --rm and health status changes run as jobs too, so that
// every event of a container leaves the same way.
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { ContainerCreateBody, ContainerPruneResponse } from '../api/containers';
import type { ContainerUpdateBody, ContainerUpdateResponse } from '../api/resources';
import type { JobContext, JobEngine } from './jobs';
import { ConflictError, messageOf } from '../errors';
import type { Digest } from '../api/digest';
import type { Graph } from '../graph/graph';
import type { ShimExit } from '../native/shim-client';
import { commitContainer, prunable, type CommitOptions } from '../container/commit';
import type { ExecService } from '../container/exec';
import { exportRootfs } from '../container/export';
import { dirSize } from '../container/files';
import type { HealthMonitor } from '../container/health';
import { containerEvent } from '../container/lifecycle';
import { pauseContainer, unpauseContainer } from '../container/pause';
import type { ContainerService } from '../container/service';
import type { ContainerRecord } from '../container/store';
import { updateContainer } from '../container/update';
import { containerLock, nameLock } from './lock-keys';
import { RestartPolicy } from './restart-policy';

export interface ContainerJobsOptions {
  /** false (dockerd's default, not ours): the daemon's stop stops the containers too. */
  liveRestore: boolean;
}

export class ContainerJobs {
  readonly policy: RestartPolicy;

  constructor(
    private readonly jobs: JobEngine,
    private readonly containers: ContainerService,
    private readonly execs: ExecService,
    private readonly health: HealthMonitor,
    private readonly graph: Graph,
    private readonly log: Logger,
    private readonly opts: ContainerJobsOptions,
  ) {
    this.policy = new RestartPolicy(jobs, containers, log);
    containers.hooks = {
      exited: (rec, exit) => this.exited(rec, exit),
      restarting: async (rec) => this.policy.afterExit(undefined, rec, 0),
      removing: (rec) => this.remove(rec.id, { force: true }).catch((err) => log.warn({ id: rec.id, err: messageOf(err) }, 'removal at restore failed')),
      running: (rec) => health.start(rec),
    };
  }

  /** Runs a job holding the container's lock, on the record as it is once the lock is held. */
  private onContainer<T>(name: string, ref: string, work: (ctx: JobContext, rec: ContainerRecord) => Promise<T> | T): Promise<T> {
    const rec = this.containers.store.resolve(ref);
    return this.jobs.run({ name, object: rec.id, locks: [containerLock(rec.id)] }, (ctx) => work(ctx, this.containers.store.resolve(rec.id)));
  }

  create(body: ContainerCreateBody, name: string | undefined): Promise<{ Id: string; Warnings: string[] }> {
    return this.jobs.run({ name: 'container.create', object: name, locks: name ? [nameLock(name)] : [] }, async (ctx) => {
      const { Id, Warnings } = await this.containers.create(ctx, body, name);
      ctx.setObject(Id);
      return { Id, Warnings };
    });
  }

  start(ref: string): Promise<void> {
    return this.onContainer('container.start', ref, (ctx, rec) => this.containers.start(ctx, rec));
  }

  stop(ref: string, opts: { signal?: string | undefined; timeout?: number | undefined }): Promise<void> {
    return this.onContainer('container.stop', ref, (ctx, rec) => this.stopIn(ctx, rec, opts));
  }

  /** A pending restart is cancelled instead (a stop of a restarting container). */
  private async stopIn(ctx: JobContext, rec: ContainerRecord, opts: { signal?: string | undefined; timeout?: number | undefined; byDaemon?: boolean }): Promise<void> {
    if (this.policy.cancel(ctx, rec)) return ctx.emit(containerEvent(rec, 'stop'));
    await this.containers.stop(ctx, rec, opts);
  }

  kill(ref: string, signal: string | undefined): Promise<void> {
    return this.onContainer('container.kill', ref, (ctx, rec) => this.containers.kill(ctx, rec, signal));
  }

  /** A stop (if it runs) and a start, in one job: `start` then `restart` events. */
  restart(ref: string, opts: { signal?: string | undefined; timeout?: number | undefined }): Promise<void> {
    return this.onContainer('container.restart', ref, async (ctx, rec) => {
      if (rec.state.Running) await this.stopIn(ctx, rec, opts);
      await this.containers.start(ctx, rec);
      ctx.emit(containerEvent(rec, 'restart'));
    });
  }

  remove(ref: string, opts: { force?: boolean; removeVolumes?: boolean }): Promise<void> {
    return this.onContainer('container.remove', ref, (ctx, rec) => this.removeIn(ctx, rec, opts));
  }

  private async removeIn(ctx: JobContext, rec: ContainerRecord, opts: { force?: boolean; removeVolumes?: boolean }): Promise<void> {
    this.policy.forget(rec.id);
    await this.containers.remove(ctx, rec, opts);
    this.execs.forget(rec.id);
  }

  rename(ref: string, newName: string): Promise<void> {
    const rec = this.containers.store.resolve(ref);
    return this.jobs.run({ name: 'container.rename', object: rec.id, locks: [containerLock(rec.id), nameLock(newName)] }, (ctx) =>
      this.containers.rename(ctx, this.containers.store.resolve(rec.id), newName),
    );
  }

  pause(ref: string): Promise<void> {
    return this.onContainer('container.pause', ref, (ctx, rec) => pauseContainer(this.containers.lifecycle, ctx, rec));
  }

  unpause(ref: string): Promise<void> {
    return this.onContainer('container.unpause', ref, (ctx, rec) => unpauseContainer(this.containers.lifecycle, ctx, rec));
  }

  update(ref: string, body: ContainerUpdateBody): Promise<ContainerUpdateResponse> {
    return this.onContainer('container.update', ref, (ctx, rec) => updateContainer(this.containers.store, ctx, rec, body));
  }

  commit(ref: string, opts: CommitOptions): Promise<Digest> {
    return this.onContainer('container.commit', ref, async (ctx, rec) => {
      const id = await commitContainer(this.graph, this.containers.paths, rec, opts);
      ctx.emit(containerEvent(rec, 'commit', { comment: opts.comment ?? '' }));
      return id;
    });
  }

  /** Removes the stopped containers the filters select, one after another. */
  prune(filters: Record<string, string[]>): Promise<ContainerPruneResponse> {
    return this.jobs.run({ name: 'container.prune' }, async (ctx) => {
      const deleted: string[] = [];
      let reclaimed = 0;
      for (const rec of prunable(this.containers.store.all(), filters)) {
        const size = dirSize(this.containers.paths.upper(rec.id));
        await this.removeIn(ctx, rec, {});
        deleted.push(rec.id);
        reclaimed += size;
      }
      if (deleted.length) ctx.emit({ Type: 'container', Action: 'prune', Actor: { ID: '', Attributes: { reclaimed: String(reclaimed) } } });
      return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
    });
  }

  /**
   * The rootfs as a tar. Like dockerd's, the job holds the container's lock
   * while it checks the container and mounts its rootfs (a start, stop or rm
   * under way finishes first), not while the tar streams: the counted mount
   * (RootfsViews.mounted) is let go when the stream closes.
   */
  export(ref: string): Promise<Readable> {
    return this.onContainer('container.export', ref, (_ctx, rec) => {
      if (rec.state.Status === 'removing') throw new ConflictError(`container ${rec.id} is marked for removal and cannot be exported`);
      const { rootfs, release } = this.containers.rootfs.mounted(rec);
      const body = exportRootfs(rootfs);
      body.once('close', release);
      return body;
    });
  }

  /** An exit the supervisor noticed: recorded, then --rm or the restart policy. No lock: a stop's job waits for this one. */
  private exited(rec: ContainerRecord, exit: ShimExit): Promise<void> {
    return this.jobs.run({ name: 'container.exit', object: rec.id, locks: [] }, async (ctx) => {
      if (this.containers.store.get(rec.id) !== rec) return;
      await this.containers.recordExit(ctx, rec, exit);
      if (rec.hostConfig.AutoRemove) {
        await this.removeIn(ctx, rec, { force: true, removeVolumes: true }).catch((err) => this.log.warn({ id: rec.id, err: messageOf(err) }, 'auto-remove failed'));
        return;
      }
      this.policy.afterExit(ctx, rec, Date.parse(rec.state.FinishedAt) - Date.parse(rec.state.StartedAt));
    });
  }

  /** A health status change (health.ts), published as its own job. */
  healthStatus(rec: ContainerRecord, action: string): void {
    void this.jobs.run({ name: 'container.health-status', object: rec.id, locks: [] }, (ctx) => ctx.emit(containerEvent(rec, action)));
  }

  /**
   * At daemon stop: containers keep running (live-restore), unless it is off:
   * then they are stopped, all at once. Pending restarts are picked up at the
   * next start.
   */
  async close(): Promise<void> {
    this.policy.close();
    this.health.close();
    if (this.opts.liveRestore) return;
    const running = this.containers.store.all().filter((rec) => rec.state.Running);
    await Promise.all(
      running.map((rec) =>
        this.onContainer('container.stop', rec.id, (ctx, now) => this.containers.stop(ctx, now, { byDaemon: true })).catch((err) =>
          this.log.warn({ id: rec.id, err: messageOf(err) }, 'stop at daemon shutdown failed'),
        ),
      ),
    );
  }
}
