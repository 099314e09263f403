// Executes a parsed template as Go's text/template does (exec.go): field and
// method lookup on Go values, variables and their scopes, pipelines passing
// the last value as the final argument, range/with/if with Go's truth, and
// Go's execution errors ("template: :1:2: executing "" at <.X>: …").
import { formatV } from './fmt';
import { builtins, FuncError, type JsonOf } from './funcs';
import { argString, type Arg, type BlockNode, type Command, commandString, location, type Node, type Pipe } from './parse';
import { concrete, entries, type GoValue, int, INVALID, structField, structMethod, T, truth, typeName, str } from './value';

export class ExecError extends Error {
  /** The output written before the error (Go's Execute streams it). */
  partial = '';
}
/** A method called with the wrong number of arguments (Go reports it at the field, not the call). */
export class ArgCountError extends FuncError {}

class Break {}
class Continue {}

export interface ExecOptions { missingKeyError?: boolean }

const MISSING = Symbol('missing');
type Final = GoValue | typeof MISSING;

export class Executor {
  private vars: [string, GoValue][] = [];
  private node: { pos: number; text: string } | undefined;
  private readonly funcs: ReturnType<typeof builtins>;
  private out = '';

  constructor(
    private readonly src: string,
    private readonly name: string,
    jsonOf: JsonOf,
    private readonly opts: ExecOptions,
    /** Characters cut from the front of the first line (docker's `table ` prefix): Go counts them in positions. */
    private readonly shift = 0,
  ) {
    this.funcs = builtins(jsonOf);
  }

  run(nodes: Node[], data: GoValue): string {
    this.vars = [['$', data]];
    this.out = '';
    this.walk(data, nodes);
    return this.out;
  }

  private fail(msg: string): never {
    const e = new ExecError(this.node ? this.context(msg) : `template: ${this.name}: ${msg}`);
    e.partial = this.out;
    throw e;
  }

  private context(msg: string): string {
    const ctx = this.node!.text;
    return (`template: ${this.name}:${location(' '.repeat(this.shift) + this.src, this.node!.pos + this.shift)}: executing ${JSON.stringify(this.name)} at <${ctx}>: ${msg}`);
  }

  private at(pos: number, text: string): void {
    this.node = { pos, text };
  }

  private walk(dot: GoValue, nodes: Node[]): void {
    for (const n of nodes) {
      switch (n.k) {
        case 'text':
          this.out += n.text;
          break;
        case 'action': {
          const v = this.pipeline(dot, n.pipe);
          if (n.pipe.decl.length === 0) this.out += printable(v);
          break;
        }
        case 'if': case 'with': {
          const mark = this.vars.length;
          const v = this.pipeline(dot, n.pipe);
          if (truth(v)) this.walk(n.k === 'with' ? indirect(v) : dot, n.list);
          else if (n.elseList) this.walk(dot, n.elseList);
          this.vars.length = mark;
          break;
        }
        case 'range':
          this.range(dot, n);
          break;
        case 'break':
          throw new Break();
        case 'continue':
          throw new Continue();
      }
    }
  }

  private range(dot: GoValue, n: BlockNode): void {
    const mark = this.vars.length;
    const v = indirect(this.pipeline(dot, { ...n.pipe, decl: [] }));
    let items: [GoValue, GoValue][] | undefined;
    if (v.t.k === 'int' || v.t.k === 'uint') items = Array.from({ length: Math.max(0, v.v as number) }, (_x, i) => [int(i), int(i)]);
    else items = v.v === undefined || (v.t.k === 'iface' && v.v === null) ? [] : entries(v);
    if (!items) this.fail(`range can't iterate over ${formatV(v)}`);
    for (const [key, elem] of items!) {
      const inner = this.vars.length;
      if (n.pipe.decl.length === 1) this.vars.push([n.pipe.decl[0]!, elem]);
      else if (n.pipe.decl.length === 2) this.vars.push([n.pipe.decl[0]!, key], [n.pipe.decl[1]!, elem]);
      try {
        this.walk(elem, n.list);
      } catch (e) {
        if (e instanceof Break) break;
        if (!(e instanceof Continue)) throw e;
      } finally {
        this.vars.length = inner;
      }
    }
    if (items!.length === 0 && n.elseList) this.walk(dot, n.elseList);
    this.vars.length = mark;
  }

