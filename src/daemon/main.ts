// tsdockerd: parses dockerd-style flags, starts the daemon, and handles signals
// (SIGTERM/SIGINT stop cleanly, SIGHUP reloads the configuration file).
import { Command, InvalidArgumentError, Option } from 'commander';
import { ENGINE_VERSION } from '../api/version';
import { messageOf } from '../errors';
import { DEFAULTS, LOG_LEVELS, readConfigFile, resolveConfig, type DaemonConfig, type LogLevel } from './config';
import { createLogger, startDaemon } from './daemon';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** A boolean flag's optional value, as Go's flag package reads `--tls=false`. */
function parseBool(value: string): boolean {
  if (/^(1|t|true)$/i.test(value)) return true;
  if (/^(0|f|false)$/i.test(value)) return false;
  throw new InvalidArgumentError(`invalid boolean value "${value}"`);
}

function parseFlags(argv: string[]): { flags: Partial<DaemonConfig>; configFile: string; explicitConfig: boolean } {
  const program = new Command('tsdockerd')
    .description('A self-sufficient runtime for containers (the tsdocker daemon)')
    .version(`tsdocker version ${ENGINE_VERSION}`, '-v, --version', 'Print version information and quit')
    .option('-H, --host <host>', 'Daemon socket(s) to connect to (repeatable)', collect)
    .option('--data-root <dir>', 'Root directory of persistent state', undefined)
    .option('--exec-root <dir>', 'Root directory for execution state files')
    .option('-p, --pidfile <file>', 'Path to use for daemon PID file')
    .option('--config-file <file>', 'Daemon configuration file', DEFAULTS.configFile)
    .addOption(new Option('-l, --log-level <level>', 'Set the logging level').choices(LOG_LEVELS))
    .option('-D, --debug', 'Enable debug mode')
    .option('-G, --group <group>', 'Group for the unix socket')
    .option('--label <label>', 'Set key=value labels to the daemon (repeatable)', collect)
    .option('--live-restore', 'Keep containers running while the daemon is down (default on)')
    .option('--no-live-restore', 'Stop containers when the daemon stops')
    .option('--experimental', 'Enable experimental features')
    .option('--tls [bool]', 'Use TLS; implied by --tlsverify', parseBool)
    .option('--tlsverify [bool]', 'Use TLS and verify the remote (the default with --tls, as dockerd; --tlsverify=false to serve TLS without client certificates)', parseBool)
    .option('--tlscacert <file>', 'Trust certs signed only by this CA (default "~/.docker/ca.pem")')
    .option('--tlscert <file>', 'Path to TLS certificate file (default "~/.docker/cert.pem")')
    .option('--tlskey <file>', 'Path to TLS key file (default "~/.docker/key.pem")')
    .allowExcessArguments(false)
    .parse(argv);
  const o = program.opts<Record<string, unknown>>();
  const flags: Partial<DaemonConfig> = {};
  const set = <K extends keyof DaemonConfig>(key: K, value: unknown) => {
    if (value !== undefined) flags[key] = value as DaemonConfig[K];
  };
  set('hosts', o['host']);
  set('dataRoot', o['dataRoot']);
  set('execRoot', o['execRoot']);
  set('pidfile', o['pidfile']);
  set('logLevel', o['logLevel'] as LogLevel | undefined);
  set('debug', o['debug']);
  set('group', o['group']);
  set('labels', o['label']);
  set('liveRestore', o['liveRestore']);
  set('experimental', o['experimental']);
  set('tls', o['tls']);
  set('tlsVerify', o['tlsverify']);
  set('tlsCaCert', o['tlscacert']);
  set('tlsCert', o['tlscert']);
  set('tlsKey', o['tlskey']);
  const configFile = o['configFile'] as string;
  flags.configFile = configFile;
  return { flags, configFile, explicitConfig: program.getOptionValueSource('configFile') === 'cli' };
}

async function main(): Promise<void> {
  // As dockerd (setDefaultUmask): the modes written in the code are the modes on disk,
  // whatever umask the service manager gave (0 made a container's /etc/hosts world-writable,
  // 077 closed its / to its non-root users).
  process.umask(0o022);
  let flags: Partial<DaemonConfig>;
  let config: DaemonConfig;
  try {
    const parsed = parseFlags(process.argv);
    flags = parsed.flags;
    config = resolveConfig(flags, readConfigFile(parsed.configFile, parsed.explicitConfig));
  } catch (err) {
    process.stderr.write(`tsdockerd: ${messageOf(err)}\n`);
    process.exit(1);
  }
  const log = createLogger(config);
  let daemon: Awaited<ReturnType<typeof startDaemon>>;
  try {
    daemon = await startDaemon(config, log);
  } catch (err) {
    log.fatal({ err: messageOf(err) }, 'failed to start daemon');
    process.stderr.write(`failed to start daemon: ${messageOf(err)}\n`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    daemon.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: messageOf(err) }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    try {
      const changed = daemon.reload(flags);
      log.info({ changed }, 'configuration reloaded');
    } catch (err) {
      log.error({ err: messageOf(err) }, 'configuration reload failed; keeping the old one');
    }
  });
}

void main();
