// `--help` (and a group without its subcommand) in docker's layout: the
// usage line, the description, Aliases, then Options as pflag lists them
// (`  -a, --all          …`, `      --format string   …`, sorted, with their
// defaults) or a group's Commands, sorted, and docker's closing hint.
import type { Command, Help, Option } from 'commander';
import { commandPath, useLine } from './usage';

/** The flag column of one option, as pflag prints it. */
function flagColumn(o: Option): string {
  const type = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1];
  const long = o.long ? `--${o.long.replace(/^--/, '')}` : '';
  const names = o.short ? `  ${o.short}${long ? `, ${long}` : ''}` : `      ${long}`;
  return type ? `${names} ${type}` : names;
}

/** pflag's ` (default X)` for a value that is not its type's zero. */
function defaultText(o: Option): string {
  const v: unknown = o.defaultValue;
  if (v === undefined || v === false || v === '' || (Array.isArray(v) && v.length === 0) || o.negate) return '';
  if (/\(default /.test(o.description)) return '';
  return ` (default ${typeof v === 'string' ? JSON.stringify(v) : String(v)})`;
}

function optionLines(options: readonly Option[]): string[] {
  const shown = options.filter((o) => !o.hidden).sort((a, b) => (a.long ?? a.short ?? '').replace(/^-+/, '').localeCompare((b.long ?? b.short ?? '').replace(/^-+/, '')));
  const cols = shown.map(flagColumn);
  const width = Math.max(0, ...cols.map((c) => c.length));
  return shown.map((o, i) => `${cols[i]!.padEnd(width)}   ${o.description}${defaultText(o)}`);
}

/** The whole help text of `cmd`. */
export function dockerHelp(cmd: Command, helper: Help): string {
  const out = [`Usage:  ${cmd.parent ? useLine(cmd) : `${commandPath(cmd)} [OPTIONS] COMMAND`}`, ''];
  const description = cmd.description();
  if (description) out.push(description, '');
  const path = commandPath(cmd);
  const aliases = cmd.aliases();
  if (aliases.length) out.push('Aliases:', `  ${[cmd.name(), ...aliases].map((a) => `${path.replace(/\S+$/, '')}${a}`).join(', ')}`, '');
  const subcommands = helper.visibleCommands(cmd).filter((c) => c.name() !== 'help');
  if (subcommands.length) {
    out.push('Commands:');
    for (const c of [...subcommands].sort((a, b) => a.name().localeCompare(b.name()))) out.push(`  ${c.name().padEnd(11)} ${c.description()}`);
    out.push('');
  }
  const options = optionLines(cmd.options);
  if (options.length) out.push(cmd.parent ? 'Options:' : 'Global Options:', ...options, '');
  if (subcommands.length) out.push(`Run '${path} COMMAND --help' for more information on a command.`);
  else out.pop();
  return `${out.join('\n')}\n`;
}
