// Issue 16 points 3 and 4 (Go templates, --format json): invocations run
// through both CLIs against one tsdockerd by test/cli/format-parity.test.ts.
// Plain data in the shape of parity-cases.ts's ParityCase, so the list can
// join PARITY_CASES: {img} is the test image, {running} a running container
// labelled app=web, {stopped} a created one.

export interface FormatCase {
  why: string;
  args: string[];
  /** More masking: pattern (global) → replacement, applied to both outputs. */
  mask?: [RegExp, string][];
}

/** The client's own build facts differ on purpose (tsdocker is not built by Go from docker's commit). */
const CLIENT_BUILD: [RegExp, string][] = [
  [/"GitCommit":"[^"]*","GoVersion":"[^"]*"/g, '"GitCommit":"X","GoVersion":"X"'],
  [/,"BuildTime":"[^"]*"/g, ''],
];

const inspect = (why: string, format: string, ...names: string[]): FormatCase => ({ why, args: ['inspect', '-f', format, ...(names.length ? names : ['{running}'])] });

export const TEMPLATE_CASES: FormatCase[] = [
  inspect('3 struct in Go order', '{{.State}}'),
  inspect('3 struct in Go order', '{{.HostConfig.RestartPolicy}}|{{.HostConfig.LogConfig}}|{{.GraphDriver.Name}}'),
  inspect('3 nil, map[], []', '{{.State.Health}}|{{.Config.Volumes}}|{{.Config.Entrypoint}}|{{.Config.Labels.nope}}|{{.Mounts}}'),
  inspect('3 whole container config', '{{.Config}}'),
  inspect('3 Go field name (typed decode)', '{{.ID}}'),
  inspect('3 variables and printf precision', '{{$x := .Id}}{{printf "%.6s" $x}}'),
  inspect('3 range $k, $v', '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}'),
  inspect('3 range $i, $e', '{{range $i, $e := .Config.Cmd}}{{$i}}:{{$e}} {{end}}'),
  inspect('3 printf verbs', '{{printf "%-10s|%5d|%v|%q|%x|%t|%05d" .Name .State.Pid .State.Running .Name .Name .State.Running .RestartCount}}'),
  inspect('3 slice index len js html urlquery', '{{slice .Id 0 5}} {{index .Config.Labels "app"}} {{len .Config.Cmd}} {{js "<a&b>\'"}} {{html "<a&b>"}} {{urlquery "a b&c"}}'),
  inspect('3 comparisons and logic', '{{if eq .State.Status "running"}}yes{{else}}no{{end}} {{and 1 0}} {{or 0 "x"}} {{not true}} {{lt 1 2}} {{le 2 2}} {{gt 1 2}} {{ge 2 2}} {{ne 1 2}}'),
  inspect('3 with/else, else if', '{{with .State.Health}}h{{else}}none{{end}} {{if .State.Paused}}p{{else if .State.Running}}r{{end}}'),
  inspect('3 trim markers, comments, pipelines', '{{/* c */}}{{- .Name -}}   {{ .Name | len | printf "%03d" }} {{(index .Config.Cmd 0) | printf "%q"}}'),
  inspect('3 docker functions', '{{json .Config.Labels}} {{join .Config.Cmd ","}} {{split "a,b" ","}} {{title "hello world"}} {{upper "x"}} {{lower "Y"}} {{pad "x" 1 2}}| {{truncate "abcdef" 3}}'),
  inspect('3 print, println, numbers', '{{println .Name 1 2}}{{print 1 2 "a" 3}} {{1.5}} {{1e6}} {{printf "%5.2f|%e|%g" 3.14159 1234.5 0.000001}}'),
  inspect('3 range break', '{{range .Config.Cmd}}{{if eq . "600"}}{{break}}{{end}}{{.}}{{end}}'),
  inspect('3 missing field: error, exit 1', '{{.Nope}}'),
  inspect('3 missing nested field', '{{.State.Nope}}'),
  inspect('3 function error', '{{index .Config.Cmd 5}}'),
  inspect('3 one of two fails', '{{.Name}}', '{running}', '{img}'),
  inspect('3 parse error: 64', '{{.Nope'),
  inspect('3 parse error: bad character', '{{.Name}'),
  inspect('3 parse error: unknown function', '{{nosuch .Name}}'),
  inspect('3 parse error: unexpected end', '{{end}}'),
  inspect('3 parse error: missing end', '{{range .Config.Cmd}}'),
  inspect('3 image structs', '{{.Metadata.LastTagTime.IsZero}}', '{img}'),
  { why: '3 image structs', args: ['image', 'inspect', '-f', '{{.RootFS}}|{{.Size}}|{{.Config}}|{{.ContainerConfig}}', '{img}'] },
  { why: '3 method call', args: ['ps', '--filter', 'name=tsdpar-running', '--format', '{{.Label "app"}}|{{.Label "nope"}}|{{.Platform}}|{{.Labels}}'] },
  { why: '3 method header', args: ['ps', '--filter', 'name=tsdpar-running', '--format', 'table {{.Names}}\t{{.Label "app"}}'] },
  { why: '3 method arity', args: ['ps', '--format', '{{.Label}}'] },
  { why: '3 ps missing field', args: ['ps', '--format', 'table {{.Nope}}'] },
  { why: '3 ps parse error', args: ['ps', '--format', '{{.Nope'] },
  { why: '3 images missing field', args: ['images', '--format', '{{.Nope}}'] },
  { why: '3 images parse error', args: ['images', '--format', '{{.Nope'] },
  { why: '3 history parse error', args: ['history', '--format', '{{.Nope', '{img}'] },
  { why: '3 df missing field', args: ['system', 'df', '--format', '{{.Nope}}'] },
  { why: '3 context ls missing field', args: ['context', 'ls', '--format', '{{.Nope}}'] },
  { why: '3 version Client', args: ['version', '-f', '{{.Client.APIVersion}} {{.Client.Version}} {{.Server.APIVersion}}'] },
  { why: '3 version missing field', args: ['version', '-f', '{{.Nope}}'] },
  { why: '3 version parse error', args: ['version', '-f', '{{.Nope'] },
  { why: '3 info missing field', args: ['info', '-f', '{{.Nope}}'] },
  { why: '3 info parse error', args: ['info', '-f', '{{.Nope'] },
  { why: '3 info fields', args: ['info', '-f', '{{.Containers}} {{.ClientInfo.Debug}} {{.ClientInfo.Context}}'] },
  { why: '3 events parse error', args: ['events', '--since', '0', '--until', '1', '--format', '{{.Nope'] },
];

