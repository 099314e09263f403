// `images --tree` through both CLIs against one tsdockerd, byte for byte: off
// a terminal, and on one (script(1)'s pty) at a wide and a narrow width, where
// docker colours it, moves the legend and drops the columns that no longer fit.
// A multi-platform image's tree (an index pulled from a registry) is in
// test/integration/pull.test.ts.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ok } from '../helpers/daemon';
import { hasDocker, removeTestObjects, startTarget, TEST_IMAGE, type Target } from './target';

const P = 'tsdcli-tree-';
let t: Target;

beforeAll(async () => {
  if (!hasDocker) return;
  t = await startTarget();
  ok(t.cli(['tag', TEST_IMAGE, `${P}a-longer-name/busybox:two`]));
  ok(t.cli(['run', '-d', '--name', `${P}running`, TEST_IMAGE, 'sleep', '600']));
  ok(t.cli(['commit', `${P}running`, `${P}committed:1`]));
}, 60_000);
afterAll(async () => {
  if (!t) return;
  removeTestObjects(t, P);
  t.cli(['rmi', `${P}a-longer-name/busybox:two`, `${P}committed:1`]);
  await t.cleanup();
});

/** `program args` on a terminal `columns` wide: what it wrote, as the terminal got it. */
function onTerminal(program: string, args: string[], columns: number): string {
  const line = `stty cols ${columns} rows 40; ${program} ${args.join(' ')}`;
  const r = spawnSync('script', ['-qec', line, '/dev/null'], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: t.host, TSDOCKER_HOST: t.host } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe.skipIf(!hasDocker)('images --tree as the docker CLI draws it (skipped where it is not installed)', () => {
  it.each([[['images', '--tree']], [['images', '--tree', '-a']], [['image', 'ls', '--tree', '--filter', `reference=${P}*`]]])('off a terminal: %j', (args) => {
    const theirs = t.docker(args);
    expect(theirs.stdout).toContain('└─ linux/amd64');
    expect(t.cli(args)).toEqual(theirs);
  });

  it.each([100, 40])('on a terminal %i columns wide', (columns) => {
    const theirs = onTerminal('docker', ['images', '--tree'], columns);
    expect(theirs).toContain('\x1b[38;5;0m\x1b[48;5;14m U \x1b[0m');
    expect(onTerminal(CLI, ['images', '--tree'], columns)).toBe(theirs);
  });

  it('the flags it cannot show yet, and an API older than 1.47, refused as docker does', () => {
    for (const flag of ['-q', '--no-trunc', '--digests', '--format=json']) {
      const theirs = t.docker(['images', '--tree', flag]);
      expect(theirs.code).toBe(1);
      expect(t.cli(['images', '--tree', flag])).toEqual(theirs);
    }
    const old = { env: { DOCKER_API_VERSION: '1.46' } };
    expect(t.cli(['images', '--tree'], old)).toEqual(t.docker(['images', '--tree'], old));
  });
});