  private pipeline(dot: GoValue, pipe: Pipe): GoValue {
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.command(dot, cmd, value);
    const result = value === MISSING ? INVALID : value;
    for (const name of pipe.decl) {
      if (pipe.isAssign) {
        const slot = [...this.vars].reverse().find(([n]) => n === name);
        if (slot) slot[1] = result;
      } else this.vars.push([name, result]);
    }
    return result;
  }

  private command(dot: GoValue, cmd: Command, final: Final): GoValue {
    const first = cmd.args[0]!;
    switch (first.k) {
      case 'field':
        return this.fieldChain(dot, dot, first, first.ident, cmd.args, final);
      case 'chain': {
        this.notAFunction(first, cmd.args, final, first.field.length === 0);
        const base = first.node.k === 'pipe' ? this.pipeline(dot, first.node.pipe) : this.arg(dot, first.node);
        return this.fieldChain(dot, base, first, first.field, cmd.args, final);
      }
      case 'variable': {
        const v = this.variable(first.ident[0]!);
        if (first.ident.length === 1) {
          this.notAFunction(first, cmd.args, final);
          return v;
        }
        return this.fieldChain(dot, v, first, first.ident.slice(1), cmd.args, final);
      }
      case 'identifier':
        return this.call(dot, first, cmd, final);
      case 'pipe':
        this.notAFunction(first, cmd.args, final);
        return this.pipeline(dot, first.pipe);
      default:
        this.at(first.pos, argString(first));
        this.notAFunction(first, cmd.args, final);
        if (first.k === 'nil') this.fail('nil is not a command');
        return this.arg(dot, first);
    }
  }

  private notAFunction(first: Arg, args: Arg[], final: Final, skip = false): void {
    if (skip) return;
    if (args.length > 1 || final !== MISSING) {
      this.at(first.pos, argString(first));
      this.fail(`can't give argument to non-function ${argString(args[0]!)}`);
    }
  }

