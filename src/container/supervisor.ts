// Exit supervision: one WAIT kept open on each running container's shim; the
// exit it answers goes to the job layer (hooks.exited), which records it and
// applies --rm and the restart policy. At daemon start, restore() re-joins
// the shims of containers that ran, undoes the starts a crash interrupted,
// and removes what no record owns.
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { nowRfc3339Nano } from '../api/time';
import { ConflictError, isErrno, messageOf } from '../errors';
import { readExitFile, ShimClient, type ShimExit } from '../native/shim-client';
import type { RuntimeDriver } from '../runtime/driver';
import { joinAttach, type AttachRequest } from './attach';
import { containerCgroup } from './cgroups';
import type { ContainerPaths } from './files';
import { removeOrphans } from './orphans';
import { undoSteps, type StartStep } from './pipeline';
import type { ContainerRecord, ContainerStore } from './store';

/** What the job layer does with what the supervisor finds; restore() awaits each. */
export interface SupervisorHooks {
  /** The container exited (or had exited when the daemon came back). */
  exited(rec: ContainerRecord, exit: ShimExit): Promise<void>;
  /** A restart by policy was pending when the daemon stopped. */
  restarting(rec: ContainerRecord): Promise<void>;
  /** A removal was under way when the daemon stopped. */
  removing(rec: ContainerRecord): Promise<void>;
  /** A container found running: its health probes resume. */
  running(rec: ContainerRecord): void;
}

const unknownExit = (rec: ContainerRecord): ShimExit => ({ id: rec.id, pid: rec.state.Pid, exitCode: 255, signal: 0, exitedAt: nowRfc3339Nano(), oomKilled: false });

export class Supervisor {
  private readonly shims = new Map<string, ShimClient>();
  hooks: SupervisorHooks | undefined;

  constructor(
    private readonly paths: ContainerPaths,
    private readonly store: ContainerStore,
    private readonly log: Logger,
  ) {}

  shim(rec: ContainerRecord): ShimClient {
    const client = this.shims.get(rec.id);
    if (!client || !rec.state.Running) throw new ConflictError(`Container ${rec.id} is not running`);
    return client;
  }

  /** Joins an attach to a running container; undefined when it does not run. */
  attach(rec: ContainerRecord, req: AttachRequest): Promise<void> | undefined {
    const client = rec.state.Running ? this.shims.get(rec.id) : undefined;
    return client ? joinAttach(client, req).then((j) => j.done) : undefined;
  }

  forget(id: string): void {
    this.shims.delete(id);
  }

  /** Keeps a WAIT open on the shim; hands the exit to the hooks when it answers. */
  watch(rec: ContainerRecord, client: ShimClient): void {
    this.shims.set(rec.id, client);
    void this.waitExit(rec, client).then((exit) => this.exited(rec, exit));
  }

  private async waitExit(rec: ContainerRecord, client: ShimClient): Promise<ShimExit> {
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
        return unknownExit(rec);
      }
    }
  }

  private async exited(rec: ContainerRecord, exit: ShimExit): Promise<void> {
    if (this.store.get(rec.id) !== rec) return;
    try {
      await this.hooks?.exited(rec, exit);
    } catch (err) {
      this.log.error({ id: rec.id, err: messageOf(err) }, 'recording an exit failed');
    }
  }

  /** At daemon start, each record in turn; then the sweep of what no record owns. */
  async restore(steps: readonly StartStep[], runtimes: RuntimeDriver[]): Promise<void> {
    for (const rec of this.store.all()) {
      try {
        await this.restoreOne(rec, steps);
      } catch (err) {
        this.log.warn({ id: rec.id, err: messageOf(err) }, 'restore of a container failed');
      }
    }
    await removeOrphans(this.paths, (id) => this.store.get(id) !== undefined, runtimes, this.log);
  }

  private async restoreOne(rec: ContainerRecord, steps: readonly StartStep[]): Promise<void> {
    if (rec.state.Status === 'removing') return this.hooks?.removing(rec);
    if (rec.state.Restarting) return this.hooks?.restarting(rec);
    if (!rec.state.Running) {
      // A start the daemon died in (its record never said running): undone as a failed start is.
      if (!existsSync(this.paths.state(rec.id))) return;
      this.log.warn({ id: rec.id }, 'undoing a start the daemon did not finish');
      return undoSteps(steps, rec, this.log);
    }
    const client = ShimClient.forStateDir(this.paths.state(rec.id));
    let st;
    try {
      st = await client.state();
    } catch {
      this.shims.set(rec.id, client);
      return this.exited(rec, readExitFile(this.paths.state(rec.id)) ?? unknownExit(rec));
    }
    this.shims.set(rec.id, client);
    if (st.status === 'stopped') {
      return this.exited(rec, { id: rec.id, pid: st.pid, exitCode: st.exitCode, signal: 0, exitedAt: st.exitedAt, oomKilled: st.oomKilled });
    }
    this.watch(rec, client);
    // A paused container stays frozen, its probes resume at unpause (pause.ts).
    if (!rec.state.Paused) {
      await thawLeftFrozen(rec, this.log);
      this.hooks?.running(rec);
    }
  }
}

/** A container frozen by a docker cp the daemon died in (archive.ts) but not paused by the user runs again. */
async function thawLeftFrozen(rec: ContainerRecord, log: Logger): Promise<void> {
  const cgroup = containerCgroup(rec.id);
  try {
    if (cgroup.frozen()) await cgroup.thaw();
  } catch (err) {
    log.warn({ id: rec.id, err: messageOf(err) }, 'thaw at restore failed');
  }
}
