// The parser of Go's text/template (parse.go): the node tree, with each node's
// position and Go's String() of it (exec errors quote both), and Go's parse
// errors ("template: NAME:LINE: …").
import { type Item, lex } from './lex';

export type Arg =
  | { k: 'field'; pos: number; ident: string[] }
  | { k: 'variable'; pos: number; ident: string[] }
  | { k: 'chain'; pos: number; node: Arg; field: string[] }
  | { k: 'identifier'; pos: number; name: string }
  | { k: 'dot'; pos: number }
  | { k: 'nil'; pos: number }
  | { k: 'bool'; pos: number; value: boolean }
  | { k: 'number'; pos: number; text: string; value: number; isInt: boolean }
  | { k: 'string'; pos: number; quoted: string; text: string }
  | { k: 'pipe'; pos: number; pipe: Pipe };

export interface Command { pos: number; args: Arg[] }
export interface Pipe { pos: number; decl: string[]; isAssign: boolean; cmds: Command[] }

export interface BlockNode { k: 'if' | 'range' | 'with'; pos: number; pipe: Pipe; list: Node[]; elseList?: Node[] }
export type Node =
  | { k: 'text'; pos: number; text: string }
  | { k: 'action'; pos: number; pipe: Pipe }
  | BlockNode
  | { k: 'break' | 'continue'; pos: number };

export class ParseError extends Error {}

export function argString(a: Arg): string {
  switch (a.k) {
    case 'field': return `.${a.ident.join('.')}`;
    case 'variable': return a.ident.join('.');
    case 'chain': return `${a.node.k === 'pipe' ? `(${pipeString(a.node.pipe)})` : argString(a.node)}.${a.field.join('.')}`;
    case 'identifier': return a.name;
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'bool': return String(a.value);
    case 'number': return a.text;
    case 'string': return a.quoted;
    case 'pipe': return `(${pipeString(a.pipe)})`;
  }
}

export function commandString(c: Command): string {
  return c.args.map(argString).join(' ');
}

export function pipeString(p: Pipe): string {
  const decl = p.decl.length ? `${p.decl.join(', ')} ${p.isAssign ? '=' : ':='} ` : '';
  return decl + p.cmds.map(commandString).join(' | ');
}

function unquote(s: string): string {
  if (s.startsWith('`')) return s.slice(1, -1);
  try {
    return JSON.parse(s.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b')) as string;
  } catch {
    throw new Error('bad string');
  }
}

function parseNumber(text: string): { value: number; isInt: boolean } | undefined {
  const t = text.replace(/_/g, '');
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return { value: parseInt(t.replace(/0[xX]/, ''), 16) * (t.startsWith('-') ? -1 : 1), isInt: true };
  if (/^[+-]?0[bB][01]+$/.test(t)) return { value: parseInt(t.replace(/^[+-]?0[bB]/, ''), 2) * (t.startsWith('-') ? -1 : 1), isInt: true };
  if (/^[+-]?0[oO]?[0-7]+$/.test(t) && /^[+-]?0/.test(t) && t.replace(/^[+-]/, '').length > 1) return { value: parseInt(t.replace(/^[+-]?0[oO]?/, ''), 8) * (t.startsWith('-') ? -1 : 1), isInt: true };
  if (/^[+-]?\d+$/.test(t)) return { value: Number(t), isInt: true };
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) {
    const value = Number(t);
    return { value, isInt: Number.isInteger(value) && !/[.eE]/.test(t) };
  }
  return undefined;
}

/** Parses a template. `funcs` names the functions that exist; `name` is the template's name in messages. */
export function parse(src: string, funcs: Set<string>, name = ''): Node[] {
  return new Parser(lex(src), funcs, name).list(false).nodes;
}

class Parser {
  private i = 0;
  private lastLine = 1;
  private readonly vars: string[][] = [['$']];

  constructor(
    private readonly items: Item[],
    private readonly funcs: Set<string>,
    private readonly name: string,
  ) {}

  private fail(msg: string, line = this.lastLine): never {
    throw new ParseError(`template: ${this.name}:${line}: ${msg}`);
  }

  private next(): Item {
    const it = this.items[this.i++] ?? this.items[this.items.length - 1]!;
    this.lastLine = it.line;
    if (it.type === 'error') this.fail(it.val, it.line);
    return it;
  }

  private peek(): Item {
    return this.items[this.i] ?? this.items[this.items.length - 1]!;
  }