  private variable(name: string): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]![0] === name) return this.vars[i]![1];
    return this.fail(`undefined variable: ${name}`);
  }

  private arg(dot: GoValue, a: Arg): GoValue {
    this.at(a.pos, argString(a));
    switch (a.k) {
      case 'dot': return dot;
      case 'nil': return { t: T.iface, v: null };
      case 'bool': return { t: T.bool, v: a.value };
      case 'number': return a.isInt ? int(a.value) : { t: T.float, v: a.value };
      case 'string': return str(a.text);
      case 'pipe': return this.pipeline(dot, a.pipe);
      case 'identifier': return this.call(dot, a, { pos: a.pos, args: [a] }, MISSING);
      case 'variable': {
        const v = this.variable(a.ident[0]!);
        return a.ident.length > 1 ? this.fieldChain(dot, v, a, a.ident.slice(1), [a], MISSING) : v;
      }
      case 'field': return this.fieldChain(dot, dot, a, a.ident, [a], MISSING);
      case 'chain': {
        const base = a.node.k === 'pipe' ? this.pipeline(dot, a.node.pipe) : this.arg(dot, a.node);
        return this.fieldChain(dot, base, a, a.field, [a], MISSING);
      }
    }
  }

  private fieldChain(dot: GoValue, receiver: GoValue, node: Arg, ident: string[], args: Arg[], final: Final): GoValue {
    let r = receiver;
    for (let i = 0; i < ident.length; i++) {
      const last = i === ident.length - 1;
      r = this.field(dot, ident[i]!, node, last ? args : [], last ? final : MISSING, r);
    }
    return r;
  }

  private field(dot: GoValue, name: string, node: Arg, args: Arg[], final: Final, receiver: GoValue): GoValue {
    this.at(node.pos, argString(node));
    if (receiver.v === undefined) {
      if (this.opts.missingKeyError) this.fail(`nil data; no entry for key ${JSON.stringify(name)}`);
      return INVALID;
    }
    const shownType = typeName(receiver.t);
    const method = structMethod(receiver.t, name);
    if (method) {
      const argv = args.slice(1).map((a) => this.arg(dot, a));
      if (final !== MISSING) argv.push(final);
      this.at(node.pos, argString(node));
      try {
        return method(receiver, argv);
      } catch (e) {
        if (e instanceof ArgCountError) this.fail(e.message);
        if (e instanceof FuncError) this.fail(`error calling ${name}: ${e.message}`);
        throw e;
      }
    }
    const hasArgs = args.length > 1 || final !== MISSING;
    let r = concrete(receiver);
    if (r.t.k === 'iface' && r.v === null) this.fail(`nil pointer evaluating ${shownType}.${name}`);
    const isNilPtr = r.t.k === 'ptr' && r.v === null;
    if (r.t.k === 'ptr' && r.v !== null) r = { t: r.t.elem, v: r.v };
    if (r.t.k === 'struct') {
      const f = structField(r, name);
      if (f) {
        if (hasArgs) this.fail(`${name} has arguments but cannot be invoked as function`);
        return f;
      }
    } else if (r.t.k === 'map') {
      if (hasArgs) this.fail(`${name} is not a method but has arguments`);
      const obj = (r.v ?? {}) as Record<string, unknown>;
      if (Object.hasOwn(obj, name)) return { t: r.t.elem, v: obj[name] };
      if (this.opts.missingKeyError) this.fail(`map has no entry for key ${JSON.stringify(name)}`);
      return INVALID;
    } else if (isNilPtr) {
      const elem = (r.t as { elem: GoValue['t'] }).elem;
      if (elem.k !== 'struct' || structField({ t: elem, v: {} }, name)) this.fail(`nil pointer evaluating ${shownType}.${name}`);
    }
    return this.fail(`can't evaluate field ${name} in type ${shownType}`);
  }

  private call(dot: GoValue, ident: Extract<Arg, { k: 'identifier' }>, cmd: Command, final: Final): GoValue {
    const fn = this.funcs[ident.name];
    this.at(ident.pos, ident.name);
    if (!fn) this.fail(`"${ident.name}" is not a defined function`);
    // and/or evaluate their arguments lazily, stopping at the first that decides.
    if (ident.name === 'and' || ident.name === 'or') {
      const rest = cmd.args.slice(1);
      if (rest.length === 0 && final === MISSING) this.fail(`wrong number of args for ${ident.name}: want at least 1 got 0`);
      let v: GoValue = INVALID;
      for (const a of rest) {
        v = this.arg(dot, a);
        if (truth(v) === (ident.name === 'or')) return v;
      }
      return final === MISSING ? v : final;
    }
    const argv = cmd.args.slice(1).map((a) => this.arg(dot, a));
    if (final !== MISSING) argv.push(final);
    try {
      return fn!(argv);
    } catch (e) {
      if (!(e instanceof FuncError)) throw e;
      if (e.message.startsWith('wrong number of args')) {
        this.at(ident.pos, ident.name);
        this.fail(e.message);
      }
      this.at(cmd.pos, commandString(cmd));
      return this.fail(`error calling ${ident.name}: ${e.message}`);
    }
  }
}

function indirect(x: GoValue): GoValue {
  const c = concrete(x);
  return c.t.k === 'ptr' && c.v !== null ? { t: c.t.elem, v: c.v } : c;
}

/** What an action prints: a pointer shows its target, no value shows "<no value>". */
function printable(x: GoValue): string {
  if (x.v === undefined) return '<no value>';
  const c = concrete(x);
  if (c.t.k === 'ptr' && c.v !== null) return formatV({ t: c.t.elem, v: c.v });
  return formatV(c);
}
