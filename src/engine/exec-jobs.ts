// The exec jobs: create, start (detached, or for as long as the client stays
// attached) and the exec's end, each a named job whose events leave through
// its context.
import type { Duplex } from 'node:stream';
import type { ExecCreateBody } from '../api/containers';
import type { JobEngine } from './jobs';
import type { ExecService } from '../container/exec';
import { containerEvent } from '../container/lifecycle';
import type { ContainerService } from '../container/service';
import type { ContainerRecord } from '../container/store';
import { containerLock, execLock } from './lock-keys';

export class ExecJobs {
  constructor(
    private readonly jobs: JobEngine,
    private readonly containers: ContainerService,
    private readonly execs: ExecService,
  ) {
    execs.onExit = (rec, id, code) => this.exited(rec, id, code);
  }

  /** `ref` is the container as the client named it (dockerd's paused error quotes it). */
  create(ref: string, body: ExecCreateBody): Promise<string> {
    const rec = this.containers.store.resolve(ref);
    return this.jobs.run({ name: 'exec.create', object: rec.id, locks: [containerLock(rec.id)] }, (ctx) =>
      this.execs.create(ctx, this.containers.store.resolve(rec.id), body, ref),
    );
  }

  /** Detached (no socket): resolves once the process runs. Attached: once it ends, its output framed unless `tty` (the start body's). */
  start(id: string, socket: Duplex | undefined, tty: boolean): Promise<void> {
    return this.jobs.run({ name: 'exec.start', object: id, locks: [execLock(id)] }, (ctx) => this.execs.start(ctx, id, socket, tty));
  }

  private exited(rec: ContainerRecord, id: string, exitCode: number): void {
    void this.jobs.run({ name: 'exec.exit', object: id, locks: [] }, (ctx) =>
      ctx.emit(containerEvent(rec, 'exec_die', { execID: id, exitCode: String(exitCode) })),
    );
  }
}
