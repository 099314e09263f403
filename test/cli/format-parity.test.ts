// Issue 16 points 3 and 4: each case of format-cases.ts through both CLIs —
// tsdocker and the docker CLI 28 — against ONE tsdockerd, stdout, stderr and
// exit code compared once IDs, times and the program's name are masked.
// Skips (saying so) where the docker CLI is not installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, type CommandResult } from '../helpers/daemon';
import { type FormatCase, JSON_CASES, TEMPLATE_CASES } from './format-cases';
import { hasDocker, startTarget, TEST_IMAGE, type Target } from './target';

const RUNNING = 'tsdpar-running';
const STOPPED = 'tsdpar-stopped';

let t: Target;
beforeAll(async () => {
  if (!hasDocker) return;
  t = await startTarget();
  ok(t.cli(['run', '-d', '--name', RUNNING, '-l', 'app=web', TEST_IMAGE, 'sleep', '600']));
  ok(t.cli(['create', '--name', STOPPED, TEST_IMAGE, 'true']));
}, 60_000);
afterAll(async () => {
  if (!t) return;
  t.cli(['rm', '-f', RUNNING, STOPPED]);
  await t.cleanup();
});

function mask(text: string, program: 'docker' | 'tsdocker', extra: [RegExp, string][] = []): string {
  let s = text.replace(program === 'docker' ? /\bdocker\b/g : /\btsdocker\b/g, 'PROG');
  s = s.replace(/\b(sha256:)?[0-9a-f]{64}\b/g, '$1ID').replace(/\b[0-9a-f]{12}\b/g, 'ID');
  s = s.replace(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?( ?(Z|[+-]\d\d:?\d\d)( UTC)?)?/g, 'TIME');
  s = s.replace(/(About (a|an) \w+|Less than a second|\d+ \w+) ago/g, 'AGO');
  s = s.replace(/(Up|Exited \(\d+\)) (About (a|an) \w+|Less than a second|\d+ \w+)/g, '$1 SINCE');
  s = s.replace(/"Pid":\d+|\b(true|false) \d{2,} 0 /g, (m) => m.replace(/\d{2,}/, 'PID'));
  for (const [re, by] of extra) s = s.replace(re, by);
  return s;
}

function run(c: FormatCase, program: 'docker' | 'tsdocker'): CommandResult {
  const args = c.args.map((a) => a.replaceAll('{img}', TEST_IMAGE).replaceAll('{running}', RUNNING).replaceAll('{stopped}', STOPPED));
  const r = program === 'docker' ? t.docker(args, { timeout: 20_000 }) : t.cli(args, { timeout: 20_000 });
  return { code: r.code, stdout: mask(r.stdout, program, c.mask), stderr: mask(r.stderr, program, c.mask) };
}

describe.skipIf(!hasDocker)('--format as the docker CLI runs it (skipped where it is not installed)', () => {
  it.each([...TEMPLATE_CASES, ...JSON_CASES].map((c) => [c.why, c.args.join(' '), c] as const))('%s: %s', (_why, _line, c) => {
    const theirs = run(c, 'docker');
    const ours = run(c, 'tsdocker');
    expect(ours).toEqual(theirs);
    // A case that shows nothing shows no difference either.
    expect(`${theirs.stdout}${theirs.stderr}`).not.toBe('');
  });
});
