// pause, unpause, update and commit: a container's state and resources
// changed in place, or its filesystem made an image, with docker 28's flags,
// output (names, warnings, the new image ID) and errors.
import type { Command } from 'commander';
import type { ContainerUpdateResponse } from '../../api/resources';
import type { Cli } from '../cli';
import { CliError } from '../cli';
import { eachContainer } from './containers-ops';
import { addCpuFlags, bytes, collect, int, parseRestart, parser } from './containers-opts';
import { memSwapBytes } from './containers-units';
import { splitTag } from './images';

export function pauseOrUnpause(action: 'pause' | 'unpause') {
  return (cli: Cli, names: string[]) => eachContainer(cli, names, async (name) => void (await cli.client.json('POST', `/containers/${name}/${action}`)));
}

/** `docker update`'s flags, each mapped to the UpdateConfig field it sets. */
export function defineUpdate(cmd: Command, cli: Cli): Command {
  cmd.argument('<CONTAINER...>').option('--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', int);
  return addCpuFlags(cmd, true)
    .option('-m, --memory <bytes>', 'Memory limit', bytes)
    .option('--memory-reservation <bytes>', 'Memory soft limit', bytes)
    .option('--memory-swap <bytes>', 'Swap limit equal to memory plus swap: -1 to enable unlimited swap', parser(memSwapBytes))
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)', int)
    .option('--restart <string>', 'Restart policy to apply when a container exits')
    .action((names: string[], o: UpdateFlags, self: Command) => update(cli, names, o, self));
}

interface UpdateFlags {
  blkioWeight?: number; cpuPeriod?: number; cpuQuota?: number; cpuRtPeriod?: number; cpuRtRuntime?: number; cpuShares?: number;
  cpus?: number; cpusetCpus?: string; cpusetMems?: string; memory?: number; memoryReservation?: number; memorySwap?: number;
  pidsLimit?: number; restart?: string;
}

async function update(cli: Cli, names: string[], o: UpdateFlags, cmd: Command): Promise<void> {
  if (!cmd.options.some((opt) => cmd.getOptionValueSource(opt.attributeName()) === 'cli')) {
    throw new CliError('you must provide one or more flags when using this command');
  }
  const restart = o.restart ? parseRestart(o.restart) : { Name: '', MaximumRetryCount: 0 };
  // As docker's client sends it: every resource, zero meaning "unchanged"; a pids limit only when given.
  const body = {
    BlkioWeight: o.blkioWeight ?? 0,
    CpusetCpus: o.cpusetCpus ?? '',
    CpusetMems: o.cpusetMems ?? '',
    CpuShares: o.cpuShares ?? 0,
    Memory: o.memory ?? 0,
    MemoryReservation: o.memoryReservation ?? 0,
    MemorySwap: o.memorySwap ?? 0,
    CpuPeriod: o.cpuPeriod ?? 0,
    CpuQuota: o.cpuQuota ?? 0,
    CpuRealtimePeriod: o.cpuRtPeriod ?? 0,
    CpuRealtimeRuntime: o.cpuRtRuntime ?? 0,
    NanoCpus: o.cpus ?? 0,
    ...(o.pidsLimit ? { PidsLimit: o.pidsLimit } : {}),
    RestartPolicy: restart,
  };
  const warnings: string[] = [];
  try {
    await eachContainer(cli, names, async (name) => {
      const { body: res } = await cli.client.json<ContainerUpdateResponse>('POST', `/containers/${name}/update`, { body });
      warnings.push(...(res?.Warnings ?? []));
    });
  } finally {
    if (warnings.length) cli.out(`${warnings.join('\n')}\n`);
  }
}

export function defineCommit(cmd: Command, cli: Cli): Command {
  return cmd
    .argument('<CONTAINER>')
    .argument('[REPOSITORY[:TAG]]')
    .option('-a, --author <string>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect)
    .option('-m, --message <string>', 'Commit message')
    .option('-p, --pause', 'Pause container during commit (default true)', true)
    .action((name: string, reference: string | undefined, o: { author?: string; change?: string[]; message?: string; pause: boolean }) =>
      commit(cli, name, reference, o),
    );
}

async function commit(cli: Cli, name: string, reference: string | undefined, o: { author?: string; change?: string[]; message?: string; pause: boolean }): Promise<void> {
  if (reference?.includes('@')) throw new CliError('refusing to create a tag with a digest reference');
  const { repo, tag } = reference ? splitTag(reference) : { repo: undefined, tag: undefined };
  const { body } = await cli.client.json<{ Id: string }>('POST', '/commit', {
    query: { container: name, repo, tag, comment: o.message, author: o.author, changes: o.change, pause: o.pause ? undefined : '0' },
  });
  cli.out(`${body.Id}\n`);
}
