// pflag conventions commander lacks, for the container commands: a boolean
// flag takes an optional `=value` (`--sig-proxy=false`, `-t=true`), and a
// short flag may carry its value after `=` (`-e=A=1`). `enableGoFlags`
// rewrites argv into commander's forms before each parse: `--x=false` becomes
// the hidden `--no-x`, `-e=v` becomes `-e v`.
import { Command, Option } from 'commander';
import { unknownCommand } from '../cli';

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

const takesValue = (o: Option) => o.required || o.optional;

/** Gives `cmd`'s boolean flags pflag's `=true|false` syntax; call after its options are added. */
export function enableGoFlags(cmd: Command, interspersed: boolean): Command {
  for (const o of [...cmd.options]) {
    if (takesValue(o) || o.negate || !o.long) continue;
    const negative = `--no-${o.long.slice(2)}`;
    if (!cmd.options.some((x) => x.long === negative)) cmd.addOption(new Option(negative).hideHelp());
  }
  const parse = cmd.parseOptions.bind(cmd);
  cmd.parseOptions = (argv: string[]) => parse(normalize(cmd, argv, interspersed));
  return cmd;
}

/** pflag's wording for a bad flag value: `invalid argument "1x" for "-m, --memory" flag: …`. */
export function goFlagErrors(cmd: Command): Command {
  return cmd.configureOutput({
    outputError: (text, write) =>
      write(
        unknownCommand(cmd, text) ??
        text
          .replace(/^error: option '([^']*?)(?: [<[][^']*)?' argument '(.*)' is invalid\. /s, (_m, flags: string, value: string) => `invalid argument ${JSON.stringify(value)} for ${JSON.stringify(flags)} flag: `)
          .replace(/^error: unknown option '(.*)'/, 'unknown flag: $1')
          .replace(/^error: /, ''),
      ),
  });
}

function normalize(cmd: Command, argv: string[], interspersed: boolean): string[] {
  const byName = new Map<string, Option>();
  for (const o of cmd.options) {
    if (o.long) byName.set(o.long, o);
    if (o.short) byName.set(o.short, o);
  }
  /** `--flag=value` of a boolean flag in commander's words, or undefined to leave it. */
  const boolForm = (o: Option, value: string): string[] | undefined => {
    const on = TRUE.has(value) ? true : FALSE.has(value) ? false : undefined;
    if (on === undefined || !o.long) return undefined;
    const base = o.negate ? `--${o.long.slice(5)}` : o.long;
    const wantNegative = o.negate ? on : !on;
    if (!wantNegative) return [base];
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
      const o = byName.get(eq > 0 ? arg.slice(0, eq) : arg);
      const rewritten = o && eq > 0 && !takesValue(o) ? boolForm(o, arg.slice(eq + 1)) : undefined;
      out.push(...(rewritten ?? [arg]));
      if (o && eq < 0 && takesValue(o) && i + 1 < argv.length) out.push(argv[++i]!);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const first = byName.get(arg.slice(0, 2));
      if (first && arg[2] === '=') {
        out.push(...(takesValue(first) ? [arg.slice(0, 2), arg.slice(3)] : (boolForm(first, arg.slice(3)) ?? [arg])));
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