  private nextNonSpace(): Item {
    let it = this.next();
    while (it.type === 'space') it = this.next();
    return it;
  }

  private peekNonSpace(): Item {
    const save = this.i;
    const it = this.nextNonSpace();
    this.i = save;
    return it;
  }

  private unexpected(it: Item, context: string): never {
    if (it.type === 'error') this.fail(it.val, it.line);
    const shown = it.type === 'eof' ? 'EOF' : it.type === 'right' ? '"}}"' : it.type === 'left' ? '"{{"' : JSON.stringify(it.val);
    return this.fail(`unexpected ${shown} in ${context}`, it.line);
  }

  private scope() {
    return this.vars[this.vars.length - 1]!;
  }

  list(inBlock: boolean): { nodes: Node[]; end: 'end' | 'else' | 'eof'; elseItem?: Item } {
    const nodes: Node[] = [];
    for (;;) {
      const it = this.next();
      if (it.type === 'eof') {
        if (inBlock) this.fail('unexpected EOF', it.line);
        return { nodes, end: 'eof' };
      }
      if (it.type === 'text') {
        nodes.push({ k: 'text', pos: it.pos, text: it.val });
        continue;
      }
      // it is {{
      const kw = this.peekNonSpace();
      if (kw.type === 'keyword' && (kw.val === 'end' || kw.val === 'else')) {
        this.nextNonSpace();
        if (!inBlock) this.fail(`unexpected {{${kw.val}}}`, kw.line);
        if (kw.val === 'end') {
          const r = this.nextNonSpace();
          if (r.type !== 'right') this.unexpected(r, 'end');
          return { nodes, end: 'end' };
        }
        return { nodes, end: 'else', elseItem: kw };
      }
      nodes.push(this.action());
    }
  }

  private action(): Node {
    const it = this.nextNonSpace();
    if (it.type === 'keyword') {
      switch (it.val) {
        case 'if': case 'range': case 'with': return this.control(it.val, it);
        case 'break': case 'continue': {
          const r = this.nextNonSpace();
          if (r.type !== 'right') this.unexpected(r, `{{${it.val}}}`);
          return { k: it.val, pos: it.pos };
        }
        default: this.fail(`{{${it.val}}} is not supported by this template engine`, it.line);
      }
    }
    this.i--;
    return { k: 'action', pos: it.pos, pipe: this.pipeline('command', 'right') };
  }

  private control(kind: 'if' | 'range' | 'with', kw: Item): Node {
    this.vars.push([...this.scope()]);
    const pipe = this.pipeline(kind, 'right');
    const body = this.list(true);
    let elseList: Node[] | undefined;
    if (body.end === 'else') {
      const nextKw = this.peekNonSpace();
      // {{else if …}} / {{else with …}}: a nested block ended by the same {{end}}.
      if ((kind === 'if' && nextKw.val === 'if') || (kind === 'with' && nextKw.val === 'with')) {
        this.nextNonSpace();
        elseList = [this.control(kind, nextKw)];
      } else {
        const r = this.nextNonSpace();
        if (r.type !== 'right') this.unexpected(r, 'else');
        const alt = this.list(true);
        if (alt.end === 'else') this.fail(`expected end; found {{else}}`, alt.elseItem?.line);
        elseList = alt.nodes;
      }
    }
    this.vars.pop();
    return { k: kind, pos: kw.pos, pipe, list: body.nodes, ...(elseList ? { elseList } : {}) };
  }

