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

/** pflag's wrapN: the first line of `s` within `i` columns (slop allowed), and the rest. */
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const w = Math.max(s.lastIndexOf(' ', i - 1), s.lastIndexOf('\t', i - 1), s.lastIndexOf('\n', i - 1));
  if (w <= 0) return [s, ''];
  const nl = s.lastIndexOf('\n', i - 1);
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** pflag's wrap: `s` in the columns from `i` to `w` (docker: 80 - 1 off a terminal). */
function wrap(i: number, w: number, s: string): string {
  let width = w - i;
  let out = '';
  if (width < 24) {
    i = 16;
    width = w - i;
    out += `\n${' '.repeat(i)}`;
  }
  if (width < 24) return s.replaceAll('\n', out);
  const slop = 5;
  width -= slop;
  let [line, rest] = wrapN(width, slop, s);
  out += line.replaceAll('\n', `\n${' '.repeat(i)}`);
  while (rest !== '') {
    [line, rest] = wrapN(width, slop, rest);
    out += `\n${' '.repeat(i)}${line.replaceAll('\n', `\n${' '.repeat(i)}`)}`;
  }
  return out;
}

const FORMAT_TABLE = "'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n";
const FORMAT_REST = "'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";
/** The commands whose --format also takes `table` (docker's list commands). */
const TABLE_COMMANDS = new Set(['ps', 'ls', 'images', 'history', 'stats', 'df']);

/** An option's usage text: --format's is docker's long one. */
function usageText(cmd: Command, o: Option): string {
  if (o.long !== '--format' || !o.description.startsWith('Format output using a custom template') || o.description.includes(':')) return o.description;
  return `Format output using a custom template:\n${TABLE_COMMANDS.has(cmd.name()) ? FORMAT_TABLE : ''}${FORMAT_REST}`;
}

function optionLines(cmd: Command, options: readonly Option[]): string[] {
  const shown = options.filter((o) => !o.hidden).sort((a, b) => (a.long ?? a.short ?? '').replace(/^-+/, '').localeCompare((b.long ?? b.short ?? '').replace(/^-+/, '')));
  const cols = shown.map(flagColumn);
  const width = Math.max(0, ...cols.map((c) => c.length));
  const defaults = (o: Option) => (cmd.parent ? defaultText(o) : globalDefault(o));
  return shown.map((o, i) => `${cols[i]!.padEnd(width)}   ${wrap(width + 3, 79, `${usageText(cmd, o)}${defaults(o)}`)}`);
}

const CONTAINER_SHORTCUTS = new Set(['attach', 'commit', 'cp', 'create', 'diff', 'exec', 'export', 'kill', 'logs', 'pause', 'port', 'rename', 'restart', 'rm', 'run', 'start', 'stats', 'stop', 'top', 'unpause', 'update', 'wait']);
const IMAGE_SHORTCUTS = new Set(['history', 'import', 'load', 'pull', 'push', 'save', 'tag']);
/** The top-level shortcut of a group command, and the extra names docker lists for it. */
const SPECIAL: Record<string, { group: string; name: string; names: string[] }> = {
  ps: { group: 'container', name: 'ls', names: ['ls', 'list', 'ps'] },
  images: { group: 'image', name: 'ls', names: ['ls', 'list'] },
  rmi: { group: 'image', name: 'rm', names: ['rm', 'remove'] },
  events: { group: 'system', name: 'events', names: ['events'] },
  info: { group: 'system', name: 'info', names: ['info'] },
};

