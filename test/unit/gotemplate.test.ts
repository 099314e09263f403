// The Go template engine on its own (the parity test compares it with the
// docker CLI where one is installed): Go's printing of typed values, fmt's
// verbs, the escapers, and Go's parse and execution errors word for word.
import { describe, expect, it } from 'vitest';
import { goType } from '../../src/cli/gotemplate/types';
import { compileTemplate, ExecError, ParseError } from '../../src/cli/template';

const state = { Status: 'running', Running: true, Pid: 42, StartedAt: '2024-01-02T03:04:05.5Z', FinishedAt: '0001-01-01T00:00:00Z' };
const container = {
  t: goType('container.InspectResponse'),
  v: {
    Id: 'abc',
    Name: '/x',
    State: state,
    Config: { Cmd: ['sleep', '600'], Labels: { app: 'web' } },
    HostConfig: { RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, LogConfig: { Type: 'json-file', Config: {} }, CpuShares: 5 },
  },
};
const run = (src: string, data: object = container) => compileTemplate(src).execute(data);

describe('Go values as fmt prints them', () => {
  it.each([
    ['{{.State}}', '{running true false false false false 42 0  2024-01-02T03:04:05.5Z 0001-01-01T00:00:00Z <nil>}'],
    ['{{printf "%v" .State}}', '&{running true false false false false 42 0  2024-01-02T03:04:05.5Z 0001-01-01T00:00:00Z <nil>}'],
    ['{{.HostConfig.RestartPolicy}}|{{.HostConfig.LogConfig}}', '{no 0}|{json-file map[]}'],
    ['{{.Config.Volumes}}|{{.State.Health}}|{{.Config.Entrypoint}}|{{.Config.Labels.nope}}', 'map[]|<nil>|[]|<no value>'],
    ['{{.ID}} {{.HostConfig.CPUShares}}', 'abc 5'],
    ['{{1.5}} {{1e6}} {{printf "%5.2f|%e|%g" 3.14159 1234.5 0.000001}}', '1.5 1e+06  3.14|1.234500e+03|1e-06'],
    ['{{printf "%-10s|%5d|%v|%q|%x|%t|%05d" .Name .State.Pid .State.Running .Name .Name .State.Running .RestartCount}}', '/x        |   42|true|"/x"|2f78|true|00000'],
    ['{{printf "%d %s" "a"}}', '%!d(string=a) %!s(MISSING)'],
    ['{{println .Name 1 2}}{{print 1 2 "a" 3}}', '/x 1 2\n1 2a3'],
  ])('%s', (src, want) => expect(run(src)).toBe(want));
});

describe('actions and functions', () => {
  it.each([
    ['{{$x := .ID}}{{printf "%.2s" $x}}', 'ab'],
    ['{{range $i, $e := .Config.Cmd}}{{$i}}:{{$e}} {{end}}', '0:sleep 1:600 '],
    ['{{range $k, $v := .Config.Labels}}{{$k}}={{$v}}{{end}}', 'app=web'],
    ['{{range .Config.Cmd}}{{if eq . "600"}}{{break}}{{end}}{{.}}{{end}}', 'sleep'],
    ['{{range .Config.Env}}x{{else}}none{{end}}', 'none'],
    ['{{with .State.Health}}h{{else}}none{{end}} {{if .State.Paused}}p{{else if .State.Running}}r{{end}}', 'none r'],
    ['{{and 1 0}} {{or 0 "x"}} {{not true}} {{lt 1 2}} {{le 2 2}} {{gt 1 2}} {{ge 2 2}} {{ne 1 2}} {{eq 1 2 1}}', '0 x false true true false true true true'],
    ['{{slice .ID 0 2}} {{index .Config.Labels "app"}} {{len .Config.Cmd}}', 'ab web 2'],
    [`{{js "<a&b>'"}} {{html "<a&b>"}} {{urlquery "a b&c"}}`, "\\u003Ca\\u0026b\\u003E\\' &lt;a&amp;b&gt; a+b%26c"],
    ['{{json .Config.Labels}} {{join .Config.Cmd ","}} {{split "a,b" ","}} {{title "hello world"}} {{pad "x" 1 2}}|{{truncate "abcdef" 3}}', '{"app":"web"} sleep,600 [a b] Hello World  x  |abc'],
    ['a  {{- /* c */ -}}  b {{- .Name -}} c', 'ab/xc'],
    ['{{(index .Config.Cmd 0) | printf "%q"}} {{.Name | len | printf "%03d"}}', '"sleep" 002'],
  ])('%s', (src, want) => expect(run(src)).toBe(want));
});

describe("Go's errors", () => {
  it.each([
    ['{{.Nope', 'template: :1: unclosed action'],
    ['{{.Name}', "template: :1: bad character U+007D '}'"],
    ['{{nosuch .Name}}', 'template: :1: function "nosuch" not defined'],
    ['{{end}}', 'template: :1: unexpected {{end}}'],
    ['{{range .X}}', 'template: :1: unexpected EOF'],
    ['{{if}}{{end}}', 'template: :1: missing value for if'],
    ['\n{{$y}}', 'template: :2: undefined variable "$y"'],
  ])('parse %s', (src, msg) => {
    expect(() => compileTemplate(src)).toThrow(ParseError);
    expect(() => compileTemplate(src)).toThrow(msg);
  });

  it.each([
    ['{{.Nope}}', 'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type container.InspectResponse'],
    ['{{.State.Nope}}', 'template: :1:8: executing "" at <.State.Nope>: can\'t evaluate field Nope in type *container.State'],
    ['{{index .Config.Cmd 5}}', 'template: :1:2: executing "" at <index .Config.Cmd 5>: error calling index: index out of range: 5'],
    ['{{.Name 1}}', 'template: :1:2: executing "" at <.Name>: Name has arguments but cannot be invoked as function'],
  ])('exec %s', (src, msg) => {
    expect(() => run(src)).toThrow(ExecError);
    expect(() => run(src)).toThrow(msg);
  });

  it('a missing key of a JSON map is an error only with missingkey=error (inspect\'s fallback)', () => {
    expect(compileTemplate('{{.a.b}}').execute({ a: {} })).toBe('<no value>');
    expect(() => compileTemplate('{{.a.b}}').execute({ a: {} }, { missingKeyError: true })).toThrow(
      'template: :1:4: executing "" at <.a.b>: map has no entry for key "b"',
    );
  });
});
