// The invocations test/cli/parity.test.ts runs through both CLIs (tsdocker and
// the docker CLI) against one tsdockerd, comparing stdout, stderr and exit
// code once the variable parts are masked (IDs, times, the program's name).
//
// A case is plain data. In `args`, `before` and `after` these placeholders
// are replaced before running:
//   {img}      the busybox test image (imported as tsdcli-busybox:latest, also tagged {img2})
//   {img2}     a second tag of the same image (tsdpar-busybox:two)
//   {running}  a running container (sleep), {stopped} a created, never started one
//   {dir}      a fresh, empty directory for this CLI's run of the case
// `before`/`after` run with our CLI around each CLI's run of the case (so a
// case may create and remove its own objects; name them tsdpar-…).
// Each lane appends its cases to its own list below, so merges stay apart.

export interface ParityCase {
  /** Why the case is here: the issue point it shows, or "everyday". */
  why: string;
  args: string[];
  /** stdin's content; none means /dev/null. */
  input?: string;
  before?: string[][];
  after?: string[][];
  /** More masking for this case: pattern (global) → replacement, applied to both outputs. */
  mask?: [RegExp, string][];
  /** Streams left out of the comparison, each with its reason in `why`. */
  ignore?: ('stdout' | 'stderr')[];
}

/** Everyday commands that already matched when the test was written. */
export const EVERYDAY_CASES: ParityCase[] = [
  // One repository: docker prints the repositories of one image in Go's (random) map order.
  { why: 'everyday', args: ['images', '--filter', 'reference=tsdcli-*'] },
  { why: 'everyday', args: ['images', '{img}'] },
  { why: 'everyday', args: ['ps', '-a', '--filter', 'name=tsdpar-'] },
  { why: 'everyday', args: ['ps', '-q', '--filter', 'name=tsdpar-nosuch'] },
  { why: 'everyday', args: ['inspect', '-f', '{{.State.Status}}', '{running}'] },
  { why: 'everyday', args: ['run', '--rm', '{img}', 'echo', 'hello'] },
  { why: 'everyday', args: ['run', '--rm', '{img}', 'sh', '-c', 'exit 3'] },
  { why: 'everyday', args: ['exec', '{running}', 'echo', 'hi'] },
  { why: 'everyday', args: ['logs', '{stopped}'] },
  { why: 'everyday', args: ['rm', 'tsdpar-nosuch'] },
  { why: 'everyday', args: ['inspect', 'tsdpar-nosuch'] },
  { why: 'everyday', args: ['nosuchcmd'] },
];

/** Issue 16 point 2: flags as pflag parses them, usage errors, help. */
export const FLAG_CASES: ParityCase[] = [
  { why: '2 bool=value', args: ['images', '-a=true', '{img}'] },
  { why: '2 bool=value', args: ['images', '--no-trunc=false', '{img}'] },
  { why: '2 bool=value', args: ['history', '-q=true', '{img}'] },
  { why: '2 bool=value', args: ['image', 'prune', '-f=true'] },
  { why: '2 bool=value', args: ['rmi', '-f=false', 'tsdpar-nosuch'] },
  { why: '2 bool=value', args: ['ps', '-a=false', '-q', '--filter', 'name=tsdpar-'] },
  { why: '2 history -H', args: ['history', '-H=false', '--format', '{{.Size}}', '{img}'] },
  { why: '2 history --human', args: ['history', '--human=false', '--format', '{{.Size}}', '{img}'] },
  { why: '2 no --no-human', args: ['history', '--no-human', '{img}'] },
  { why: '2 usage error', args: ['rm'] },
  { why: '2 usage error', args: ['inspect'] },
  { why: '2 usage error', args: ['tag', '{img}'] },
  { why: '2 usage error', args: ['image', 'rm'] },
  { why: '2 usage error', args: ['history'] },
  { why: '2 usage error', args: ['ps', 'extra'] },
  { why: '2 unknown shorthand', args: ['ps', '-z'] },
  { why: '2 unknown flag', args: ['ps', '--nosuch'] },
  { why: '2 unknown flag', args: ['images', '--nosuch'] },
  { why: '2 bad bool value', args: ['ps', '-a=maybe'] },
  { why: '2 missing value', args: ['ps', '--filter'] },
  { why: '2 management command alone', args: ['container'] },
  // `image build` comes with the build issue: until then its line is the one difference.
  { why: '2 management command alone', args: ['image'], mask: [[/^ {2}build .*\n/gm, '']] },
  { why: '2 management command alone', args: ['system'] },
  { why: '2 --help layout', args: ['rm', '--help'] },
  { why: '2 --help layout', args: ['logs', '--help'] },
  { why: '2 --help layout', args: ['exec', '--help'] },
  { why: '2 --help layout', args: ['container', 'stop', '--help'] },
  { why: '2 --help layout', args: ['tag', '--help'] },
  { why: '2 --help layout', args: ['ps', '--help'] },
  { why: '2 --help layout', args: ['image', 'prune', '--help'] },
  { why: '2 --help layout', args: ['info', '--help'] },
  { why: '2 --help layout', args: ['system', 'df', '--help'] },
  { why: '2 unknown command', args: ['container', 'nosuch'] },
  { why: '2 unknown command', args: ['image', 'nosuch'] },
  { why: '2 argument counts', args: ['images', 'a', 'b'] },
  { why: '2 argument counts', args: ['commit'] },
  { why: '2 argument counts', args: ['exec', '{running}'] },
  { why: '2 argument counts', args: ['import'] },
  { why: '2 bool=value', args: ['run', '--rm', '-t=false', '-i=false', '{img}', 'true'] },
  { why: '2 bad value', args: ['run', '-m', '1x', '{img}'] },
];

