// The start pipeline's rules (src/container/pipeline.ts): steps run in order;
// a failing step undoes every step that ran, itself included, in reverse, and
// the failure reaches the caller; undoSteps runs every undo even when one
// throws. And the lifecycle's edges (src/container/lifecycle.ts).
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Lifecycle, phaseOf } from '../../src/container/lifecycle';
import { runSteps, undoSteps, type StartStep } from '../../src/container/pipeline';
import type { ContainerRecord, ContainerStore } from '../../src/container/store';
import { runConfig } from '../runtime/helpers';

const log = pino({ level: 'silent' });

function record(): ContainerRecord {
  return {
    id: 'c'.repeat(64), name: '/p', created: '', imageId: '', topLayer: null, path: 'true', args: [],
    config: runConfig(['true']), hostConfig: {}, restartCount: 0, runtime: 'tsd-runtime', manuallyStopped: false,
    state: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '', FinishedAt: '' },
  };
}

function steps(trace: string[], failAt?: string, undoFailAt?: string): StartStep[] {
  return ['rootfs', 'mounts', 'task', 'network', 'process'].map((name) => ({
    name,
    run: async () => {
      trace.push(`run ${name}`);
      if (name === failAt) throw new Error(`${name} failed`);
    },
    undo: () => {
      trace.push(`undo ${name}`);
      if (name === undoFailAt) throw new Error(`undo ${name} failed`);
    },
  }));
}

describe('start pipeline', () => {
  it('runs every step in order when none fails', async () => {
    const trace: string[] = [];
    await runSteps(steps(trace), { rec: record() }, log);
    expect(trace).toEqual(['run rootfs', 'run mounts', 'run task', 'run network', 'run process']);
  });

  it('undoes the steps that ran, the failing one first, in reverse, and rethrows', async () => {
    const trace: string[] = [];
    await expect(runSteps(steps(trace, 'network'), { rec: record() }, log)).rejects.toThrow('network failed');
    expect(trace).toEqual(['run rootfs', 'run mounts', 'run task', 'run network', 'undo network', 'undo task', 'undo mounts', 'undo rootfs']);
  });

  it('runs every undo even when one fails', async () => {
    const trace: string[] = [];
    await undoSteps(steps(trace, undefined, 'task'), record(), log);
    expect(trace).toEqual(['undo process', 'undo network', 'undo task', 'undo mounts', 'undo rootfs']);
  });
});

describe('lifecycle', () => {
  const saved: string[] = [];
  const store = { save: (rec: ContainerRecord) => saved.push(rec.state.Status) } as unknown as ContainerStore;

  it('moves along its edges, saving and emitting, and refuses the others', () => {
    const lifecycle = new Lifecycle(store);
    const events: string[] = [];
    const sink = { emit: (e: { Action: string }) => events.push(e.Action), emitNow: (e: { Action: string }) => events.push(`now ${e.Action}`) };
    const rec = record();
    expect(() => lifecycle.transition(sink, rec, 'paused')).toThrow('no transition from created to paused');
    lifecycle.transition(sink, rec, 'running', { Pid: 42 }, { action: 'start' });
    lifecycle.transition(sink, rec, 'paused', {}, { action: 'pause' });
    expect([phaseOf(rec), rec.state.Running, rec.state.Paused, rec.state.Pid]).toEqual(['paused', true, true, 42]);
    lifecycle.transition(sink, rec, 'exited', { Pid: 0 }, { action: 'die', now: true });
    expect(() => lifecycle.transition(sink, rec, 'paused')).toThrow('no transition from exited to paused');
    lifecycle.transition(sink, rec, 'restarting');
    lifecycle.transition(sink, rec, 'removing');
    expect(saved).toEqual(['running', 'paused', 'exited', 'restarting', 'removing']);
    expect(events).toEqual(['start', 'pause', 'now die']);
  });
});
