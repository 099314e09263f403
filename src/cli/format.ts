// The CLI's one formatter: docker's --format semantics (default table, `table
// TEMPLATE`, `json`, or a raw Go template per item), Go's tabwriter column
// layout, and docker's human units (sizes; times are in src/api/time.ts).
import { CliError } from './cli-error';
import { writeOut } from './cli';
import { ArgCountError } from './gotemplate/exec';
import { inspectValue } from './gotemplate/types';
import { goEscape } from './gotemplate/json';
import { dynamic, type GoValue, type Method, str, T } from './gotemplate/value';
import { compileTemplate, ExecError, ParseError, type Template } from './template';

/** Column layout as Go's text/tabwriter: cells end at '\t', columns form blocks. */
export function tabwrite(text: string, minwidth: number, padding: number): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const widths: number[] = [];
  const out: string[] = [];
  const width = (s: string) => [...s].length;
  const writeLines = (from: number, to: number) => {
    for (let n = from; n < to; n++) {
      const cells = lines[n]!;
      out.push(cells.map((c, j) => (j < widths.length && j < cells.length - 1 ? c.padEnd(widths[j]! + c.length - width(c)) : c)).join(''));
    }
  };
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let n = line0; n < line1; n++) {
      if (column >= lines[n]!.length - 1) continue;
      writeLines(line0, n);
      line0 = n;
      let w = minwidth;
      for (; n < line1 && column < lines[n]!.length - 1; n++) w = Math.max(w, width(lines[n]![column]!) + padding);
      widths.push(w);
      format(line0, n);
      widths.pop();
      line0 = n;
      n--;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out.join('\n');
}

/** How a command reports template errors (docker's words differ per command). */
export interface TemplateErrors {
  parse: string;
  exec: string;
  parseExit: number;
  execExit: number;
  /** Go wrote the output made before the error, and a newline (version, info). */
  partialOutput?: boolean;
}
/** images, history, system df, context ls, stats, … */
export const LIST_ERRORS: TemplateErrors = { parse: 'template parsing error: ', exec: 'template parsing error: ', parseExit: 1, execExit: 1 };
/** ps */
export const PS_ERRORS: TemplateErrors = { parse: 'failed to parse template: ', exec: 'failed to execute template: ', parseExit: 1, execExit: 1 };
/** inspect, version, info: a parse error is a usage error (64). */
export const INSPECT_ERRORS: TemplateErrors = { parse: 'template parsing error: ', exec: 'template parsing error: ', parseExit: 64, execExit: 1 };

export interface TableSpec<T> {
  /** The template used when --format is empty or just `table`. */
  defaultTable: string;
  /** Header titles of the template fields (docker's header context). */
  headers: Record<string, string>;
  rows: T[];
  /** The Go type of a row in docker (named in errors), e.g. `*formatter.ContainerContext`. */
  context?: string;
  /** Methods of a row that take arguments (ps: .Label "key"), and their header. */
  methods?: Record<string, { call: (row: T, args: string[]) => string; header: (args: string[]) => string }>;
  errors?: TemplateErrors;
}

function compile(src: string, errors: TemplateErrors, name = '', shift = 0): Template {
  try {
    return compileTemplate(src, name, shift);
  } catch (e) {
    if (e instanceof ParseError) throw new CliError(`${errors.parse}${e.message}`, errors.parseExit);
    throw e;
  }
}

function run(t: Template, data: GoValue | object | null, errors: TemplateErrors): string {
  try {
    return t.execute(data);
  } catch (e) {
    if (!(e instanceof ExecError)) throw e;
    if (errors.partialOutput) writeOut(`${e.partial}\n`);
    throw new CliError(`${errors.exec}${e.message}`, errors.execExit);
  }
}

/** A row as docker's formatter context: a Go struct whose methods are the row's keys, marshalled as a sorted map. */
function contextValue<T extends object>(row: T, spec: TableSpec<T>, header: boolean): GoValue {
  const methods: Record<string, Method> = {};
  for (const [name, m] of Object.entries(spec.methods ?? {})) {
    methods[name] = (_self, args) => {
      if (args.length !== 1) throw new ArgCountError(`wrong number of args for ${name}: want 1 got ${args.length}`);
      const key = String(args[0]!.v);
      return str(header ? m.header([key]) : m.call(row, [key]));
    };
  }
  const fields = Object.keys(row).map((name) => ({ name, type: T.infer }));
  return { t: { k: 'struct', name: spec.context ?? '*formatter.Context', fields, methods, sortedJson: true }, v: row };
}

/**
 * Renders items the way docker's formatter does: a table with headers, one
 * JSON object per line for `json`, or a template per item. Returns the text
 * with a trailing newline when non-empty.
 */
