// The CLI's one formatter: docker's --format semantics (default table, `table
// TEMPLATE`, `json`, or a raw Go template per item), Go's tabwriter column
// layout, and docker's human units (sizes; times are in src/api/time.ts).
import { compileTemplate } from './template';

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

export interface TableSpec<T> {
  /** The template used when --format is empty or just `table`. */
  defaultTable: string;
  /** Header titles of the template fields (docker's header context). */
  headers: Record<string, string>;
  rows: T[];
}

/**
 * Renders items the way docker's formatter does: a table with headers, one
 * JSON object per line for `json`, or a template per item. Returns the text
 * with a trailing newline when non-empty.
 */
export function renderList<T extends object>(format: string | undefined, spec: TableSpec<T>): string {
  let fmt = format ?? '';
  if (fmt === '' || fmt === 'table') fmt = spec.defaultTable;
  else if (fmt === 'json') fmt = '{{json .}}';
  fmt = expandEscapes(fmt);
  if (fmt.startsWith('table')) {
    const body = compileTemplate(fmt.slice('table'.length).replace(/^\s+/, ''));
    const headerRow = body.execute(headerContext(spec.headers));
    const rows = spec.rows.map((r) => body.execute(r));
    return tabwrite([headerRow, ...rows].join('\n'), 10, 3) + '\n';
  }
  const t = compileTemplate(fmt);
  return spec.rows.map((r) => t.execute(r) + '\n').join('');
}

/** Renders one object with a template (`--format` on inspect, version, info). */
export function renderOne(format: string, data: unknown): string {
  const fmt = format === 'json' ? '{{json .}}' : expandEscapes(format);
  return compileTemplate(fmt).execute(data) + '\n';
}

/** docker's formatter turns the two-character sequences \t and \n into tab and newline. */
function expandEscapes(fmt: string): string {
  return fmt.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

function headerContext(headers: Record<string, string>): object {
  return new Proxy(
    {},
    {
      get: (_t, key) => (typeof key === 'string' ? (headers[key] ?? key.toUpperCase()) : undefined),
    },
  );
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
