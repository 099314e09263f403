// tsdocker: the command line, docker's commands, flags, output and exit codes.
// Each command group lives in its own file under commands/ and registers itself.
import { Command, CommanderError } from 'commander';
import { ENGINE_VERSION, TSDOCKER_VERSION } from '../api/version';
import { Cli, CliError, reportError, writeOut, type GlobalOptions } from './cli';
import { configureCommand } from './flags';
import { dockerHelp } from './help';
import { LOG_LEVELS } from './commands/containers-validate';
import { FLAG_ERRORS } from './usage';
import { registerContainers } from './commands/containers';
import { registerImages } from './commands/images';
import { registerNetwork } from './commands/network';
import { registerRegistryCommands } from './commands/pull';
import { registerSystem } from './commands/system';
import { registerTls } from './commands/tls';
import { registerContext } from './commands/context';
import { registerVolumes } from './commands/volumes';

/** What may be left when a command is done with nothing held back: sockets closing, signal handlers, timers. */
const IDLE = new Set(['PipeWrap', 'TCPWrap', 'TTYWrap', 'SignalWrap', 'Timeout', 'Immediate']);

/** The commands that do not talk to the daemon (no ping ahead of them). */
const LOCAL_COMMANDS = new Set(['context', 'help', 'tls']);

function buildProgram(cli: Cli): Command {
  const program = new Command('tsdocker')
    .usage('[OPTIONS] COMMAND')
    .description('A self-sufficient runtime for containers')
    .version(`tsdocker version ${ENGINE_VERSION}, build tsdocker-${TSDOCKER_VERSION}`, '-v, --version', 'Print version information and quit')
    .option('--config <string>', 'Location of client config files')
    .option('-c, --context <string>', 'Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and default context set with "docker context use")')
    .option('-D, --debug', 'Enable debug mode')
    .option('-H, --host <list>', 'Daemon socket to connect to', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('-l, --log-level <string>', 'Set the logging level ("debug", "info", "warn", "error", "fatal")')
    .option('--tls', 'Use TLS; implied by --tlsverify')
    .option('--tlscacert <string>', 'Trust certs signed only by this CA')
    .option('--tlscert <string>', 'Path to TLS certificate file')
    .option('--tlskey <string>', 'Path to TLS key file')
    .option('--tlsverify', 'Use TLS and verify the remote')
    .enablePositionalOptions()
    .showSuggestionAfterError(false)
    .exitOverride();
  program.configureHelp({ formatHelp: (cmd, helper) => dockerHelp(cmd, helper) });
  // docker reads --log-level before any command (logrus.ParseLevel), exit 1.
  program.hook('preSubcommand', (_program, command) => {
    const level = program.opts<GlobalOptions>().logLevel;
    if (level !== undefined && !LOG_LEVELS.has(level.toLowerCase())) throw new CliError(`Unable to parse logging level: ${level}`);
    return LOCAL_COMMANDS.has(command.name()) ? undefined : cli.prefetchVersion();
  });
  registerSystem(program, cli);
  registerImages(program, cli);
  registerRegistryCommands(program, cli);
  registerContainers(program, cli);
  registerNetwork(program, cli);
  registerTls(program, cli);
  registerContext(program, cli);
  registerVolumes(program, cli);
  const configure = (cmd: Command) => {
    // One flag layer for all (pflag's `--flag=true|false`) and docker's usage errors.
    configureCommand(cmd);
    // Help and --version go out with write(2), without making process.stdout (see writeOut).
    cmd.configureOutput({ writeOut });
    cmd.commands.forEach(configure);
  };
  configure(program);
  return program;
}

/**
 * Builds the command tree once and returns the function that runs a command
 * line on it. `npm run build` runs this in a V8 start-up snapshot
 * (dist/tsdocker.blob, which bin/tsdocker starts node with): the bundle is
 * loaded and the tree built at build time, and a command starts from the
 * deserialized heap. Nothing that depends on the machine or the environment
 * may happen here (endpoints, env, config files: the command reads them).
 */
function prepare(): (argv: string[]) => Promise<void> {
  const cli = new Cli(() => program.opts<GlobalOptions>());
  const program = buildProgram(cli);
  return async (argv) => {
    let code = 0;
    try {
      await program.parseAsync(argv);
    } catch (err) {
      if (err instanceof CommanderError) {
        // help (also a group without its subcommand) and version end with 0; a bad flag is docker's 125; anything else 1.
        if (err.exitCode === 0 || err.code === 'commander.help' || err.code === 'commander.version') code = 0;
        else code = FLAG_ERRORS.has(err.code) ? 125 : 1;
      } else code = reportError(err);
    }
    await cli.close();
    process.exitCode = code;
    // Out at once, as docker's CLI ends when its command returns: Node's own way
    // out (closing handles, freeing the heap) costs ~2 ms. Not while output, a
    // file or a child is pending (process.exit would cut a pipe's backlog short).
    if (process.getActiveResourcesInfo().every((r) => IDLE.has(r))) process.exit();
  };
}

const { startupSnapshot } = process.getBuiltinModule('node:v8');
const main = prepare();
if (startupSnapshot.isBuildingSnapshot()) {
  // A snapshot's process.argv has no script: [node, ...arguments].
  startupSnapshot.setDeserializeMainFunction(() => void main([process.argv[0] ?? 'node', 'tsdocker', ...process.argv.slice(1)]));
} else void main(process.argv);
