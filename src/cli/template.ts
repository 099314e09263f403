// Go's text/template for docker's --format flags and the CLI's own layouts:
// parsed and run as Go runs it (gotemplate/), on Go values (a JSON value with
// the Go type the docker CLI decodes it into; see gotemplate/types.ts), with
// docker's extra functions (json, join, split, title, lower, upper, pad, truncate).
import { ExecError, type ExecOptions, Executor } from './gotemplate/exec';
import { builtins } from './gotemplate/funcs';
import { ParseError, parse } from './gotemplate/parse';
import { goJson } from './gotemplate/json';
import { dynamic, type GoValue, type GoType } from './gotemplate/value';

export { ExecError, ParseError };
export type { GoValue, GoType };

const FUNC_NAMES = new Set(Object.keys(builtins(() => '')));

export interface Template {
  /** Runs the template on a Go value, or on a plain JSON value (typed by inference). */
  execute(data: GoValue | object | null, opts?: ExecOptions): string;
}

export function isGoValue(x: unknown): x is GoValue {
  return x !== null && typeof x === 'object' && 't' in x && 'v' in x && Object.keys(x).length === 2;
}

/** Parses a template (throws ParseError with Go's message); `name` is the template's name in messages. */
export function compileTemplate(src: string, name = '', shift = 0): Template {
  const nodes = parse(src, FUNC_NAMES, name);
  return {
    execute(data, opts = {}) {
      const value: GoValue = isGoValue(data) ? data : { t: { k: 'infer' }, v: data };
      return new Executor(src, name, goJson, opts, shift).run(nodes, value.t.k === 'infer' ? inferTop(value) : value);
    },
  };
}

function inferTop(x: GoValue): GoValue {
  return x.v !== null && typeof x.v === 'object' && !Array.isArray(x.v) ? { t: { k: 'map', key: { k: 'string' }, elem: { k: 'infer' } }, v: x.v } : dynamic(x.v, false);
}