  private pipeline(context: string, end: 'right' | 'rightParen'): Pipe {
    const first = this.peekNonSpace();
    const pipe: Pipe = { pos: first.pos, decl: [], isAssign: false, cmds: [] };
    // Declarations: $x := / $x = / $i, $e := (range only).
    if (first.type === 'variable') {
      const save = this.i;
      this.nextNonSpace();
      const op = this.peekNonSpace();
      if (op.type === 'declare' || op.type === 'assign') {
        this.nextNonSpace();
        pipe.decl.push(first.val);
        pipe.isAssign = op.type === 'assign';
        if (op.type === 'declare') this.scope().push(first.val);
        else if (!this.scope().includes(first.val)) this.fail(`undefined variable "${first.val}"`, first.line);
      } else if (op.type === 'comma' && context === 'range') {
        this.nextNonSpace();
        const second = this.nextNonSpace();
        const op2 = this.nextNonSpace();
        if (second.type !== 'variable' || (op2.type !== 'declare' && op2.type !== 'assign')) this.fail('range can only initialize variables', second.line);
        pipe.decl.push(first.val, second.val);
        pipe.isAssign = op2.type === 'assign';
        this.scope().push(first.val, second.val);
      } else this.i = save;
    }
    for (;;) {
      const it = this.nextNonSpace();
      if (it.type === end) {
        if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`, it.line);
        return pipe;
      }
      if (['bool', 'char', 'dot', 'field', 'identifier', 'number', 'nil', 'rawString', 'string', 'variable', 'leftParen'].includes(it.type)) {
        this.i--;
        pipe.cmds.push(this.command(end));
        continue;
      }
      this.unexpected(it, context);
    }
  }

  private command(end: 'right' | 'rightParen'): Command {
    const cmd: Command = { pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      const save = this.i;
      const it = this.nextNonSpace();
      if (it.type === end || it.type === 'pipe' || it.type === 'eof') {
        if (it.type !== 'pipe') this.i = save;
        else if (cmd.args.length === 0) this.fail('missing value for command', it.line);
        if (cmd.args.length === 0) this.fail('empty command', it.line);
        return cmd;
      }
      this.i--;
      const op = this.operand();
      if (!op) this.unexpected(this.peek(), 'operand');
      cmd.args.push(op!);
      const sep = this.peek();
      if (sep.type !== 'space' && sep.type !== end && sep.type !== 'pipe' && sep.type !== 'right' && sep.type !== 'rightParen') {
        this.unexpected(sep, 'operand');
      }
    }
  }

  private operand(): Arg | undefined {
    const t = this.term();
    if (!t) return undefined;
    if (this.peek().type !== 'field') return t;
    const fields: string[] = [];
    // Go gives the combined node the position of the first added field.
    const pos = this.peek().pos;
    while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
    if (t.k === 'field') return { ...t, pos, ident: [...t.ident, ...fields] };
    if (t.k === 'variable') return { ...t, pos, ident: [...t.ident, ...fields] };
    if (t.k === 'bool' || t.k === 'string' || t.k === 'number' || t.k === 'nil' || t.k === 'dot') this.fail(`unexpected . after term "${argString(t)}"`);
    return { k: 'chain', pos, node: t, field: fields };
  }

  private term(): Arg | undefined {
    const it = this.nextNonSpace();
    switch (it.type) {
      case 'identifier':
        if (!this.funcs.has(it.val)) this.fail(`function "${it.val}" not defined`, it.line);
        return { k: 'identifier', pos: it.pos, name: it.val };
      case 'dot': return { k: 'dot', pos: it.pos };
      case 'nil': return { k: 'nil', pos: it.pos };
      case 'variable': {
        const [v, ...rest] = it.val.split('.');
        if (!this.vars.some((s) => s.includes(v!)) && !this.scope().includes(v!)) this.fail(`undefined variable "${v}"`, it.line);
        return { k: 'variable', pos: it.pos, ident: [v!, ...rest] };
      }
      case 'field': return { k: 'field', pos: it.pos, ident: [it.val.slice(1)] };
      case 'bool': return { k: 'bool', pos: it.pos, value: it.val === 'true' };
      case 'char': case 'number': {
        const n = it.type === 'char' ? { value: unquote(`"${it.val.slice(1, -1).replace(/"/g, '\\"')}"`).codePointAt(0)!, isInt: true } : parseNumber(it.val);
        if (!n) this.fail(`illegal number syntax: "${it.val}"`, it.line);
        return { k: 'number', pos: it.pos, text: it.val, value: n!.value, isInt: n!.isInt };
      }
      case 'string': case 'rawString': {
        let text: string;
        try {
          text = unquote(it.val);
        } catch {
          return this.fail(`invalid syntax`, it.line);
        }
        return { k: 'string', pos: it.pos, quoted: it.val, text };
      }
      case 'leftParen': {
        const pipe = this.pipeline('parenthesized pipeline', 'rightParen');
        return { k: 'pipe', pos: it.pos, pipe };
      }
      default:
        this.i--;
        return undefined;
    }
  }
}

/** Line and column of a position, as Go's ErrorContext counts them. */
export function location(src: string, pos: number): string {
  const text = src.slice(0, pos);
  const nl = text.lastIndexOf('\n');
  const line = 1 + (text.match(/\n/g) ?? []).length;
  return `${line}:${nl < 0 ? pos : pos - (nl + 1)}`;
}
