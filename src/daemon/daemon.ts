// A running daemon: takes the single-daemon locks, opens the state, builds the
// API and listens; stops in the reverse order. SIGHUP-style reloads re-read the
// configuration file and apply what can change without a restart.
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { emptyDrivers } from '../engine/drivers';
import { Graph } from '../graph/graph';
import { ContainerService } from '../container/service';
import { ExecService } from '../container/exec';
import { HealthMonitor } from '../container/health';
import { EventBus } from '../engine/events';
import { SqliteEventStore } from '../engine/event-store';
import { messageOf } from '../errors';
import { JobEngine } from '../engine/jobs';
import { daemonId, openDb } from '../state/db';
import { closeDir, closeStateRoot } from '../state/dirs';
import { readHostFacts } from '../system/host';
import { RELOADABLE, readConfigFile, resolveConfig, type DaemonConfig } from './config';
import type { DaemonContext } from './context';
import { checkHosts, listen, type Listener } from './listeners';
import { loadTls } from './tls';
import { acquirePidFile } from './lock';
import { buildApp } from './server';

export interface RunningDaemon {
  ctx: DaemonContext;
  stop(): Promise<void>;
  /** Re-reads the configuration file; returns the names of the fields that changed. */
  reload(flags: Partial<DaemonConfig>): string[];
}

export function createLogger(config: DaemonConfig): Logger {
  return pino({ level: config.logLevel, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
}

export async function startDaemon(config: DaemonConfig, log: Logger): Promise<RunningDaemon> {
  await checkHosts(config.hosts, config.tlsVerify);
  const tls = loadTls(config);
  closeStateRoot(config.dataRoot);
  closeDir(config.execRoot);
  const releases: (() => void)[] = [];
  releases.push(acquirePidFile(join(config.dataRoot, 'tsdockerd.lock'), 'data root lock'));
  try {
    releases.push(acquirePidFile(config.pidfile, 'pid file'));
  } catch (err) {
    releases.forEach((r) => r());
    throw err;
  }

  const { db, applied } = openDb(config.dataRoot);
  if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
  const events = new EventBus();
  // Before the drivers restore, so the events they publish are kept on disk too.
  events.persistTo(new SqliteEventStore(db), (err) => log.error({ err: messageOf(err) }, 'events: write to the database failed'));
  const jobs = new JobEngine(log, events);
  // The graph asks the container store who uses an image; the store needs the graph.
  let containers: ContainerService | undefined;
  const graph = await Graph.open(config.dataRoot, db, {
    logError: (msg) => log.error(msg),
    users: { containersUsing: (id) => containers?.containersUsing(id) ?? [] },
  });
  containers = new ContainerService({
    dataRoot: config.dataRoot,
    execRoot: config.execRoot,
    graph,
    events,
    log,
    defaultRuntime: config.defaultRuntime,
    runtimes: config.runtimes,
    logOpts: config.logOpts,
    defaultInit: config.init,
    liveRestore: config.liveRestore,
    jobs,
  });
  const execs = new ExecService(containers, config);
  const service = containers;
  service.health = new HealthMonitor({
    probe: (rec, cmd, timeoutMs) => execs.probe(rec, cmd, timeoutMs),
    save: (rec) => service.store.save(rec),
    emit: (rec, action) => service.emit(rec, action),
    current: (rec) => service.store.get(rec.id) === rec && rec.state.Running,
  });
  const drivers = { ...emptyDrivers(), images: graph, containers };
  const ctx: DaemonContext = {
    config,
    log,
    db,
    jobs,
    events,
    drivers,
    graph,
    containers,
    execs,
    host: readHostFacts(),
    daemonId: daemonId(db),
    startedAt: new Date(),
  };
  // Exec shims first: the health probes the container restore resumes are execs too.
  execs.restore();
  for (const driver of Object.values(ctx.drivers)) await driver.restore?.();

  const app = await buildApp(ctx);
  const listeners: Listener[] = [];
  try {
    for (const host of config.hosts) {
      listeners.push(await listen(app, host, config.group, tls));
      if (host.startsWith('tcp://') && !tls) {
        log.warn(
          { host },
          '!!! API is listening on plain TCP without TLS: every local user and process (a browser\'s scripts too) that reaches this port is root on this host. Prefer the Unix socket. !!!',
        );
      }
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    await app.close();
    db.close();
    releases.forEach((r) => r());
    throw err;
  }
  log.info({ hosts: config.hosts, dataRoot: config.dataRoot, execRoot: config.execRoot }, 'API listen');

  return {
    ctx,
    async stop() {
      await Promise.all(listeners.map((l) => l.close()));
      await app.close();
      for (const driver of Object.values(ctx.drivers)) await driver.close?.();
      db.close();
      releases.reverse().forEach((r) => r());
      log.info('daemon stopped');
    },
    reload(flags) {
      const next = resolveConfig(flags, readConfigFile(config.configFile, false));
      const changed: string[] = [];
      for (const key of RELOADABLE) {
        if (JSON.stringify(config[key]) !== JSON.stringify(next[key])) {
          (config as unknown as Record<string, unknown>)[key] = next[key];
          changed.push(key);
        }
      }
      log.level = config.logLevel;
      return changed;
    },
  };
}