/** Issue 16 point 5: output details. */
export const OUTPUT_CASES: ParityCase[] = [
  { why: '5 images -q per tag', args: ['images', '-q', '--filter', 'reference=*busybox*'] },
  { why: '5 rmi -f missing', args: ['rmi', '-f', 'tsdpar-nosuch'] },
  { why: '5 attach stopped', args: ['attach', '{stopped}'] },
  { why: '5 --version (the build is our own)', args: ['--version'], mask: [[/^Docker version/g, 'PROG version'], [/build \S+$/gm, 'build B']] },
  // The client's own Go version, commit and build time differ on purpose; the server's lines are the same.
  { why: '5 version', args: ['version'], mask: [[/^ (Go version|Git commit|Built): .*$/gm, ' $1: X']] },
  // docker ranges over a Go map for the runtimes: an order of its own on each run.
  { why: '5 info', args: ['info'], mask: [[/^ Runtimes: .*$/gm, ' Runtimes: R']] },
];

/** Issue 16 point 6: no Node stack traces, docker's messages. */
export const ERROR_CASES: ParityCase[] = [
  { why: '6 load missing file', args: ['load', '-i', '{dir}/nosuch.tar'] },
  { why: '6 import missing file', args: ['import', '{dir}/nosuch.tar'] },
  { why: '6 save to missing dir', args: ['save', '-o', '/nonexistent/dir/x.tar', '{img}'] },
  { why: '6 export to missing dir', args: ['export', '-o', '/nonexistent/dir/x.tar', '{running}'] },
  // The docker CLI's words for these race (its read error, or the closed connection's): the exit code is compared.
  { why: '6 import a directory', args: ['import', '{dir}'], ignore: ['stderr'] },
  { why: '6 load a directory (and the daemon lives on)', args: ['load', '-i', '{dir}'], ignore: ['stderr'] },
  { why: '6 import a URL', args: ['import', 'http://127.0.0.1:1/x.tar'] },
  { why: '6 --env-file missing', args: ['run', '--rm', '--env-file', '{dir}/nosuch.list', '{img}', 'true'] },
  { why: '6 --env-file missing', args: ['create', '--env-file', '{dir}/nosuch.list', '{img}'] },
  { why: '6 --env-file missing', args: ['exec', '--env-file', '{dir}/nosuch.list', '{running}', 'true'] },
];

