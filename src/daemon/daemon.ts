// A running daemon: takes the single-daemon locks, opens the state, builds the
// API and listens; stops in the reverse order. SIGHUP-style reloads re-read the
// configuration file and apply what can change without a restart.
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { closeDrivers, restoreDrivers } from '../engine/drivers';
import { openDb } from '../state/db';
import { closeDir, closeStateRoot } from '../state/dirs';
import { RELOADABLE, readConfigFile, resolveConfig, type DaemonConfig } from './config';
import type { DaemonContext } from './context';
import { checkHosts, listen, type Listener } from './listeners';
import { loadTls, type TlsOptions } from './tls';
import { messageOf } from '../errors';
import { acquirePidFile } from './lock';
import { buildApp } from './server';
import { wireEngine } from './wiring';

export interface RunningDaemon {
  ctx: DaemonContext;
  stop(): Promise<void>;
  /** Re-reads the configuration file; returns the names of the fields that changed. */
  reload(flags: Partial<DaemonConfig>): string[];
}

export function createLogger(config: DaemonConfig): Logger {
  return pino({ level: config.logLevel, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
}

/**
 * SIGHUP's certificate reload: the TLS files read again, new connections get
 * them; a file that does not load leaves the old ones in use, logged.
 */
function reloadTls(config: DaemonConfig, listeners: Listener[], log: Logger): void {
  let options: TlsOptions | undefined;
  try {
    options = loadTls(config);
  } catch (err) {
    log.error({ err: messageOf(err) }, 'TLS certificates not reloaded; the old ones stay in use');
    return;
  }
  if (!options) return;
  for (const listener of listeners) listener.setTls?.(options);
  log.info({ tlscert: config.tlsCert, tlskey: config.tlsKey, tlscacert: config.tlsVerify ? config.tlsCaCert : undefined }, 'TLS certificates reloaded');
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
  const ctx = await wireEngine(config, log, db);
  await restoreDrivers(ctx.drivers);

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
      } else if (host.startsWith('tcp://') && !config.tlsVerify) {
        // dockerd's words for TLS without client certificates (--tlsverify=false).
        log.warn({ host }, 'Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network.');
      }
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    await app.close();
    db.close();
    releases.forEach((r) => r());
    throw err;
  }
  const tlsMode = !tls ? 'off' : config.tlsVerify ? 'client certificates from the CA required' : 'encryption only';
  log.info({ hosts: config.hosts, tls: tlsMode, dataRoot: config.dataRoot, execRoot: config.execRoot }, 'API listen');

  return {
    ctx,
    async stop() {
      await Promise.all(listeners.map((l) => l.close()));
      await app.close();
      await ctx.containerJobs.close();
      await closeDrivers(ctx.drivers);
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
      if (tls) reloadTls(config, listeners, log);
      return changed;
    },
  };
}
