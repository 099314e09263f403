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
];