/** Issue 16 point 7: client-side validation (exit 125, nothing created). */
export const VALIDATION_CASES: ParityCase[] = [
  { why: '7 validation', args: ['create', '--add-host', 'bogus', '{img}'] },
  { why: '7 validation', args: ['create', '--dns', 'bogus', '{img}'] },
  { why: '7 validation', args: ['create', '--platform', 'bogus', '{img}'] },
  { why: '7 validation', args: ['create', '-v', ':/x', '{img}'] },
  { why: '7 validation', args: ['create', '--sysctl', 'bogus', '{img}'] },
  { why: '7 validation', args: ['create', '-e', '=x', '{img}'] },
  { why: '7 validation', args: ['create', '--security-opt', 'bogus', '{img}'] },
  { why: '7 validation', args: ['tag', '{img}', 'Bad:x'] },
  { why: '7 validation', args: ['--log-level', 'bogus', 'ps', '--filter', 'name=tsdpar-nosuch'] },
  { why: '7 validation', args: ['create', '--platform', 'linux/a b', '{img}'] },
  { why: '7 validation', args: ['create', '--platform', 'linux/amd64/v8/x', '{img}'] },
  { why: '7 validation', args: ['create', '--platform', 'linux/*', '{img}'] },
  { why: '7 validation', args: ['create', '--platform', '/amd64', '{img}'] },
  { why: '7 validation', args: ['create', '--device-cgroup-rule', 'bogus', '{img}'] },
  { why: '7 validation', args: ['create', '-a', 'STDIN', '-a', 'bogus', '{img}'] },
  { why: '7 validation', args: ['create', '--expose', '99999', '{img}'] },
  { why: '7 validation', args: ['create', '--expose', '80-70', '{img}'] },
  { why: '7 validation', args: ['create', '--expose', 'x', '{img}'] },
  { why: '7 validation', args: ['create', '--gpus', 'bogus', '{img}'] },
  { why: '7 validation', args: ['create', '--gpus', '2,bogus=1', '{img}'] },
  { why: '7 refused by the daemon: the hijack', args: ['run', '--rm', '--detach-keys', 'bogus', '{img}', 'true'] },
  { why: '7 refused by the daemon: the hijack', args: ['exec', '--detach-keys', 'bogus', '{running}', 'true'] },
  { why: '7 nothing created', args: ['ps', '-aq', '--filter', 'status=created', '--filter', 'name=tsdpar-nosuch'] },
];

/** Issue 16 point 8: stdin. */
export const STDIN_CASES: ParityCase[] = [
  { why: '8 stdin EOF before any byte', args: ['run', '-i', '--rm', '{img}', 'cat'] },
  { why: '8 stdin EOF before any byte', args: ['exec', '-i', '{running}', 'cat'] },
  { why: '8 stdin bytes', args: ['run', '-i', '--rm', '{img}', 'cat'], input: 'abc\n' },
];

/** Issue 16 point 9: flags and commands that were missing. */
export const MISSING_CASES: ParityCase[] = [
  { why: '9 --kernel-memory accepted, dropped', args: ['create', '--name', 'tsdpar-km', '--kernel-memory', '10m', '{img}'], after: [['rm', 'tsdpar-km']] },
  { why: '9 --gpus refused', args: ['create', '--gpus', 'all', '{img}'] },
  { why: '9 --gpus bad value', args: ['create', '--gpus', 'count=x', '{img}'] },
  { why: '9 device limits bad values', args: ['create', '--device-read-bps', 'sda:1mb', '{img}'] },
  { why: '9 device limits bad values', args: ['create', '--device-write-iops', '/dev/sda:x', '{img}'] },
  { why: '9 device limits bad values', args: ['create', '--blkio-weight-device', '/dev/sda:5', '{img}'] },
  { why: '9 --link-local-ip', args: ['create', '--name', 'tsdpar-lli', '--link-local-ip', '169.254.1.1', '{img}'], after: [['rm', 'tsdpar-lli']] },
  { why: '9 aliases', args: ['container', 'pause', 'tsdpar-nosuch'] },
  { why: '9 aliases', args: ['container', 'unpause', 'tsdpar-nosuch'] },
  { why: '9 aliases', args: ['container', 'stats', '--no-stream', 'tsdpar-nosuch'] },
  { why: '9 aliases', args: ['system', 'events', '--since', '0s', '--until', '0s'] },
  { why: '9 system prune asks first', args: ['system', 'prune'], input: 'n\n' },
  { why: '9 system df -v', args: ['system', 'df', '-v'] },
  { why: '9 weight device (warned where the kernel lacks it)', args: ['create', '--name', 'tsdpar-bw', '--blkio-weight-device', '/dev/null:100', '{img}'], after: [['rm', 'tsdpar-bw']] },
  { why: '9 system prune asks first', args: ['system', 'prune', '-a', '--volumes'], input: 'n\n' },
];

