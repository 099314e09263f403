// The one flag layer every command goes through: pflag's conventions, which
// commander lacks, rewritten into commander's forms before each parse.
// - a boolean flag takes an optional `=value` (`--sig-proxy=false`, `-a=true`,
//   `--no-trunc=false`): `--x=false` becomes a hidden `--no-x` (which the user
//   may not type: docker has no such flag), a negative flag's `=false` is dropped;
//   a value that is not a Go bool is pflag's "invalid argument" error;
// - a short flag may carry its value after `=` (`-e=A=1`).
// main.ts applies it to every command; a command whose arguments end the
// flags (run, exec: `interspersed` false) applies it itself, first.
import { Command, Option } from 'commander';
import { dockerError } from './usage';

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

const takesValue = (o: Option) => o.required || o.optional;

/** The hidden `--no-x` forms this layer added, per command (typed by the user they are unknown flags), and its flag count then. */
const synthesized = new WeakMap<Command, { added: Set<string>; count: number }>();
/** Whether a command's flags may follow its arguments; once false (run, exec), it stays false. */
const interspersedOf = new WeakMap<Command, boolean>();

/**
 * Gives `cmd`'s boolean flags pflag's `=true|false` syntax. Commands are
 * filled in lazily (containers.ts), so the flags are read at the first parse.
 */
export function enableGoFlags(cmd: Command, interspersed: boolean): Command {
  const known = interspersedOf.get(cmd);
  interspersedOf.set(cmd, known === false ? false : interspersed);
  if (known !== undefined) return cmd;
  const parse = cmd.parseOptions.bind(cmd);
  cmd.parseOptions = (argv: string[]) => parse(normalize(cmd, argv, interspersedOf.get(cmd) ?? true));
  return cmd;
}

/**
 * Adds a hidden `--no-x` for each boolean `--x`: when main.ts configures the
 * command (at build time, in the start-up snapshot, for the commands defined
 * there) and again at a parse if flags were added since (commands filled in lazily).
 */
function addNegatives(cmd: Command): Set<string> {
  const known = synthesized.get(cmd);
  if (known && known.count === cmd.options.length) return known.added;
  const added = known?.added ?? new Set<string>();
  for (const o of [...cmd.options]) {
    if (takesValue(o) || o.negate || !o.long) continue;
    const negative = `--no-${o.long.slice(2)}`;
    if (cmd.options.some((x) => x.long === negative)) continue;
    cmd.addOption(new Option(negative).hideHelp());
    added.add(negative);
  }
  synthesized.set(cmd, { added, count: cmd.options.length });
  return added;
}

/** docker's output for a command's errors (usage.ts) and the flag layer; for commands made after main.ts's walk too. */
export function configureCommand(cmd: Command): Command {
  enableGoFlags(cmd, cmd.commands.length === 0);
  addNegatives(cmd);
  return cmd.exitOverride().configureOutput({
    writeErr: (s) => process.stderr.write(s),
    outputError: (s, write) => write(dockerError(cmd, s)),
  });
}

/** A flag error in pflag's words (exit 125), raised through commander so its output handler prints the usage. */
function flagError(cmd: Command, message: string): never {
  cmd.error(message, { code: 'commander.invalidArgument', exitCode: 125 });
  throw new Error(message);
}

/** `-a, --all`: the flag as pflag names it in messages. */
export const flagNames = (o: Option) => (o.short && o.long ? `${o.short}, ${o.long}` : (o.long ?? o.short ?? ''));

function normalize(cmd: Command, argv: string[], interspersed: boolean): string[] {
  const fake = addNegatives(cmd);
  const byName = new Map<string, Option>();
  for (const o of cmd.options) {
    if (o.long) byName.set(o.long, o);
    if (o.short) byName.set(o.short, o);
  }
  /** `--flag=value` of a boolean flag in commander's words. */
  const boolForm = (o: Option, value: string): string[] => {
    const on = TRUE.has(value) ? true : FALSE.has(value) ? false : undefined;
    if (on === undefined) flagError(cmd, `invalid argument ${JSON.stringify(value)} for ${JSON.stringify(flagNames(o))} flag: strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
    if (!o.long) return on ? [o.short ?? ''] : [];
    const base = o.negate ? `--${o.long.slice(5)}` : o.long;
    const wantNegative = o.negate ? on : !on;
    if (!wantNegative) return byName.has(base) ? [base] : [];
    const negative = o.negate ? o.long : `--no-${o.long.slice(2)}`;
    return byName.has(negative) ? [negative] : [];
  };
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      if (fake.has(name)) flagError(cmd, `unknown flag: ${name}`);
      const o = byName.get(name);
      out.push(...(o && eq > 0 && !takesValue(o) ? boolForm(o, arg.slice(eq + 1)) : [arg]));
      if (o && eq < 0 && takesValue(o) && i + 1 < argv.length) out.push(argv[++i]!);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const first = byName.get(arg.slice(0, 2));
      if (first && arg[2] === '=') {
        out.push(...(takesValue(first) ? [arg.slice(0, 2), arg.slice(3)] : boolForm(first, arg.slice(3))));
        continue;
      }
      out.push(arg);
      // In a bundle (-it, -de A=1) a value-taking flag takes the rest, or the next argument.
      for (let j = 1; j < arg.length; j++) {
        const o = byName.get(`-${arg[j]}`);
        if (!o) break;
        if (takesValue(o)) {
          if (j === arg.length - 1 && i + 1 < argv.length) out.push(argv[++i]!);
          break;
        }
      }
      continue;
    }
    if (!interspersed) {
      out.push(...argv.slice(i));
      break;
    }
    out.push(arg);
  }
  return out;
}
