// scripts/check-layers.mjs on this tree (it must pass: every breach is fixed or
// listed in its KNOWN with who removes it) and on a fixture tree that breaks
// each rule once, next to cases just inside the limits.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'check-layers.mjs');
const fixture = mkdtempSync(join(tmpdir(), 'tsd-layers-'));
afterAll(() => rmSync(fixture, { recursive: true, force: true }));

function run(root: string): { status: number | null; lines: string[] } {
  const r = spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8', cwd: ROOT });
  expect(r.stderr).toBe('');
  return { status: r.status, lines: r.stdout.trim().split('\n') };
}

function put(rel: string, text: string): void {
  mkdirSync(dirname(join(fixture, rel)), { recursive: true });
  writeFileSync(join(fixture, rel), text);
}

const fn = (name: string, lines: number): string => `export function ${name}(): number {\n${'  void 0;\n'.repeat(lines - 3)}  return 0;\n}\n`;

describe('check-layers', () => {
  it('passes on this tree', () => {
    const r = run(ROOT);
    expect(r.lines).toEqual(['layers: ok']);
    expect(r.status).toBe(0);
  });

  it('reports each kind of breach in a tree that has them, and nothing just inside the limits', () => {
    put('src/errors.ts', 'export class TsdError extends Error {}\n');
    put('src/api/up.ts', "import type { X } from '../container/x';\nexport type Up = X;\n");
    put('src/container/x.ts', "import { y } from './y';\nexport type X = number;\nexport const x = (): number => y();\n");
    put('src/container/y.ts', "import { x } from './x';\nexport const y = (): number => x();\n");
    put('src/container/ok.ts', "import { TsdError } from '../errors';\nimport type { G } from '../graph/g';\nexport const ok: G = 1;\nexport { TsdError };\n");
    put('src/graph/g.ts', 'export type G = number;\n');
    put('src/cli/c.ts', "import type { G } from '../graph/g';\nimport type { Up } from '../api/up';\nexport type C = G | Up;\n");
    put('src/daemon/d.ts', "import type { C } from '../cli/c';\nexport type D = C;\n");
    put('src/engine/e.ts', "export const e = async () => (await import('../daemon/d')) as unknown;\n");
    put('src/graph/long.ts', '// line\n'.repeat(401));
    put('src/graph/fit.ts', '// line\n'.repeat(400));
    put('src/graph/fn.ts', fn('tooLong', 81) + fn('justFits', 80));
    put('src/mystery/z.ts', 'export const z = 1;\n');
    put('native/src/a.h', '#include "b.h"\n');
    put('native/src/b.h', '#include "a.h"\n#include <stdio.h>\n');
    put('native/src/c.c', '#include "a.h"\n');

    const r = run(fixture);
    expect(r.status).toBe(1);
    const problems = r.lines.filter((l) => !l.includes('no longer happens'));
    expect(problems.sort()).toEqual(
      [
        'src/api/up.ts -> src/container/x.ts: imports from layer 3 (src/container, src/network, src/volume, src/registry, src/build), above or beside layer 0 (src/errors.ts, src/api, src/types)',
        'src/cli/c.ts -> src/graph/g.ts: imports from layer 2 (src/archive, src/graph, src/runtime), above or beside the CLI',
        'src/daemon/d.ts -> src/cli/c.ts: imports from the CLI, above or beside layer 5 (src/daemon)',
        'src/engine/e.ts -> src/daemon/d.ts: imports from layer 5 (src/daemon), above or beside layer 4 (src/engine)',
        'import circle: src/container/x.ts <-> src/container/y.ts',
        'src/graph/long.ts: 401 lines (over 400): give a concern its own file',
        'src/graph/fn.ts#tooLong: 81 lines (over 80)',
        'src/mystery/z.ts: in no layer of scripts/check-layers.mjs LAYERS: place its directory there',
        '#include circle: native/src/a.h <-> native/src/b.h',
      ].sort(),
    );
    // The tree's KNOWN entries match nothing here: each is reported, so the list can only shrink.
    expect(r.lines.filter((l) => l.includes('no longer happens'))).toContain(
      'circles "src/cli/commands/cp-run.ts <-> src/cli/commands/cp.ts" (cli fixes it) no longer happens: remove it from KNOWN',
    );
  });
});
