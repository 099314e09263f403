// The flag layer moved to src/cli/flags.ts (every command goes through it);
// these names stay for the command files that import them from here.
import type { Command } from 'commander';
import { configureCommand } from '../flags';

export { enableGoFlags } from '../flags';

/** docker's error output and the flag layer, for a command made after main.ts configured the others. */
export function goFlagErrors(cmd: Command): Command {
  return configureCommand(cmd);
}