export function renderList<T extends object>(format: string | undefined, spec: TableSpec<T>): string {
  const errors = spec.errors ?? LIST_ERRORS;
  let fmt = format ?? '';
  if (fmt === '' || fmt === 'table') fmt = spec.defaultTable;
  else if (fmt === 'json') fmt = '{{json .}}';
  fmt = expandEscapes(fmt);
  if (fmt.startsWith('table')) {
    const rest = fmt.slice('table'.length).replace(/^\s+/, '');
    const body = compile(rest, errors, '', fmt.length - rest.length);
    const headerRow = headerLine(body, spec);
    const rows = spec.rows.map((r) => run(body, contextValue(r, spec, false), errors));
    return tabwrite([headerRow, ...rows].join('\n'), 10, 3) + '\n';
  }
  const t = compile(fmt, errors);
  return spec.rows.map((r) => run(t, contextValue(r, spec, false), errors) + '\n').join('');
}

function headerLine<T extends object>(body: Template, spec: TableSpec<T>): string {
  const names = new Set([...Object.keys(spec.headers), ...Object.keys(spec.rows[0] ?? {})]);
  const titles: Record<string, string> = {};
  for (const n of names) titles[n] = spec.headers[n] ?? n.toUpperCase();
  try {
    return body.execute(contextValue(titles as T, spec, true));
  } catch {
    return '';
  }
}

export interface OneSpec {
  /** The template's name in messages (docker names version's "version"). */
  name?: string;
  errors?: TemplateErrors;
  /** The JSON value to run the template on when the typed one fails (inspect's raw fallback, missingkey=error). */
  raw?: unknown;
}

/** Renders one object with a template (`--format` on inspect, version, info). */
export function renderOne(format: string, data: GoValue | object | null, spec: OneSpec = {}): string {
  const errors = spec.errors ?? INSPECT_ERRORS;
  const fmt = format === 'json' ? '{{json .}}' : expandEscapes(format);
  const t = compile(fmt, errors, spec.name ?? '');
  if (spec.raw === undefined) return run(t, data, errors) + '\n';
  try {
    return t.execute(data) + '\n';
  } catch (e) {
    if (!(e instanceof ExecError)) throw e;
    try {
      return t.execute(rawValue(spec.raw), { missingKeyError: true }) + '\n';
    } catch (e2) {
      if (e2 instanceof ExecError) throw new CliError(`${errors.exec}${e2.message}`, errors.execExit);
      throw e2;
    }
  }
}

/**
 * docker's template inspector: each object through the template (typed, then,
 * unless `typedOnly` as docker's context inspect, as raw JSON with
 * missingkey=error), the output written at once ("\n" when none); returns the
 * error messages of the objects that failed.
 */
export function renderInspect(cli: { out(s: string): void }, format: string, objects: unknown[], typedOnly = false): string[] {
  compile(expandEscapes(format), INSPECT_ERRORS);
  let out = '';
  const errors: string[] = [];
  for (const obj of objects) {
    try {
      out += renderOne(format, inspectValue(obj), typedOnly ? {} : { raw: obj });
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      errors.push(e.message);
    }
  }
  cli.out(out === '' ? '\n' : out);
  return errors;
}

/**
 * An inspect command's output: indented JSON, one line with `--format json`,
 * or each object through the template (`typedOnly` as for renderInspect);
 * returns the template's error messages.
 */
export function printInspect(cli: { out(s: string): void }, format: string | undefined, objects: unknown[], typedOnly = false): string[] {
  if (format && format !== 'json') return renderInspect(cli, format, objects, typedOnly);
  cli.out(`${goEscape(format === 'json' ? JSON.stringify(objects) : JSON.stringify(objects, null, 4), true)}\n`);
  return [];
}

/** Parses a template up front (docker checks --format before its first request). */
export function checkTemplate(format: string | undefined, errors: TemplateErrors, name = ''): void {
  if (!format || format === 'json' || format === 'table') return;
  const fmt = expandEscapes(format);
  compile(fmt.startsWith('table') ? fmt.slice(5).replace(/^\s+/, '') : fmt, errors, name);
}

/** A decoded JSON value as the inspect fallback holds it: map[string]interface{} with json.Number numbers. */
function rawValue(v: unknown): GoValue {
  return dynamic(v, true);
}

/** docker's formatter turns the two-character sequences \\t and \\n into tab and newline. */
function expandEscapes(fmt: string): string {
  return fmt.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

export { humanSize } from '../api/units';

/** Docker's units.BytesSize: binary units (KiB, MiB, …) with 2 decimals at most. */
export function bytesSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let size = bytes;
  let i = 0;
  while (size >= 1024 && i < units.length - 1) {
    size /= 1024;
    i++;
  }
  return `${Number(size.toPrecision(4))}${units[i]}`;
}

/** Docker's stringid.TruncateID: strips `sha256:` and keeps 12 characters. */
export function shortId(id: string): string {
  const bare = id.includes(':') ? id.slice(id.indexOf(':') + 1) : id;
  return bare.slice(0, 12);
}