/** The commands tsdocker does not have yet (build, search, swarm, plugins…: other issues), left out of the root help. */
const NOT_YET = /^ {2}(build|search|builder|checkpoint|manifest|plugin|trust|config|node|secret|service|stack|swarm|tls) .*\n|^Swarm Commands:\n(.+\n)*\n/gm;
/** docker says "Docker" there, tsdocker its own name. */
const VERSION_LINE: [RegExp, string] = [/Show the (Docker|PROG) version information/g, 'Show the PROG version information'];

/** Issue 16 point 2: every command's --help as docker prints it (usage, long text, flags, types, defaults, aliases). */
export const HELP_CASES: ParityCase[] = [
  { why: '2 root help', args: ['--help'], mask: [[NOT_YET, ''], VERSION_LINE] },
  { why: '2 no arguments: help', args: [], mask: [[NOT_YET, ''], VERSION_LINE] },
  { why: '2 --help', args: ['version', '--help'], mask: [VERSION_LINE] },
  ...[
    ['run'], ['create'], ['container', 'run'], ['update'], ['cp'], ['pull'], ['push'], ['login'], ['logout'], ['images'], ['history'],
    ['import'], ['load'], ['save'], ['rmi'], ['image', 'inspect'], ['context'], ['context', 'create'], ['context', 'update'],
    ['context', 'show'], ['context', 'inspect'], ['context', 'export'], ['context', 'import'], ['context', 'ls'], ['context', 'rm'],
    ['network', 'ls'], ['network', 'rm'], ['network', 'connect'], ['network', 'create'], ['volume', 'create'], ['volume', 'ls'],
    ['volume', 'rm'], ['attach'], ['commit'], ['events'], ['exec'], ['info'], ['inspect'], ['kill'], ['port'], ['start'], ['stats'],
    ['stop'], ['system', 'prune'], ['wait'],
  ].map((path): ParityCase => ({ why: '2 --help', args: [...path, '--help'] })),
];

