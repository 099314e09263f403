// Health checks (dockerd's daemon/health.go): the image's HEALTHCHECK or the
// create's Healthcheck runs in the container every Interval (StartInterval
// during StartPeriod); Retries failures in a row make it unhealthy, failures
// in the start period do not count. State.Health keeps the last 5 results;
// each change of status is a `health_status: <status>` event.
import type { HealthcheckResult } from '../api/containers';
import type { ContainerRecord } from './store';
import { messageOf } from '../errors';

const NS = 1_000_000_000;
const DEFAULT_INTERVAL_S = 30;
const DEFAULT_TIMEOUT_S = 30;
const DEFAULT_START_INTERVAL_S = 5;
const DEFAULT_RETRIES = 3;
const KEEP_RESULTS = 5;

export interface HealthDeps {
  probe(rec: ContainerRecord, cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }>;
  save(rec: ContainerRecord): void;
  emit(rec: ContainerRecord, action: string): void;
  /** The record while it is still the running container (not removed, not restarted since). */
  current(rec: ContainerRecord): boolean;
}

/** The probe's command, or null when the container has no (or a disabled) health check. */
export function probeCommand(test: string[] | undefined): string[] | null {
  if (!test?.length || test[0] === 'NONE') return null;
  if (test[0] === 'CMD') return test.length > 1 ? test.slice(1) : null;
  if (test[0] === 'CMD-SHELL') return test.length > 1 ? ['/bin/sh', '-c', test[1]!] : null;
  return null;
}

export class HealthMonitor {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Per container, the token of the current start(): a probe that outlives a stop (one frozen by a pause) must not record or reschedule. */
  private readonly runs = new Map<string, object>();

  constructor(private readonly deps: HealthDeps) {}

  /** Begins probing a container that just started (or was found running). */
  start(rec: ContainerRecord): void {
    const hc = rec.config.Healthcheck;
    const cmd = probeCommand(hc?.Test);
    this.stop(rec.id);
    if (!cmd) return;
    if (!rec.state.Health || rec.state.Health.Status === 'none') {
      rec.state.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
      this.deps.save(rec);
    }
    const startedAt = Date.parse(rec.state.StartedAt);
    const seconds = (ns: number | undefined, dflt: number): number => (ns && ns > 0 ? ns / NS : dflt);
    const interval = seconds(hc?.Interval, DEFAULT_INTERVAL_S);
    const startInterval = seconds(hc?.StartInterval, DEFAULT_START_INTERVAL_S);
    const timeout = seconds(hc?.Timeout, DEFAULT_TIMEOUT_S);
    const startPeriod = seconds(hc?.StartPeriod, 0);
    const retries = hc?.Retries && hc.Retries > 0 ? hc.Retries : DEFAULT_RETRIES;
    const token = {};
    this.runs.set(rec.id, token);
    const inStartPeriod = (): boolean => Date.now() - startedAt < startPeriod * 1000;
    const next = (): void => {
      const wait = inStartPeriod() && rec.state.Health?.Status === 'starting' ? Math.min(startInterval, interval) : interval;
      this.timers.set(rec.id, setTimeout(() => void run(), wait * 1000));
    };
    const run = async (): Promise<void> => {
      const start = new Date().toISOString();
      let result: { exitCode: number; output: string };
      try {
        result = await this.deps.probe(rec, cmd, timeout * 1000);
      } catch (err) {
        result = { exitCode: -1, output: messageOf(err) };
      }
      if (!this.deps.current(rec) || this.runs.get(rec.id) !== token) return;
      this.record(rec, { Start: start, End: new Date().toISOString(), ExitCode: result.exitCode, Output: result.output }, retries, inStartPeriod());
      next();
    };
    next();
  }

  private record(rec: ContainerRecord, result: HealthcheckResult, retries: number, startPeriod: boolean): void {
    const health = rec.state.Health ?? { Status: 'starting', FailingStreak: 0, Log: [] };
    const before = health.Status;
    health.Log = [...health.Log, result].slice(-KEEP_RESULTS);
    if (result.ExitCode === 0) {
      health.FailingStreak = 0;
      health.Status = 'healthy';
    } else if (!(startPeriod && before === 'starting')) {
      health.FailingStreak++;
      if (health.FailingStreak >= retries) health.Status = 'unhealthy';
    }
    rec.state.Health = health;
    this.deps.save(rec);
    if (health.Status !== before) this.deps.emit(rec, `health_status: ${health.Status}`);
  }

  stop(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
    this.runs.delete(id);
  }

  close(): void {
    for (const id of [...this.runs.keys()]) this.stop(id);
  }
}
