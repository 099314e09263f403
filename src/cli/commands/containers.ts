// The container commands, at the top level (run, ps, exec, …) and under
// `container` (container ls, container run, …), with docker 28's flags. The
// commands that hijack connections (run, create, start, attach, exec) load
// their module only when they run.
import { Command, Option } from 'commander';
import type { Cli } from '../cli';
import { enableGoFlags, goFlagErrors } from './containers-flags';
import { filterFlag, ps, type PsOptions } from './containers-list';
import * as ops from './containers-ops';
import { collect, collectParsed, defineCreateCommand, int } from './containers-opts';
import { validateEnv } from './containers-validate';
import { defineCommit, defineUpdate, pauseOrUnpause } from './containers-state';
import { stats, type StatsOptions } from './containers-stats';
import { defineCp } from './cp';
import type { ExecFlags } from './containers-run';

const runModule = () => import('./containers-run');

type Define = (cmd: Command) => Command;
type Commands = Record<string, { description: string; define: Define }>;

/** stop and restart: a signal, and a timeout also spelled --time (hidden, deprecated). */
const stopLike = (cli: Cli, op: ReturnType<typeof ops.stopOrRestart>): Define => (cmd) =>
  cmd
    .argument('<CONTAINER...>')
    .option('-s, --signal <string>', 'Signal to send to the container')
    .option('-t, --timeout <int>', 'Seconds to wait before killing the container', int)
    .addOption(new Option('--time <int>').hideHelp().argParser(int))
    .action((names: string[], o: { signal?: string; timeout?: number; time?: number }) =>
      op(cli, names, { signal: o.signal, timeout: o.timeout ?? o.time }),
    );

/** Making, starting, stopping and removing containers. */
function lifecycleCommands(cli: Cli): Commands {
  return {
    run: {
      description: 'Create and run a new container from an image',
      define: (cmd) =>
        defineCreateCommand(cmd, true).action(async (image: string, args: string[], _o: unknown, self: Command) => (await runModule()).run(cli, self, image, args)),
    },
    create: {
      description: 'Create a new container',
      define: (cmd) =>
        defineCreateCommand(cmd, false).action(async (image: string, args: string[], _o: unknown, self: Command) => (await runModule()).create(cli, self, image, args)),
    },
    start: {
      description: 'Start one or more stopped containers',
      define: (cmd) =>
        enableGoFlags(
          cmd
            .argument('<CONTAINER...>')
            .option('-a, --attach', 'Attach STDOUT/STDERR and forward signals')
            .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
            .option('-i, --interactive', "Attach container's STDIN"),
          true,
        ).action(async (names: string[], o: { attach?: boolean; interactive?: boolean; detachKeys?: string }) => (await runModule()).start(cli, names, o)),
    },
    stop: { description: 'Stop one or more running containers', define: stopLike(cli, ops.stopOrRestart('stop')) },
    restart: { description: 'Restart one or more containers', define: stopLike(cli, ops.stopOrRestart('restart')) },
    kill: {
      description: 'Kill one or more running containers',
      define: (cmd) =>
        cmd
          .argument('<CONTAINER...>')
          .option('-s, --signal <string>', 'Signal to send to the container')
          .action((names: string[], o: { signal?: string }) => ops.kill(cli, names, o)),
    },
    rm: {
      description: 'Remove one or more containers',
      define: (cmd) =>
        enableGoFlags(
          cmd
            .argument('<CONTAINER...>')
            .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
            .option('-l, --link', 'Remove the specified link')
            .option('-v, --volumes', 'Remove anonymous volumes associated with the container'),
          true,
        ).action((names: string[], o: { force?: boolean; link?: boolean; volumes?: boolean }) => ops.remove(cli, names, o)),
    },
  };
}

