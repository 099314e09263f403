// A subset of Go's text/template, enough for docker's --format flags and for
// the CLI's own default layouts: text, {{.Field.Path}}, {{.}}, {{$}} and
// variables bound by range/with ($x), pipelines (a | f), function calls with
// literal arguments, {{if}}/{{else}}/{{end}}, {{range}}, {{with}}, and the
// trim markers {{- and -}}. Functions: json, join, index, eq, ne, lt, gt, not,
// and, or, len, upper, lower, title, split, println, print, printf (%s %d %v),
// truncate, pad.

type Value = unknown;
type Func = (...args: Value[]) => Value;

interface TextNode { kind: 'text'; text: string }
interface ActionNode { kind: 'action'; pipe: Pipeline }
interface BlockNode { kind: 'if' | 'range' | 'with'; pipe: Pipeline; body: Node[]; alt: Node[]; bindVar?: string }
type Node = TextNode | ActionNode | BlockNode;

type Arg =
  | { kind: 'field'; base: 'dot' | string; path: string[] }
  | { kind: 'literal'; value: Value }
  | { kind: 'func'; name: string }
  | { kind: 'paren'; pipe: Pipeline };
type Command = Arg[];
type Pipeline = Command[];

export class TemplateError extends Error {}

const FUNCS: Record<string, Func> = {
  json: (v) => JSON.stringify(v ?? null),
  join: (list, sep) => (Array.isArray(list) ? list.map(String).join(String(sep)) : String(list ?? '')),
  index: (obj, ...keys) => keys.reduce<Value>((o, k) => (o == null ? undefined : (o as Record<string, Value>)[String(k)]), obj),
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  lt: (a, b) => (a as number) < (b as number),
  gt: (a, b) => (a as number) > (b as number),
  not: (a) => !truthy(a),
  and: (...xs) => xs.find((x) => !truthy(x)) ?? xs[xs.length - 1],
  or: (...xs) => xs.find((x) => truthy(x)) ?? xs[xs.length - 1],
  len: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
  upper: (s) => String(s).toUpperCase(),
  lower: (s) => String(s).toLowerCase(),
  title: (s) => String(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  split: (s, sep) => String(s).split(String(sep)),
  println: (...xs) => xs.map(show).join(' ') + '\n',
  print: (...xs) => xs.map(show).join(''),
  printf: (fmt, ...xs) => {
    let i = 0;
    return String(fmt).replace(/%([sdvq%])/g, (_m, verb: string) => (verb === '%' ? '%' : verb === 'q' ? JSON.stringify(show(xs[i++])) : show(xs[i++])));
  },
  truncate: (s, n) => String(s).slice(0, Number(n)),
  pad: (s, l, r) => ' '.repeat(Number(l)) + String(s) + ' '.repeat(Number(r)),
};

export function truthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** Go's fmt %v of a value, roughly: maps as map[k:v], lists as [a b]. */
function show(v: Value): string {
  if (v === undefined || v === null) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1));
    return `map[${entries.map(([k, x]) => `${k}:${show(x)}`).join(' ')}]`;
  }
  return String(v);
}

// ---- lexing and parsing ----------------------------------------------------

function splitActions(src: string): (string | { action: string })[] {
  const out: (string | { action: string })[] = [];
  let pos = 0;
  while (pos < src.length) {
    const open = src.indexOf('{{', pos);
    if (open < 0) {
      out.push(src.slice(pos));
      break;
    }
    let text = src.slice(pos, open);
    let inner = open + 2;
    if (src[inner] === '-' && /\s/.test(src[inner + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      inner += 1;
    }
    const close = findClose(src, inner);
    if (close < 0) throw new TemplateError('template: unclosed action');
    let action = src.slice(inner, close);
    pos = close + 2;
    if (/\s-$/.test(action)) {
      action = action.slice(0, -1);
      const rest = src.slice(pos);
      pos += rest.length - rest.replace(/^\s+/, '').length;
    }
    if (text) out.push(text);
    out.push({ action: action.trim() });
  }
  return out;
}

function findClose(src: string, from: number): number {
  let inString = false;
  for (let i = from; i < src.length - 1; i++) {
    const c = src[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '}' && src[i + 1] === '}') return i;
  }
  return -1;
}

function tokenize(action: string): string[] {
  const tokens: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\(|\)|\||:=|=|[^\s()|]+)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < action.length && (m = re.exec(action))) tokens.push(m[1]!);
  if (re.lastIndex < action.trimEnd().length) throw new TemplateError(`template: cannot parse "${action}"`);
  return tokens;
}

function parsePipeline(tokens: string[], pos: { i: number }, stop?: string): Pipeline {
  const pipe: Pipeline = [];
  let cmd: Command = [];
  while (pos.i < tokens.length) {
    const t = tokens[pos.i]!;
    if (t === stop) break;
    pos.i++;
    if (t === '|') {
      pipe.push(cmd);
      cmd = [];
    } else if (t === '(') {
      const inner = parsePipeline(tokens, pos, ')');
      pos.i++;
      cmd.push({ kind: 'paren', pipe: inner });
    } else cmd.push(parseArg(t));
  }
  pipe.push(cmd);
  if (pipe.some((c) => c.length === 0)) throw new TemplateError('template: missing value for command');
  return pipe;
}

