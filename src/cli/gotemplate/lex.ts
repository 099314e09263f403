// The lexer of Go's text/template (lex.go): text, actions with trim markers
// and comments, and the items inside an action, with Go's error messages.

export type ItemType =
  | 'text' | 'left' | 'right' | 'space' | 'field' | 'variable' | 'identifier' | 'string' | 'rawString'
  | 'char' | 'number' | 'bool' | 'nil' | 'dot' | 'pipe' | 'leftParen' | 'rightParen' | 'assign' | 'declare'
  | 'comma' | 'keyword' | 'eof' | 'error';

export interface Item { type: ItemType; val: string; pos: number; line: number }

const KEYWORDS = new Set(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'template', 'with']);
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string | undefined) => c !== undefined && /[\p{L}\p{Nd}_]/u.test(c);

/** Go's %#U of a character. */
export function goRune(c: string): string {
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

/** The items of a template, ending with an eof item (or an error item, Go's message). */
export function lex(src: string): Item[] {
  return new Lexer(src).run();
}

class Lexer {
  private readonly items: Item[] = [];
  private pos = 0;
  private line = 1;

  constructor(private readonly src: string) {}

  private emit(type: ItemType, start: number, val = this.src.slice(start, this.pos)): void {
    this.items.push({ type, val, pos: start, line: this.line });
    this.line += (val.match(/\n/g) ?? []).length;
  }

  private fail(msg: string): Item[] {
    this.items.push({ type: 'error', val: msg, pos: this.pos, line: this.line });
    return this.items;
  }

  run(): Item[] {
    const src = this.src;
    while (this.pos < src.length) {
      const open = src.indexOf('{{', this.pos);
      if (open < 0) {
        this.emit('text', this.pos, src.slice(this.pos));
        this.pos = src.length;
        break;
      }
      let textEnd = open;
      const trimLeft = src[open + 2] === '-' && isSpace(src[open + 3]);
      if (trimLeft) while (textEnd > this.pos && isSpace(src[textEnd - 1])) textEnd--;
      if (textEnd > this.pos) this.emit('text', this.pos, src.slice(this.pos, textEnd));
      this.line += (src.slice(textEnd, open).match(/\n/g) ?? []).length;
      this.pos = open + (trimLeft ? 4 : 2);
      if (src.startsWith('/*', this.pos)) {
        const err = this.comment();
        if (err) return this.fail(err);
        continue;
      }
      this.emit('left', open, '{{');
      const err = this.inside();
      if (err) return this.fail(err);
    }
    this.emit('eof', this.pos, '');
    return this.items;
  }

  /** A comment: {{/* … *\/}}, alone in its action. */
  private comment(): string | undefined {
    const src = this.src;
    const end = src.indexOf('*/', this.pos + 2);
    if (end < 0) return 'unclosed comment';
    this.line += (src.slice(this.pos, end).match(/\n/g) ?? []).length;
    this.pos = end + 2;
    const trimRight = src.startsWith(' -}}', this.pos);
    if (!trimRight && !src.startsWith('}}', this.pos)) return 'comment ends before closing delimiter';
    this.pos += trimRight ? 4 : 2;
    if (trimRight) while (isSpace(src[this.pos])) this.pos++;
    return undefined;
  }

  /** The items of one action, up to and with its right delimiter. */
  private inside(): string | undefined {
    const src = this.src;
    let parens = 0;
    for (;;) {
      if (/^[ \t\n]-}}/.test(src.slice(this.pos, this.pos + 4))) {
        if (parens > 0) return 'unclosed left paren';
        this.pos += 1;
        this.emit('right', this.pos, '}}');
        this.pos += 3;
        while (isSpace(src[this.pos])) this.pos++;
        return undefined;
      }
      if (src.startsWith('}}', this.pos)) {
        if (parens > 0) return 'unclosed left paren';
        this.emit('right', this.pos, '}}');
        this.pos += 2;
        return undefined;
      }
      if (this.pos >= src.length) return 'unclosed action';
      const c = src[this.pos]!;
      if (c === '(') parens++;
      if (c === ')') {
        if (parens === 0) return `unexpected right paren ${goRune(c)}`;
        parens--;
      }
      const err = this.item(c);
      if (err) return err;
    }
  }

  private item(c: string): string | undefined {
    const src = this.src;
    const start = this.pos;
    const single: Record<string, ItemType> = { '=': 'assign', '|': 'pipe', '(': 'leftParen', ')': 'rightParen', ',': 'comma' };
    if (isSpace(c)) {
      while (isSpace(src[this.pos]) && !(src.startsWith(' -}}', this.pos) && this.pos > start)) this.pos++;
      this.emit('space', start);
    } else if (single[c]) {
      this.pos++;
      this.emit(single[c]!, start);
    } else if (c === ':') {
      if (src[this.pos + 1] !== '=') return 'expected :=';
      this.pos += 2;
      this.emit('declare', start);
    } else if (c === '"' || c === "'") {
      this.pos++;
      while (src[this.pos] !== c) {
        if (this.pos >= src.length || src[this.pos] === '\n') return c === '"' ? 'unterminated quoted string' : 'unterminated character constant';
        if (src[this.pos] === '\\') this.pos++;
        this.pos++;
      }
      this.pos++;
      this.emit(c === '"' ? 'string' : 'char', start);
    } else if (c === '`') {
      const end = src.indexOf('`', this.pos + 1);
      if (end < 0) return 'unterminated raw quoted string';
      this.pos = end + 1;
      this.emit('rawString', start);
    } else if (c === '$' || (c === '.' && !/[0-9]/.test(src[this.pos + 1] ?? ''))) {
      this.pos++;
      while (isAlnum(src[this.pos])) this.pos++;
      if (c === '.' && this.pos === start + 1) {
        this.emit('dot', start);
        return undefined;
      }
      this.emit(c === '$' ? 'variable' : 'field', start);
      return this.terminator();
    } else if (c === '+' || c === '-' || c === '.' || /[0-9]/.test(c)) {
      return this.number();
    } else if (isAlnum(c)) {
      while (isAlnum(src[this.pos])) this.pos++;
      const word = src.slice(start, this.pos);
      this.emit(KEYWORDS.has(word) ? 'keyword' : word === 'true' || word === 'false' ? 'bool' : word === 'nil' ? 'nil' : 'identifier', start);
      return this.terminator();
    } else return `bad character ${goRune(c)}`;
    return undefined;
  }

  private terminator(): string | undefined {
    const c = this.src[this.pos];
    if (c === undefined || isSpace(c) || '.,|:)('.includes(c) || this.src.startsWith('}}', this.pos)) return undefined;
    return `bad character ${goRune(c)}`;
  }

  private number(): string | undefined {
    const start = this.pos;
    const m = /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d*([eE][+-]?\d+)?i?)/.exec(this.src.slice(this.pos));
    this.pos += m && m[0] !== '' ? m[0].length : 1;
    if (isAlnum(this.src[this.pos]) || this.src[this.pos] === '.') {
      this.pos++;
      return `bad number syntax: "${this.src.slice(start, this.pos)}"`;
    }
    this.emit('number', start);
    return undefined;
  }
}
