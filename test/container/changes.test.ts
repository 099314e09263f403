// docker diff over a real overlay mount: two image layers (with a whiteout and
// an opaque dir of their own), an upper dir, changes made through the merged
// view as a container would make them.
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changes } from '../../src/container/changes';
import { lsetxattr, mknod, mount, umount2, MNT_DETACH } from '../../src/native';
import { OPAQUE_XATTR, S_IFCHR } from '../../src/archive/whiteout';

const isRoot = process.getuid?.() === 0;
const OLD = new Date('2020-01-01T00:00:00Z');

let dir: string;
let merged: string;
let mounted = false;
const upper = () => join(dir, 'upper');
const lowers = () => [join(dir, 'l2'), join(dir, 'l1')];

function files(root: string, spec: Record<string, string | null>): void {
  // "path/": directory, "path": file with content, null: whiteout.
  for (const [p, content] of Object.entries(spec)) {
    const host = join(root, p);
    if (p.endsWith('/')) mkdirSync(host, { recursive: true });
    else {
      mkdirSync(join(host, '..'), { recursive: true });
      if (content === null) mknod(host, S_IFCHR, 0, 0);
      else writeFileSync(host, content);
    }
  }
}

/** Every entry gets the same old mtime, as unpacked layers have. */
function age(root: string, paths: string[]): void {
  for (const p of paths.sort().reverse()) utimesSync(join(root, p), OLD, OLD);
}

beforeAll(() => {
  if (!isRoot) return;
  dir = mkdtempSync(join(tmpdir(), 'tsd-changes-'));
  const l1 = join(dir, 'l1');
  const l2 = join(dir, 'l2');
  const l1Files = {
    'etc/passwd': 'root:x:0:0\n', 'etc/group': 'root:x:0:\n', 'etc/mode': 'm', 'etc/touched': 't', 'etc/readonly': 'r',
    'bin/tool': 'tool', 'bin/keep': 'keep',
    'usr/share/doc/a': 'a', 'usr/share/doc/b': 'b', 'usr/lib/deep/file': 'f',
    'opt/app/a': 'a', 'opt/app/b': 'b',
    'data/x': 'x',
    'gone': 'lower1 only',
    'etc2/hidden': 'hidden by the opaque etc2 of l2',
  };
  files(l1, l1Files);
  // l2: a whiteout of /gone and an opaque /etc2 (the image shows neither /gone nor /etc2/hidden).
  files(l2, { 'gone': null, 'etc2/': '', 'etc2/keep': 'k', 'bin/': '', 'bin/fromtop': 'top' });
  lsetxattr(join(l2, 'etc2'), OPAQUE_XATTR, Buffer.from('y'));
  const all = (root: string, spec: Record<string, unknown>) => {
    const set = new Set<string>();
    for (const p of Object.keys(spec)) {
      const parts = p.replace(/\/$/, '').split('/');
      for (let i = 1; i <= parts.length; i++) set.add(parts.slice(0, i).join('/'));
    }
    age(root, [...set]);
  };
  all(l1, l1Files);
  all(l2, { 'etc2/keep': '', 'bin/fromtop': '' });
  for (const d of ['upper', 'work', 'merged']) mkdirSync(join(dir, d));
  merged = join(dir, 'merged');
  mount('overlay', merged, 'overlay', 0, `lowerdir=${l2}:${l1},upperdir=${upper()},workdir=${join(dir, 'work')}`);
  mounted = true;
});

afterAll(() => {
  if (mounted) umount2(merged, MNT_DETACH);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const m = (p: string) => join(merged, p);

describe.skipIf(!isRoot)('changes', () => {
  it('is empty before the container changes anything, even after reads', () => {
    expect(readFileSync(m('etc/readonly'), 'utf8')).toBe('r');
    expect(changes(upper(), lowers())).toEqual([]);
    expect(changes(join(dir, 'no-such-upper'), lowers())).toEqual([]);
  });

  it("reports what Docker's naive diff reports", () => {
    writeFileSync(m('etc/new'), 'n'); // added
    appendFileSync(m('etc/passwd'), 'x:x:1:1\n'); // modified content
    chmodSync(m('etc/mode'), 0o600); // modified mode only
    utimesSync(m('etc/touched'), new Date(), new Date()); // modified mtime only
    rmSync(m('bin/tool')); // deleted
    rmSync(m('usr/share'), { recursive: true }); // a deleted dir: not its contents
    writeFileSync(m('usr/lib/deep/file'), 'changed'); // deep: every parent dir modified
    rmSync(m('opt/app'), { recursive: true }); // re-created: opaque, old contents deleted
    mkdirSync(m('opt/app'));
    writeFileSync(m('opt/app/x'), 'x');
    mkdirSync(m('new/a/b'), { recursive: true }); // a new tree: all added
    writeFileSync(m('new/a/b/f'), 'f');
    symlinkSync('/etc/passwd', m('new/link'));
    rmSync(m('data'), { recursive: true }); // a dir replaced by a file
    writeFileSync(m('data'), 'file now');
    writeFileSync(m('gone'), 'again'); // whited out in the image: added, not modified
    writeFileSync(m('etc2/hidden'), 'again'); // hidden by an opaque dir in the image: added
    renameSync(m('bin/fromtop'), m('bin/moved')); // from the top image layer

    expect(changes(upper(), lowers())).toEqual([
      { Path: '/bin', Kind: 0 },
      { Path: '/bin/fromtop', Kind: 2 },
      { Path: '/bin/moved', Kind: 1 },
      { Path: '/bin/tool', Kind: 2 },
      { Path: '/data', Kind: 0 },
      { Path: '/etc', Kind: 0 },
      { Path: '/etc/mode', Kind: 0 },
      { Path: '/etc/new', Kind: 1 },
      { Path: '/etc/passwd', Kind: 0 },
      { Path: '/etc/touched', Kind: 0 },
      { Path: '/etc2', Kind: 0 },
      { Path: '/etc2/hidden', Kind: 1 },
      { Path: '/gone', Kind: 1 },
      { Path: '/new', Kind: 1 },
      { Path: '/new/a', Kind: 1 },
      { Path: '/new/a/b', Kind: 1 },
      { Path: '/new/a/b/f', Kind: 1 },
      { Path: '/new/link', Kind: 1 },
      { Path: '/opt', Kind: 0 },
      { Path: '/opt/app', Kind: 0 },
      { Path: '/opt/app/a', Kind: 2 },
      { Path: '/opt/app/b', Kind: 2 },
      { Path: '/opt/app/x', Kind: 1 },
      { Path: '/usr', Kind: 0 },
      { Path: '/usr/lib', Kind: 0 },
      { Path: '/usr/lib/deep', Kind: 0 },
      { Path: '/usr/lib/deep/file', Kind: 0 },
      { Path: '/usr/share', Kind: 2 },
    ]);
  });
});
