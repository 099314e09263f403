// A container's phases and the one way between them: transition() checks the
// edge, sets the state flags of the new phase (and the fields the caller
// gives), saves the record, starts or stops its health probes, and emits the
// event through the job's context. Nothing else changes a container's phase.
//
//   created ──start──▶ running ◀──unpause── paused
//      │                 │  ▲ └────pause─────▶ │
//      │               exit │start             │ exit (kill)
//      │                 ▼  │                  ▼
//      │              exited ◀────────────────┘
//      │               │  ▲ └──policy──▶ restarting ──start──▶ running
//      │               │  └──cancel (stop, kill, failed restart)─┘
//      └──────────────▶ removing ◀── (exited, restarting) ── record deleted
import type { ContainerState } from '../api/containers';
import type { EventInput, EventSink } from '../engine/drivers';
import { TsdError } from '../errors';
import type { ContainerRecord, ContainerStore } from './store';

export type Phase = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'removing';

/** Where each phase may go (a phase may also stay: a failed start records its error in place). */
const EDGES: Readonly<Record<Phase, readonly Phase[]>> = {
  created: ['running', 'removing'],
  running: ['paused', 'exited'],
  paused: ['running', 'exited'],
  exited: ['running', 'restarting', 'removing'],
  restarting: ['running', 'exited', 'removing'],
  removing: [],
};

/** The state flags each phase sets; a removal keeps the others as they were. */
const FLAGS: Readonly<Record<Phase, Partial<ContainerState>>> = {
  created: { Status: 'created', Running: false, Paused: false, Restarting: false },
  running: { Status: 'running', Running: true, Paused: false, Restarting: false },
  paused: { Status: 'paused', Running: true, Paused: true, Restarting: false },
  exited: { Status: 'exited', Running: false, Paused: false, Restarting: false },
  restarting: { Status: 'restarting', Running: false, Paused: false, Restarting: true },
  removing: { Status: 'removing' },
};

export type { EventSink };

/** Health probes run while a container is in the running phase, and only then. */
export interface ProbeSchedule {
  start(rec: ContainerRecord): void;
  stop(id: string): void;
}

export function phaseOf(rec: ContainerRecord): Phase {
  const s = rec.state;
  if (s.Status === 'removing' || s.Status === 'dead') return 'removing';
  if (s.Restarting) return 'restarting';
  if (s.Paused) return 'paused';
  if (s.Running) return 'running';
  return s.Status === 'created' ? 'created' : 'exited';
}

/** A container event as dockerd makes it: its labels, image and name as attributes. */
export function containerEvent(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): EventInput {
  return {
    Type: 'container',
    Action: action,
    Actor: { ID: rec.id, Attributes: { ...(rec.config.Labels ?? {}), image: rec.config.Image, name: rec.name.slice(1), ...extra } },
  };
}

export interface TransitionEvent {
  action: string;
  attributes?: Record<string, string>;
  /** Published at once (emitNow) rather than when the job succeeds. */
  now?: boolean;
}

export class Lifecycle {
  /** Set by the daemon once the exec service exists (probes are execs). */
  probes: ProbeSchedule | undefined;

  constructor(readonly store: ContainerStore) {}

  transition(sink: EventSink | undefined, rec: ContainerRecord, to: Phase, fields: Partial<ContainerState> = {}, event?: TransitionEvent): void {
    const from = phaseOf(rec);
    if (from !== to && !EDGES[from].includes(to)) throw new TsdError(`container ${rec.id}: no transition from ${from} to ${to}`);
    rec.state = { ...rec.state, ...FLAGS[to], ...fields };
    if (to === 'running' && from !== 'paused') delete rec.state.Health;
    this.store.save(rec);
    if (to === 'running' && from !== 'running') this.probes?.start(rec);
    if (to !== 'running') this.probes?.stop(rec.id);
    if (event && sink) {
      const ev = containerEvent(rec, event.action, event.attributes);
      if (event.now) sink.emitNow(ev);
      else sink.emit(ev);
    }
  }
}