/** docker's Aliases line: the group forms first, then the top-level shortcut. */
function aliasLine(cmd: Command): string | undefined {
  const root = cmd.parent?.parent ? cmd.parent.parent : cmd.parent;
  if (!root) return undefined;
  const program = root.name();
  const group = cmd.parent?.parent ? cmd.parent.name() : undefined;
  const name = cmd.name();
  let entry: { group: string; shortcut: string; names: string[] } | undefined;
  for (const [shortcut, s] of Object.entries(SPECIAL)) {
    if ((group === undefined && name === shortcut) || (group === s.group && name === s.name)) entry = { group: s.group, shortcut, names: s.names };
  }
  if (!entry) {
    const inGroup = CONTAINER_SHORTCUTS.has(name) ? 'container' : IMAGE_SHORTCUTS.has(name) ? 'image' : undefined;
    // Any other command with aliases (`network ls, network list`): its names in its group.
    if (group !== undefined && group !== inGroup && cmd.aliases().length > 0) return [name, ...cmd.aliases()].map((n) => `${program} ${group} ${n}`).join(', ');
    if (!inGroup || (group !== undefined && group !== inGroup)) return undefined;
    entry = { group: inGroup, shortcut: name, names: name === 'rm' ? ['rm', 'remove'] : [name] };
  }
  return [...entry.names.map((n) => `${program} ${entry.group} ${n}`), `${program} ${entry.shortcut}`].join(', ');
}

/** docker's "Common Commands", in its order. */
const COMMON = ['run', 'exec', 'ps', 'build', 'pull', 'push', 'images', 'login', 'logout', 'search', 'version', 'info'];

/** The root's command lists as docker groups them: common ones, management commands (groups), then the rest, sorted. */
function rootCommandLines(commands: readonly Command[]): string[] {
  const line = (c: Command) => `  ${c.name().padEnd(11)} ${c.summary() || c.description()}`;
  const sorted = [...commands].sort((a, b) => a.name().localeCompare(b.name()));
  const common = COMMON.flatMap((n) => commands.filter((c) => c.name() === n));
  // A group whose subcommands are registered on first use (container) has none yet: its description tells.
  const isGroup = (c: Command) => c.commands.length > 0 || c.description().startsWith('Manage ');
  const management = sorted.filter((c) => !COMMON.includes(c.name()) && isGroup(c));
  const rest = sorted.filter((c) => !COMMON.includes(c.name()) && !isGroup(c));
  return ['Common Commands:', ...common.map(line), '', 'Management Commands:', ...management.map(line), '', 'Commands:', ...rest.map(line), ''];
}

/** The defaults docker's global flags show: its config directory, the TLS files in it (or in $DOCKER_CERT_PATH), the log level. */
function globalDefault(o: Option): string {
  const env = process.env;
  const config = env['DOCKER_CONFIG'] || `${env['HOME'] ?? ''}/.docker`;
  const certs = env['DOCKER_CERT_PATH'] || config;
  const defaults: Record<string, string> = { '--config': config, '--log-level': 'info', '--tlscacert': `${certs}/ca.pem`, '--tlscert': `${certs}/cert.pem`, '--tlskey': `${certs}/key.pem` };
  const d = o.long ? defaults[o.long] : undefined;
  return d === undefined ? '' : ` (default ${JSON.stringify(d)})`;
}

/** The whole help text of `cmd`. */
export function dockerHelp(cmd: Command, helper: Help): string {
  const out = [`Usage:  ${cmd.parent ? useLine(cmd) : `${commandPath(cmd)} [OPTIONS] COMMAND`}`, ''];
  const description = cmd.description();
  if (description) out.push(description, '');
  const path = commandPath(cmd);
  const aliases = aliasLine(cmd);
  if (aliases) out.push('Aliases:', `  ${aliases}`, '');
  const subcommands = helper.visibleCommands(cmd).filter((c) => c.name() !== 'help');
  if (!cmd.parent) out.push(...rootCommandLines(subcommands));
  else if (subcommands.length) {
    out.push('Commands:');
    // A command's summary is its line here; its description (docker's Long) heads its own help.
    for (const c of [...subcommands].sort((a, b) => a.name().localeCompare(b.name()))) out.push(`  ${c.name().padEnd(11)} ${c.summary() || c.description()}`);
    out.push('');
  }
  // pflag lists --help where -h means something else (run, create: --hostname).
  const options = optionLines(cmd, helper.visibleOptions(cmd).filter((o) => o.long !== '--help' || !o.short));
  if (options.length) out.push(cmd.parent ? 'Options:' : 'Global Options:', ...options, '');
  if (subcommands.length) out.push(`Run '${path} COMMAND --help' for more information on a command.`);
  else out.pop();
  if (!cmd.parent) out.push('', 'For more help on how to use Docker, head to https://docs.docker.com/go/guides/');
  return `${out.join('\n')}\n`;
}
