// Issue 16's "done when": every invocation in parity-cases.ts through both
// CLIs — tsdocker and the docker CLI 28 — against ONE tsdockerd, with stdout,
// stderr and exit code compared once the variable parts are masked: IDs,
// times, sizes of things made at run time, and the program's name (the
// differences on purpose, listed in the README). Skips (saying so) where the
// docker CLI is not installed.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, type CommandResult } from '../helpers/daemon';
import { PARITY_CASES, type ParityCase } from './parity-cases';
import { hasDocker, removeTestObjects, startTarget, TEST_IMAGE, type Target } from './target';

const IMG2 = 'tsdpar-busybox:two';
const RUNNING = 'tsdpar-running';
const STOPPED = 'tsdpar-stopped';

let t: Target;
beforeAll(async () => {
  if (!hasDocker) return;
  t = await startTarget();
  ok(t.cli(['tag', TEST_IMAGE, IMG2]));
  ok(t.cli(['run', '-d', '--name', RUNNING, TEST_IMAGE, 'sleep', '600']));
  ok(t.cli(['create', '--name', STOPPED, TEST_IMAGE, 'true']));
});
afterAll(async () => {
  if (!t) return;
  removeTestObjects(t, 'tsdpar-');
  t.cli(['rmi', IMG2]);
  await t.cleanup();
});

/** The parts that differ from run to run, and the program's name, made alike. */
function mask(text: string, extra: [RegExp, string][] = []): string {
  // The program's name either way; the daemon's (tsdocker Engine) too, in both.
  let s = text.replace(/\b(ts)?docker\b/g, 'PROG');
  s = s.replace(/\/tmp\/tsdpar-dir-[A-Za-z0-9]+/g, 'DIR');
  s = s.replace(/\b(sha256:)?[0-9a-f]{64}\b/g, '$1ID').replace(/\b[0-9a-f]{12}\b/g, 'ID');
  s = s.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g, 'TIME');
  s = s.replace(/(About (a|an) \w+|Less than a second|\d+ \w+) ago/g, 'AGO');
  s = s.replace(/(Up|Exited \(\d+\)) (About (a|an) \w+|Less than a second|\d+ \w+)/g, '$1 SINCE');
  for (const [re, by] of extra) s = s.replace(re, by);
  // Table columns are as wide as their widest (masked) cell.
  s = s.replace(/ {2,}/g, '  ');
  return s;
}

function expand(args: string[], dir: string): string[] {
  return args.map((a) =>
    a.replaceAll('{img}', TEST_IMAGE).replaceAll('{img2}', IMG2).replaceAll('{running}', RUNNING).replaceAll('{stopped}', STOPPED).replaceAll('{dir}', dir),
  );
}

/** One CLI's run of a case, its before/after around it, masked. */
function runCase(c: ParityCase, program: 'docker' | 'tsdocker'): CommandResult {
  const dir = mkdtempSync('/tmp/tsdpar-dir-');
  try {
    for (const b of c.before ?? []) t.cli(expand(b, dir));
    const args = expand(c.args, dir);
    const opts = { ...(c.input !== undefined ? { input: c.input } : {}), timeout: 20_000 };
    const r = program === 'docker' ? t.docker(args, opts) : t.cli(args, opts);
    for (const a of c.after ?? []) t.cli(expand(a, dir));
    return {
      code: r.code,
      stdout: c.ignore?.includes('stdout') ? '(ignored)' : mask(r.stdout, c.mask),
      stderr: c.ignore?.includes('stderr') ? '(ignored)' : mask(r.stderr, c.mask),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!hasDocker)('parity with the docker CLI (skipped where it is not installed)', () => {
  it.each(PARITY_CASES.map((c) => [c.why, c.args.join(' '), c] as const))('%s: %s', (_why, _line, c) => {
    const theirs = runCase(c, 'docker');
    const ours = runCase(c, 'tsdocker');
    // spawnSync's timeout (a hang, e.g. stdin's EOF never reaching the container) is -1: never a match.
    expect(ours.code, 'tsdocker timed out').not.toBe(-1);
    expect(ours).toEqual(theirs);
  });
});
