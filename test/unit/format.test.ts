import { describe, expect, it } from 'vitest';
import { bytesSize, humanSize, renderList, renderOne, shortId, tabwrite } from '../../src/cli/format';
import { compileTemplate, ParseError as TemplateError } from '../../src/cli/template';

describe('Go template subset', () => {
  const data = {
    ID: 'abc',
    Names: ['a', 'b'],
    Labels: { 'com.x': 'y', z: '1' },
    Nested: { Inner: { Value: 42 } },
    Empty: [],
  };
  const cases: [string, string][] = [
    ['{{.ID}}', 'abc'],
    ['{{.Nested.Inner.Value}}', '42'],
    ['{{json .Names}}', '["a","b"]'],
    ['{{.Names | json}}', '["a","b"]'],
    ['{{join .Names ","}}', 'a,b'],
    ['{{index .Labels "com.x"}}', 'y'],
    ['{{range .Names}}[{{.}}]{{end}}', '[a][b]'],
    ['{{range $n := .Names}}{{$n}}-{{$.ID}};{{end}}', 'a-abc;b-abc;'],
    ['{{range .Empty}}x{{else}}none{{end}}', 'none'],
    ['{{if .Empty}}yes{{else}}no{{end}}', 'no'],
    ['{{if eq .ID "abc"}}match{{end}}', 'match'],
    ['{{if ne .ID "abc"}}a{{else if eq .ID "abc"}}b{{else}}c{{end}}', 'b'],
    ['{{with .Nested.Inner}}{{.Value}}{{end}}', '42'],
    ['a  {{- .ID -}}  b', 'aabcb'],
    ['{{upper .ID}} {{len .Names}} {{printf "%s=%d" .ID 3}}', 'ABC 2 abc=3'],
    ['{{.Missing}}', '<no value>'],
    ['{{.Labels}}', 'map[com.x:y z:1]'],
  ];
  it.each(cases)('%s', (src, want) => {
    expect(compileTemplate(src).execute(data)).toBe(want);
  });
  it('rejects unknown functions and unclosed blocks', () => {
    expect(() => compileTemplate('{{nope .ID}}')).toThrow(TemplateError);
    expect(() => compileTemplate('{{range .Names}}x')).toThrow(/unexpected EOF/);
    expect(() => compileTemplate('{{.ID')).toThrow(/unclosed/);
  });
});

describe('tabwriter', () => {
  it('aligns columns like Go text/tabwriter with minwidth and padding', () => {
    expect(tabwrite('A\tBB\tC\nlonger cell\tx\ty', 10, 3)).toBe('A             BB        C\nlonger cell   x         y');
  });
  it('treats lines without that column as block boundaries', () => {
    expect(tabwrite('x:\t1\nheader\ny:\t22', 0, 1)).toBe('x: 1\nheader\ny: 22');
  });
});

describe('renderList', () => {
  const rows = [{ ID: 'a1', Name: 'first' }, { ID: 'b2', Name: 'second' }];
  const spec = { defaultTable: 'table {{.ID}}\t{{.Name}}', headers: { ID: 'CONTAINER ID', Name: 'NAMES' }, rows };
  it('prints docker-style tables with headers', () => {
    expect(renderList(undefined, spec)).toBe('CONTAINER ID   NAMES\na1             first\nb2             second\n');
  });
  it('supports custom table templates, raw templates and json', () => {
    expect(renderList('table {{.Name}}', spec)).toBe('NAMES\nfirst\nsecond\n');
    expect(renderList('{{.ID}}:{{.Name}}', spec)).toBe('a1:first\nb2:second\n');
    expect(renderList('json', spec)).toBe('{"ID":"a1","Name":"first"}\n{"ID":"b2","Name":"second"}\n');
    expect(renderList('{{.ID}}\\t{{.Name}}', spec)).toBe('a1\tfirst\nb2\tsecond\n');
  });
  it('renders one object', () => {
    expect(renderOne('{{json .}}', { A: 1 })).toBe('{"A":1}\n');
  });
});

describe('human units', () => {
  it('sizes like go-units HumanSize', () => {
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(1000)).toBe('1kB');
    expect(humanSize(4_261_000, 3)).toBe('4.26MB');
    expect(humanSize(1_234_567_890)).toBe('1.235GB');
    expect(bytesSize(25_203_953_664)).toBe('23.47GiB');
  });
  it('short ids', () => {
    expect(shortId('sha256:0123456789abcdef0123')).toBe('0123456789ab');
    expect(shortId('fedcba9876543210')).toBe('fedcba987654');
  });
});