function parseArg(t: string): Arg {
  if (t.startsWith('"')) return { kind: 'literal', value: JSON.parse(t) };
  if (t.startsWith('`')) return { kind: 'literal', value: t.slice(1, -1) };
  if (/^-?\d+(\.\d+)?$/.test(t)) return { kind: 'literal', value: Number(t) };
  if (t === 'true' || t === 'false') return { kind: 'literal', value: t === 'true' };
  if (t === 'nil') return { kind: 'literal', value: null };
  if (t === '.') return { kind: 'field', base: 'dot', path: [] };
  if (t.startsWith('.')) return { kind: 'field', base: 'dot', path: t.slice(1).split('.') };
  if (t.startsWith('$')) {
    const [name, ...path] = t.split('.');
    return { kind: 'field', base: name!, path };
  }
  if (t in FUNCS) return { kind: 'func', name: t };
  throw new TemplateError(`template: function "${t}" not defined`);
}

function parse(src: string): Node[] {
  const parts = splitActions(src);
  let i = 0;
  const parseList = (terminators: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (i < parts.length) {
      const part = parts[i++]!;
      if (typeof part === 'string') {
        nodes.push({ kind: 'text', text: part });
        continue;
      }
      const action = part.action;
      if (action.startsWith('/*')) continue;
      const word = action.split(/\s+/)[0]!;
      if (terminators.includes(word)) return { nodes, end: action };
      if (word === 'if' || word === 'range' || word === 'with') {
        nodes.push(parseBlock(word, action.slice(word.length).trim()));
        continue;
      }
      if (word === 'end' || word === 'else') throw new TemplateError(`template: unexpected {{${word}}}`);
      nodes.push({ kind: 'action', pipe: parsePipeline(tokenize(action), { i: 0 }) });
    }
    if (terminators.length > 0) throw new TemplateError('template: unexpected EOF');
    return { nodes, end: '' };
  };
  // {{else if x}} is an if block nested in the else branch, ended by the same {{end}}.
  const parseBlock = (kind: BlockNode['kind'], header: string): BlockNode => {
    let rest = header;
    let bindVar: string | undefined;
    const bind = /^(\$\w*)\s*(?:,\s*\$\w+\s*)?:=\s*(.*)$/.exec(rest);
    if (bind) {
      bindVar = bind[1];
      rest = bind[2]!;
    }
    const pipe = parsePipeline(tokenize(rest), { i: 0 });
    const body = parseList(['else', 'end']);
    let alt: Node[] = [];
    if (body.end.startsWith('else')) {
      const elseRest = body.end.slice(4).trim();
      alt = elseRest.startsWith('if ') ? [parseBlock('if', elseRest.slice(3).trim())] : parseList(['end']).nodes;
    }
    return { kind, pipe, body: body.nodes, alt, ...(bindVar ? { bindVar } : {}) };
  };
  return parseList([]).nodes;
}

// ---- execution ---------------------------------------------------------------

interface Scope {
  dot: Value;
  vars: Map<string, Value>;
}

function lookup(value: Value, path: string[]): Value {
  let v = value;
  for (const key of path) {
    if (v === null || v === undefined) return undefined;
    v = (v as Record<string, Value>)[key];
    if (typeof v === 'function') v = (v as () => Value)();
  }
  return v;
}

function evalArg(arg: Arg, scope: Scope, piped: Value[]): Value {
  switch (arg.kind) {
    case 'literal':
      return arg.value;
    case 'paren':
      return evalPipeline(arg.pipe, scope);
    case 'field': {
      const base = arg.base === 'dot' ? scope.dot : scope.vars.get(arg.base);
      if (arg.base !== 'dot' && !scope.vars.has(arg.base)) throw new TemplateError(`template: undefined variable "${arg.base}"`);
      return lookup(base, arg.path);
    }
    case 'func':
      return FUNCS[arg.name]!(...piped);
  }
}

function evalCommand(cmd: Command, scope: Scope, piped: Value | undefined, hasPiped: boolean): Value {
  const head = cmd[0]!;
  if (head.kind === 'func') {
    const args = cmd.slice(1).map((a) => evalArg(a, scope, []));
    if (hasPiped) args.push(piped);
    return FUNCS[head.name]!(...args);
  }
  if (cmd.length > 1 || hasPiped) throw new TemplateError('template: can\'t give argument to non-function');
  return evalArg(head, scope, []);
}

function evalPipeline(pipe: Pipeline, scope: Scope): Value {
  let value: Value;
  pipe.forEach((cmd, n) => {
    value = evalCommand(cmd, scope, value, n > 0);
  });
  return value;
}

function execNodes(nodes: Node[], scope: Scope, out: string[]): void {
  for (const node of nodes) {
    if (node.kind === 'text') out.push(node.text);
    else if (node.kind === 'action') {
      const v = evalPipeline(node.pipe, scope);
      out.push(v === undefined || v === null ? '' : typeof v === 'object' ? show(v) : String(v));
    } else {
      const v = evalPipeline(node.pipe, scope);
      const vars = new Map(scope.vars);
      if (node.kind === 'if') execNodes(truthy(v) ? node.body : node.alt, { dot: scope.dot, vars }, out);
      else if (node.kind === 'with') {
        if (node.bindVar) vars.set(node.bindVar, v);
        execNodes(truthy(v) ? node.body : node.alt, truthy(v) ? { dot: v, vars } : scope, out);
      } else {
        const items = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.keys(v).sort().map((k) => (v as Record<string, Value>)[k]) : [];
        if (items.length === 0) execNodes(node.alt, scope, out);
        for (const item of items) {
          const itemVars = new Map(vars);
          if (node.bindVar) itemVars.set(node.bindVar, item);
          execNodes(node.body, { dot: item, vars: itemVars }, out);
        }
      }
    }
  }
}

export interface Template {
  execute(data: Value): string;
}

export function compileTemplate(src: string): Template {
  const nodes = parse(src);
  return {
    execute(data) {
      const out: string[] = [];
      execNodes(nodes, { dot: data, vars: new Map([['$', data]]) }, out);
      return out.join('');
    },
  };
}
