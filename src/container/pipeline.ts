// A container's start as a list of named steps, each with its undo:
//
//   rootfs → mounts → task → [network] → process
//
// start runs them in order; when one fails, the undo of every step that ran
// (the failed one too: it may have half-done its work) runs in reverse. An
// exit, a stop and a removal undo them all, in reverse. At restore, a start
// the daemon died in is undone the same way, from what is on disk alone.
//
// The rules for a step (networks and volumes join as steps, between the ones
// here; see docs/architecture.md):
// - run() may use and fill the StartTask; undo() must not need it: it works
//   from the record and the paths (names derived from the container's ID), so
//   that it can run after a crash, in a new daemon.
// - undo() is idempotent and tolerates a run that never happened or stopped
//   half-way; it logs rather than throws when what it undoes is already gone.
// - a step that must see the container's namespaces comes after `task` (the
//   runtime has created them, the pid is known) and before `process` (nothing
//   of the user's runs yet).
import type { Logger } from 'pino';
import type { EventSink } from '../engine/drivers';
import type { ShimClient } from '../native/shim-client';
import { messageOf } from '../errors';
import type { VolumeBind } from './mount-points';
import type { ContainerRecord } from './store';

/** What the steps of one start share. */
export interface StartTask {
  readonly rec: ContainerRecord;
  /** Set by the task step: the shim holding the created container, and its init's pid. */
  shim?: ShimClient;
  pid?: number;
  /** The start job's events (a step's own events, e.g. volume `mount`). */
  sink?: EventSink;
  /** Set by the volumes step: the container's volumes as binds for the spec. */
  volumeBinds?: VolumeBind[];
}

export interface StartStep {
  /** Shown in logs and errors: `rootfs`, `mounts`, `task`, `network`, `process`. */
  readonly name: string;
  run(task: StartTask): Promise<void> | void;
  /** `sink`: the events of the job undoing (absent at restore). */
  undo(rec: ContainerRecord, sink?: EventSink): Promise<void> | void;
}

/** Runs the steps in order; on a failure, undoes those that ran (the failing one too) in reverse, then rethrows. */
export async function runSteps(steps: readonly StartStep[], task: StartTask, log: Logger): Promise<void> {
  const ran: StartStep[] = [];
  try {
    for (const step of steps) {
      ran.push(step);
      await step.run(task);
    }
  } catch (err) {
    await undoSteps(ran, task.rec, log, task.sink);
    throw err;
  }
}

/** Undoes the steps in reverse; a failing undo is logged and the others still run. */
export async function undoSteps(steps: readonly StartStep[], rec: ContainerRecord, log: Logger, sink?: EventSink): Promise<void> {
  for (const step of [...steps].reverse()) {
    try {
      await step.undo(rec, sink);
    } catch (err) {
      log.warn({ id: rec.id, step: step.name, err: messageOf(err) }, 'undo of a start step failed');
    }
  }
}