/** Listing containers and reading their logs. */
function listingCommands(cli: Cli): Commands {
  return {
    ps: {
      description: 'List containers',
      define: (cmd) =>
        enableGoFlags(
          cmd
            .option('-a, --all', 'Show all containers (default shows just running)')
            .option('-f, --filter <filter>', 'Filter output based on conditions provided', filterFlag)
            .option('--format <string>', 'Format output using a custom template')
            .option('-n, --last <int>', 'Show n last created containers (includes all states)', int, -1)
            .option('-l, --latest', 'Show the latest created container (includes all states)')
            .option('--no-trunc', "Don't truncate output")
            .option('-q, --quiet', 'Only display container IDs')
            .option('-s, --size', 'Display total file sizes'),
          true,
        ).action((o: PsOptions) => ps(cli, o)),
    },
    logs: {
      description: 'Fetch the logs of a container',
      define: (cmd) =>
        enableGoFlags(
          cmd
            .argument('<CONTAINER>')
            .option('--details', 'Show extra details provided to logs')
            .option('-f, --follow', 'Follow log output')
            .option('--since <string>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
            .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
            .option('-t, --timestamps', 'Show timestamps')
            .option('--until <string>', 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)'),
          true,
        ).action((name: string, o: ops.LogsOptions) => ops.logs(cli, name, o)),
    },
  };
}

/** A container's processes: joining them, waiting for them, listing them. */
function processCommands(cli: Cli): Commands {
  return {
    exec: {
      description: 'Execute a command in a running container',
      define: (cmd) =>
        enableGoFlags(
          cmd
            .usage('[OPTIONS] CONTAINER COMMAND [ARG...]')
            .argument('<CONTAINER>')
            .argument('<COMMAND...>')
            .passThroughOptions()
            .option('-d, --detach', 'Detached mode: run command in the background')
            .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
            .option('-e, --env <list>', 'Set environment variables', collectParsed(validateEnv))
            .option('--env-file <list>', 'Read in a file of environment variables', collect)
            .option('-i, --interactive', 'Keep STDIN open even if not attached')
            .option('--privileged', 'Give extended privileges to the command')
            .option('-t, --tty', 'Allocate a pseudo-TTY')
            .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
            .option('-w, --workdir <string>', 'Working directory inside the container'),
          false,
        ).action(async (name: string, command: string[], o: ExecFlags) => (await runModule()).exec(cli, name, command, o)),
    },
    attach: {
      description: 'Attach local standard input, output, and error streams to a running container',
      define: (cmd) =>
        enableGoFlags(
          cmd
            .argument('<CONTAINER>')
            .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
            .option('--no-stdin', 'Do not attach STDIN')
            .option('--sig-proxy', 'Proxy all received signals to the process (default true)'),
          true,
        ).action(async (name: string, o: { stdin: boolean; sigProxy?: boolean; detachKeys?: string }) => (await runModule()).attach(cli, name, o)),
    },
    wait: {
      description: 'Block until one or more containers stop, then print their exit codes',
      define: (cmd) => cmd.argument('<CONTAINER...>').action((names: string[]) => ops.wait(cli, names)),
    },
    top: {
      description: 'Display the running processes of a container',
      define: (cmd) =>
        cmd
          .usage('CONTAINER [ps OPTIONS]')
          .argument('<CONTAINER>')
          .argument('[ps OPTIONS...]')
          .passThroughOptions()
          .allowUnknownOption()
          .action((name: string, psArgs: string[]) => ops.top(cli, name, psArgs)),
    },
  };
}

/** A container's name and filesystem. */
function filesystemCommands(cli: Cli): Commands {
  return {
    rename: {
      description: 'Rename a container',
      define: (cmd) => cmd.argument('<CONTAINER>').argument('<NEW_NAME>').action((from: string, to: string) => ops.rename(cli, from, to)),
    },
    diff: {
      description: "Inspect changes to files or directories on a container's filesystem",
      define: (cmd) => cmd.argument('<CONTAINER>').action((name: string) => ops.diff(cli, name)),
    },
    export: {
      description: "Export a container's filesystem as a tar archive",
      define: (cmd) =>
        cmd
          .argument('<CONTAINER>')
          .option('-o, --output <string>', 'Write to a file, instead of STDOUT')
          .action((name: string, o: { output?: string }) => ops.exportContainer(cli, name, o)),
    },
    cp: { description: 'Copy files/folders between a container and the local filesystem', define: (cmd) => defineCp(cmd, cli) },
  };
}

/** A running container's resources, its pausing and settings, its image and ports. */
function stateCommands(cli: Cli): Commands {
  return {
    stats: {
      description: 'Display a live stream of container(s) resource usage statistics',
      define: (cmd) =>
        enableGoFlags(
          cmd
            .argument('[CONTAINER...]')
            .option('-a, --all', 'Show all containers (default shows just running)')
            .option('--format <string>', 'Format output using a custom template')
            .option('--no-stream', 'Disable streaming stats and only pull the first result')
            .option('--no-trunc', 'Do not truncate output'),
          true,
        ).action((names: string[], o: StatsOptions) => stats(cli, names, o)),
    },
    pause: {
      description: 'Pause all processes within one or more containers',
      define: (cmd) => cmd.argument('<CONTAINER...>').action((names: string[]) => pauseOrUnpause('pause')(cli, names)),
    },
    unpause: {
      description: 'Unpause all processes within one or more containers',
      define: (cmd) => cmd.argument('<CONTAINER...>').action((names: string[]) => pauseOrUnpause('unpause')(cli, names)),
    },
    update: { description: 'Update configuration of one or more containers', define: (cmd) => enableGoFlags(defineUpdate(cmd, cli), true) },
    commit: { description: "Create a new image from a container's changes", define: (cmd) => enableGoFlags(defineCommit(cmd, cli), true) },
    port: {
      description: 'List port mappings or a specific mapping for the container',
      define: (cmd) =>
        cmd
          .argument('<CONTAINER>')
          .argument('[PRIVATE_PORT[/PROTO]]')
          .action((name: string, p: string | undefined) => ops.port(cli, name, p)),
    },
  };
}

/** All container commands, in the order help lists them. */
function commands(cli: Cli): Commands {
  return { ...lifecycleCommands(cli), ...listingCommands(cli), ...processCommands(cli), ...filesystemCommands(cli), ...stateCommands(cli) };
}

const inspectCommand = (cli: Cli, cmd: Command, typed: boolean) => {
  cmd
    .argument(typed ? '<CONTAINER...>' : '<NAME|ID...>')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-s, --size', typed ? 'Display total file sizes' : 'Display total file sizes if the type is container');
  if (!typed) cmd.option('--type <string>', 'Only inspect objects of the given type');
  return enableGoFlags(cmd, true).action((names: string[], o: { format?: string; size?: boolean; type?: string }) =>
    ops.inspect(cli, names, typed ? { ...o, type: 'container' } : o),
  );
};

/**
 * Registers the commands by name; their flags and arguments (run's and
 * create's hundred flags, the `container` group's subcommands) are filled in
 * only when the command is dispatched, so other commands do not pay for them
 * at start-up. Subcommands made later inherit the group's exit and output settings.
 */
export function registerContainers(program: Command, cli: Cli): void {
  const all = commands(cli);
  const pending = new Map<Command, () => void>();
  const fill = (_parent: Command | undefined, sub: Command) => {
    const define = pending.get(sub);
    if (!define) return;
    pending.delete(sub);
    define();
    for (const c of [sub, ...sub.commands]) goFlagErrors(c);
  };
  const later = (cmd: Command, define: () => void) => {
    pending.set(cmd, define);
    // `help run` shows the help without dispatching the command.
    const helpInformation = cmd.helpInformation.bind(cmd);
    cmd.helpInformation = (context) => {
      fill(undefined, cmd);
      return helpInformation(context);
    };
  };
  program.hook('preSubcommand', fill);
  for (const [name, c] of Object.entries(all)) {
    const cmd = program.command(name).description(c.description);
    later(cmd, () => c.define(cmd));
    // run and ps, whose starts are measured against docker's, are filled in now,
    // in the start-up snapshot (main.ts), their flags' pflag forms too: not built
    // again at each start (valgrind: run -12 M instructions, ps -2 M). Not all:
    // every command would deserialize the others' flags (all but create: ps -1.5 M,
    // images and version +0.8 M each).
    if (name === 'run' || name === 'ps') fill(undefined, cmd);
  }
  const inspect = program.command('inspect').description('Return low-level information on Docker objects');
  later(inspect, () => inspectCommand(cli, inspect, false));

  const group = program.command('container').description('Manage containers');
  group.hook('preSubcommand', fill);
  later(group, () => {
    for (const [name, c] of Object.entries(all)) {
      if (name === 'ps') c.define(group.command('ls').aliases(['list', 'ps']).description(c.description));
      else if (name === 'rm') c.define(group.command('rm').alias('remove').description(c.description));
      else c.define(group.command(name).description(c.description));
    }
    inspectCommand(cli, group.command('inspect').description('Display detailed information on one or more containers'), true);
    enableGoFlags(
      group
        .command('prune')
        .description('Remove all stopped containers')
        .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', filterFlag)
        .option('-f, --force', 'Do not prompt for confirmation'),
      true,
    ).action((o: { force?: boolean; filter?: string[] }) => ops.prune(cli, o));
  });
}
