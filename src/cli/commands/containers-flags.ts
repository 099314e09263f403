// The flag layer moved to src/cli/flags.ts (every command goes through it);
// these names stay for the command files that import them from here.
import type { Command } from 'commander';

export { enableGoFlags } from '../flags';

/** pflag's wording for a bad flag value: main.ts now gives it to every command (usage.ts). */
export function goFlagErrors(cmd: Command): Command {
  return cmd;
}
