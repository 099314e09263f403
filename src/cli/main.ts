// tsdocker: the command line, docker's commands, flags, output and exit codes.
// Each command group lives in its own file under commands/ and registers itself.
import { Command, CommanderError, Option } from 'commander';
import { ENGINE_VERSION } from '../api/version';
import { Cli, CliError, reportError, unknownCommand, type GlobalOptions } from './cli';
import { registerContainers } from './commands/containers';
import { registerImages } from './commands/images';
import { registerRegistryCommands } from './commands/pull';
import { registerSystem } from './commands/system';
import { registerTls } from './commands/tls';
import { registerContext } from './commands/context';
import { registerVolumes } from './commands/volumes';

const FLAG_ERRORS = new Set([
  'commander.unknownOption',
  'commander.optionMissingArgument',
  'commander.invalidArgument',
  'commander.conflictingOption',
]);

function buildProgram(cli: Cli): Command {
  const program = new Command('tsdocker')
    .usage('[OPTIONS] COMMAND')
    .description('A self-sufficient runtime for containers')
    .version(`tsdocker version ${ENGINE_VERSION}`, '-v, --version', 'Print version information and quit')
    .option('--config <dir>', 'Location of client config files')
    .option('-c, --context <name>', 'Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and default context set with "docker context use")')
    .option('-D, --debug', 'Enable debug mode')
    .option('-H, --host <host>', 'Daemon socket to connect to', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .addOption(new Option('-l, --log-level <level>', 'Set the logging level').choices(['debug', 'info', 'warn', 'error', 'fatal']))
    .option('--tls', 'Use TLS; implied by --tlsverify')
    .option('--tlscacert <file>', 'Trust certs signed only by this CA')
    .option('--tlscert <file>', 'Path to TLS certificate file')
    .option('--tlskey <file>', 'Path to TLS key file')
    .option('--tlsverify', 'Use TLS and verify the remote')
    .enablePositionalOptions()
    .showSuggestionAfterError(false)
    .exitOverride();
  registerSystem(program, cli);
  registerImages(program, cli);
  registerRegistryCommands(program, cli);
  registerContainers(program, cli);
  registerTls(program, cli);
  registerContext(program, cli);
  registerVolumes(program, cli);
  const configure = (cmd: Command) => {
    cmd.exitOverride().configureOutput({
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => {
        write(unknownCommand(cmd, s) ?? s.replace(/^error: unknown option '(.*)'/, 'unknown flag: $1').replace(/^error: /, ''));
      },
    });
    cmd.commands.forEach(configure);
  };
  configure(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  let program: Command | undefined;
  const cli = new Cli(() => (program?.opts() ?? {}) as GlobalOptions);
  program = buildProgram(cli);
  let code = 0;
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version end with 0; a bad flag is docker's 125; anything else 1.
      if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') code = 0;
      else if (err.code === 'commander.unknownCommand') code = 1;
      else {
        process.stderr.write(`\nRun 'tsdocker --help' for more information\n`);
        code = FLAG_ERRORS.has(err.code) ? 125 : 1;
      }
    } else code = reportError(err);
  }
  await cli.close();
  process.exitCode = code;
}

void main(process.argv);
