// closeStateRoot: the repair an install made by an older tsdockerd gets at start.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeStateRoot } from '../../src/state/dirs';

const dir = mkdtempSync(join(tmpdir(), 'tsd-dirs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mode = (path: string) => (statSync(path).mode & 0o7777).toString(8);

describe('closeStateRoot', () => {
  it('creates a missing root 0700, parents included', () => {
    closeStateRoot(join(dir, 'new', 'root'));
    expect(mode(join(dir, 'new'))).toBe('700');
    expect(mode(join(dir, 'new', 'root'))).toBe('700');
  });

  it('takes the group and other bits from the root and its first level only, never through a symlink', () => {
    const root = join(dir, 'old');
    mkdirSync(join(root, 'layers', 'abc', 'diff'), { recursive: true });
    chmodSync(root, 0o711);
    chmodSync(join(root, 'layers'), 0o755);
    chmodSync(join(root, 'layers', 'abc', 'diff'), 0o755);
    writeFileSync(join(root, 'tsdocker.db'), '', { mode: 0o644 });
    const outside = join(dir, 'outside');
    writeFileSync(outside, '', { mode: 0o644 });
    symlinkSync(outside, join(root, 'link'));
    mkdirSync(join(root, 'setgid'), { mode: 0o2775 });
    chmodSync(join(root, 'setgid'), 0o2775);

    closeStateRoot(root);
    expect(mode(root)).toBe('700');
    expect(mode(join(root, 'layers'))).toBe('700');
    expect(mode(join(root, 'tsdocker.db'))).toBe('600');
    expect(mode(join(root, 'setgid'))).toBe('2700');
    expect(mode(join(root, 'layers', 'abc', 'diff'))).toBe('755'); // a layer's own root directory keeps its mode
    expect(mode(outside)).toBe('644');
  });

  it('closes the directory a root given as a symlink points to', () => {
    const target = join(dir, 'disk', 'tsdocker');
    mkdirSync(target, { recursive: true, mode: 0o755 });
    chmodSync(target, 0o755);
    symlinkSync(target, join(dir, 'linked-root'));
    closeStateRoot(join(dir, 'linked-root'));
    expect(mode(target)).toBe('700');
  });
});