/** Leftovers of issue 16 closed later: images --tree, --use-api-socket, context show/update, push --platform, in-band errors. */
export const LATER_CASES: ParityCase[] = [
  { why: '9 images --tree', args: ['images', '--tree'] },
  { why: '9 images --tree', args: ['images', '--tree', '-a', '{img}'] },
  { why: '9 images --tree refusals', args: ['images', '--tree', '--format', 'json'] },
  { why: '9 images --tree refusals', args: ['image', 'ls', '--tree', '-q'] },
  { why: '9 --use-api-socket', args: ['run', '--rm', '--use-api-socket', '{img}', 'sh', '-c', 'cat $DOCKER_CONFIG/config.json; echo; echo $DOCKER_CONFIG; test -S /var/run/docker.sock && echo socket'] },
  { why: '9 --use-api-socket and a DOCKER_CONFIG of its own', args: ['run', '--rm', '--use-api-socket', '-e', 'DOCKER_CONFIG=/x', '{img}', 'sh', '-c', 'ls /run/secrets; echo $DOCKER_CONFIG'] },
  { why: '9 context show', args: ['context', 'show'] },
  { why: '9 context update', args: ['context', 'update', 'tsdpar-nosuch', '--description', 'x'], mask: [[/meta\/[0-9a-f]{64}/g, 'meta/ID']] },
  {
    why: '9 context create --from, update, inspect -f',
    args: ['context', 'inspect', '-f', '{{.Name}} {{.Metadata}} {{json .Endpoints}} {{.TLSMaterial}}', 'tsdpar-ctx2', 'default'],
    before: [['context', 'create', 'tsdpar-ctx1', '--docker', 'host=tcp://127.0.0.1:1'], ['context', 'create', 'tsdpar-ctx2', '--from', 'tsdpar-ctx1'], ['context', 'update', 'tsdpar-ctx2', '--description', 'd']],
    after: [['context', 'rm', 'tsdpar-ctx1', 'tsdpar-ctx2']],
    mask: [[/(meta|tls)\/[0-9a-f]{64}/g, '$1/ID']],
  },
  { why: '9 context create: --docker and --from', args: ['context', 'create', 'tsdpar-ctx3', '--from', 'default', '--docker', 'host=tcp://127.0.0.1:1'] },
  { why: '9 context inspect -f: typed only', args: ['context', 'inspect', '-f', '{{.Nope}}', 'default'] },
  // The image is not here: the push ends before any registry is asked.
  { why: '9 push --platform', args: ['push', '--platform', 'linux/amd64', '127.0.0.1:1/tsdpar-nosuch'] },
  { why: '9 push --platform', args: ['push', '--platform', 'bogus', '127.0.0.1:1/tsdpar-nosuch'] },
  { why: '9 --platform checked', args: ['save', '--platform', 'bogus', '{img}'] },
  { why: '9 --platform checked', args: ['rmi', '--platform', 'bogus', 'tsdpar-nosuch'] },
  { why: '9 --platform checked', args: ['history', '--platform', 'bogus', '{img}'] },
  { why: '6 in-band error: the message alone', args: ['load'], input: 'x'.repeat(2000) },
  { why: '2 cobra counts context use', args: ['context', 'use'] },
  { why: '2 unknown command in a group', args: ['volume', 'nosuch'] },
  { why: '9 volume update (a swarm command)', args: ['volume', 'update', 'tsdpar-nosuch'] },
  { why: '5 context ls: DOCKER_HOST wins', args: ['context', 'ls', '-q'] },
  { why: '6 context file errors', args: ['context', 'import', 'tsdpar-ctx4', '{dir}/nosuch.tar'] },
  { why: '6 context file errors', args: ['context', 'export', 'default', '{dir}/no/such'] },
  { why: '6 context file errors', args: ['context', 'create', 'tsdpar-ctx5', '--docker', 'ca={dir}/nosuch.pem'] },
  { why: '7 -H as docker parses it', args: ['-H', 'bogus://x', 'ps'] },
  { why: '7 -H as docker parses it', args: ['-H', 'npipe:////./pipe/x', 'ps'] },
  { why: '7 -H as docker parses it', args: ['-H', 'unix:///a.sock', '-H', 'unix:///b.sock', 'ps'] },
  { why: '7 TLS files read at start', args: ['--tlsverify', '--tlscacert', '{dir}/nosuch.pem', 'ps'] },
  { why: '6 login: an empty password', args: ['login', '-u', 'x', '--password-stdin', '127.0.0.1:1'] },
  { why: '4 volume ls json', args: ['volume', 'ls', '--format', 'json', '--filter', 'name=tsdpar-vol2'], before: [['volume', 'create', 'tsdpar-vol2']], after: [['volume', 'rm', 'tsdpar-vol2']] },
  { why: '3 volume ls: no CreatedAt', args: ['volume', 'ls', '--format', '{{.CreatedAt}}'] },
  {
    why: '3 volume inspect typed, json as an array',
    args: ['volume', 'inspect', '--format', '{{.Labels}} {{.Options}} {{.Nope}}', 'tsdpar-vol3'],
    before: [['volume', 'create', 'tsdpar-vol3']],
    after: [['volume', 'rm', 'tsdpar-vol3']],
  },
  { why: '4 volume inspect json', args: ['volume', 'inspect', '--format', 'json', 'tsdpar-vol4'], before: [['volume', 'create', 'tsdpar-vol4']], after: [['volume', 'rm', 'tsdpar-vol4']] },
  { why: '4 system df -v json', args: ['system', 'df', '-v', '--format', 'json'] },
  { why: '4 version: the engine build time as docker shows it', args: ['version', '--format', '{{json .Server.Components}}'] },
  { why: '4 info: maps in Go order', args: ['info', '--format', '{{json .RegistryConfig}}|{{json .Runtimes}}'] },
  { why: '9 volume create --name (hidden)', args: ['volume', 'create', '--name', 'tsdpar-vol'], after: [['volume', 'rm', 'tsdpar-vol']] },
];

/** cli-format lane (issue 16 points 1, 3, 4): templates, --format json. Append here. */
export const FORMAT_CASES: ParityCase[] = [];

export const PARITY_CASES: ParityCase[] = [
  ...EVERYDAY_CASES,
  ...FLAG_CASES,
  ...OUTPUT_CASES,
  ...ERROR_CASES,
  ...VALIDATION_CASES,
  ...STDIN_CASES,
  ...MISSING_CASES,
  ...FORMAT_CASES,
  ...HELP_CASES,
  ...LATER_CASES,
];
