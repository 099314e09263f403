// docker's words for a command line it cannot take: the usage line, flag
// errors (exit 125) and argument counts (exit 1), each followed by the usage
// and "Run '… --help'", as docker 28's cobra commands print them.
import type { Command } from 'commander';
import { unknownCommand } from './cli';

const PROGRAM = 'tsdocker';

/** `tsdocker image ls`: the command's path. */
export function commandPath(cmd: Command): string {
  const path: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) path.unshift(c.name());
  return path.join(' ');
}

/** `[REPOSITORY[:TAG]]`, `CONTAINER [CONTAINER...]`: an argument as docker's usage lines spell it. */
function argUsage(name: string, required: boolean, variadic: boolean): string {
  if (required) return variadic ? `${name} [${name}...]` : name;
  return variadic ? `[${name}...]` : `[${name}]`;
}

/** The usage line after `Usage:  `: docker's, or one made from the command's flags and arguments. */
export function useLine(cmd: Command): string {
  const path = commandPath(cmd);
  const own = cmd.usage();
  // commander's computed usage says "[options]"; one the command set itself is docker's.
  if (!cmd.parent) return `${path} [OPTIONS] COMMAND [ARG...]`;
  if (!/\[options\]|\[command\]/.test(own)) return `${path} ${own}`;
  if (cmd.commands.length) return `${path} COMMAND`;
  const parts = [path];
  if (cmd.options.some((o) => !o.hidden)) parts.push('[OPTIONS]');
  for (const a of cmd.registeredArguments) parts.push(argUsage(a.name(), a.required, a.variadic));
  return parts.join(' ');
}

const plural = (n: number) => `${n} argument${n === 1 ? '' : 's'}`;

/** docker's message when the arguments do not fit the command (cli/required.go's forms). */
function argumentCount(cmd: Command): string {
  const path = commandPath(cmd);
  const args = cmd.registeredArguments;
  const min = args.filter((a) => a.required).length;
  const max = args.some((a) => a.variadic) ? Infinity : args.length;
  let what: string;
  let run = 'Run';
  if (max === 0) what = 'accepts no arguments';
  else if (min === max) what = `requires ${plural(min)}`;
  else if (max === Infinity) {
    what = `requires at least ${plural(min)}`;
    run = 'See';
  } else if (min === 0) {
    what = `requires at most ${plural(max)}`;
    run = 'SRun'; // sic: docker 28 prints this
  } else what = `requires at least ${min} and at most ${plural(max)}`;
  return `${PROGRAM}: '${path}' ${what}\n\nUsage:  ${useLine(cmd)}\n\n${run} '${path} --help' for more information\n`;
}

/** The flag the user typed for an option commander names by all its spellings. */
function typedFlag(flags: string, argv: readonly string[]): string {
  const long = /--[\w-]+/.exec(flags)?.[0];
  const short = /(?:^|[\s,|])-(\w)\b/.exec(flags)?.[1];
  if (short && !(long && argv.includes(long))) return `'${short}' in -${short}`;
  return long ?? flags;
}

/** docker's text for commander's error `text` raised by `cmd`. */
export function dockerError(cmd: Command, text: string, argv: readonly string[] = process.argv): string {
  const unknown = unknownCommand(cmd, text);
  if (unknown !== undefined) return unknown;
  if (/^error: (missing required argument|too many arguments)/.test(text)) return argumentCount(cmd);
  let m: RegExpExecArray | null;
  let message = text.replace(/^error: /, '').replace(/\n$/, '');
  if ((m = /^unknown option '(-(\w)[^-]*)'/.exec(message)) && !m[1]!.startsWith('--')) {
    message = `unknown shorthand flag: '${m[2]}' in ${m[1]}`;
  } else if ((m = /^unknown option '(.*)'/.exec(message))) {
    message = `unknown flag: ${m[1]}`;
  } else if ((m = /^option '([^']*)' argument missing/.exec(message))) {
    message = `flag needs an argument: ${typedFlag(m[1]!, argv)}`;
  } else if ((m = /^option '([^']*?)(?: [<[][^']*)?' argument '(.*)' is invalid\. (.*)$/s.exec(message))) {
    message = `invalid argument ${JSON.stringify(m[2])} for ${JSON.stringify(m[1])} flag: ${m[3]}`;
  }
  const path = commandPath(cmd);
  return `${message}\n\nUsage:  ${useLine(cmd)}\n\nRun '${path} --help' for more information\n`;
}

/** commander's error codes that docker answers with 125 (a flag it cannot parse); the argument counts are 1. */
export const FLAG_ERRORS = new Set(['commander.unknownOption', 'commander.optionMissingArgument', 'commander.invalidArgument', 'commander.conflictingOption']);