export const JSON_CASES: FormatCase[] = [
  { why: '4 ps json', args: ['ps', '--filter', 'name=tsdpar-running', '--format', 'json'] },
  { why: '4 ps {{json .}} sizes', args: ['ps', '--filter', 'name=tsdpar-running', '--format', '{{json .}}'] },
  { why: '4 ps -q wins over --format, with a warning', args: ['ps', '-q', '--filter', 'name=tsdpar-running', '--format', '{{.Names}}'] },
  { why: '4 images json (HTML escaped, sizes)', args: ['images', '--format', 'json', '{img}'] },
  { why: '4 images size columns', args: ['images', '--format', 'table {{.ID}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.VirtualSize}}\t{{.Size}}\t{{.Containers}}', '{img}'] },
  { why: '4 images --format wins over -q', args: ['images', '-q', '--format', '{{.Repository}}', '{img}'] },
  { why: '4 history json', args: ['history', '--format', 'json', '{img}'] },
  { why: '4 history --format wins over -q', args: ['history', '-q', '--format', '{{.Size}}', '{img}'] },
  { why: '4 system df counts as strings', args: ['system', 'df', '--format', 'json'] },
  { why: '4 inspect json: one array', args: ['inspect', '--format', 'json', '{running}', '{img}'] },
  { why: '4 image inspect json', args: ['image', 'inspect', '--format', 'json', '{img}'] },
  inspect('4 typed JSON: Go order, zero values, omitempty, sorted maps', '{{json .NetworkSettings}}|{{json .Config}}|{{json .State}}|{{json .HostConfig}}|{{json .Mounts}}'),
  inspect('4 typed JSON: the whole container', '{{json .}}'),
  { why: '4 typed JSON: image', args: ['image', 'inspect', '-f', '{{json .Config}}|{{json .}}', '{img}'] },
  { why: '4 version Client json', args: ['version', '-f', '{{json .Client}}'], mask: CLIENT_BUILD },
  { why: '4 info ClientInfo json', args: ['info', '-f', '{{json .ClientInfo}}'], mask: CLIENT_BUILD },
];
