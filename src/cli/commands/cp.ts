// `tsdocker cp`: files between a container and this machine, as docker 28's
// cp does it. Its flags and arguments are checked here; the copy (cp-run.ts,
// which imports nothing from here) loads when it runs. Out of a container: GET /containers/{id}/archive (a HEAD first
// with -L, to follow a symlink), then the tar is extracted here renamed to the
// destination's name (cp-copy.ts), or written to stdout for `-`. Into one: a
// HEAD says what the destination is, the local source is archived and renamed
// so that the daemon's extraction into a directory (PUT) makes the copy; `-`
// sends a tar from stdin as it is. "Successfully copied <size> to <dest>"
// (the bytes of the tar) goes to stderr when stdout is a terminal, or -q=false.
import type { Command } from 'commander';
import { CliError, type Cli } from '../cli';
import { enableGoFlags } from './containers-flags';
import type { CpFlags } from './cp-run';

const run = () => import('./cp-run');

/** The usage line after the command name, as docker's. */
const CP_USAGE = '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\ttsdocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH';

const CP_LONG = "Use '-' as the source to read a tar archive from stdin\nand extract it to a directory destination in a container.\nUse '-' as the destination to stream a tar archive of a\ncontainer source to stdout.";

export function defineCp(cmd: Command, cli: Cli): Command {
  // The group lists the summary; cp's own help adds docker's Long text.
  const summary = cmd.description();
  return enableGoFlags(
    cmd
      .summary(summary)
      .description(`${summary}\n\n${CP_LONG}`)
      .usage(CP_USAGE)
      .argument('[paths...]')
      .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
      .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
      .option('-q, --quiet', 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached'),
    true,
  ).action(async (paths: string[], o: CpFlags, self: Command) => {
    if (paths.length !== 2) {
      throw new CliError(`tsdocker: 'tsdocker cp' requires 2 arguments\n\nUsage:  tsdocker cp ${CP_USAGE}\n\nRun 'tsdocker cp --help' for more information`);
    }
    await (await run()).cp(cli, [paths[0]!, paths[1]!], o, self.getOptionValueSource('quiet') === 'cli');
  });
}

