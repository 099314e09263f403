// docker export of a real overlay mount: the merged view, every kind of file,
// none of overlay's own whiteouts or opaque markers.
import { chmodSync, chownSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportRootfs } from '../../src/container/export';
import { lsetxattr, mknod, mount, umount2, MNT_DETACH } from '../../src/native';
import { S_IFCHR, S_IFIFO } from '../../src/archive/whiteout';
import { listTar } from '../graph/helpers';
import { readAll } from './log-helpers';

const isRoot = process.getuid?.() === 0;
const MTIME = new Date('2021-02-03T04:05:06.789Z');

let dir: string;
let merged: string;
let mounted = false;
let socketServer: Server | undefined;

beforeAll(async () => {
  if (!isRoot) return;
  dir = mkdtempSync(join(tmpdir(), 'tsd-export-'));
  const lower = join(dir, 'lower');
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'opt/app', 'var/run']) mkdirSync(join(lower, d), { recursive: true });
  writeFileSync(join(lower, 'bin/tool'), 'tool');
  chmodSync(join(lower, 'bin/tool'), 0o4755);
  linkSync(join(lower, 'bin/tool'), join(lower, 'bin/tool-hard'));
  symlinkSync('tool', join(lower, 'bin/tool-link'));
  writeFileSync(join(lower, 'etc/owned'), 'x');
  chownSync(join(lower, 'etc/owned'), 1000, 2000);
  lsetxattr(join(lower, 'etc/owned'), 'user.note', Buffer.from('hello'));
  writeFileSync(join(lower, 'etc/deleted'), 'gone in the container');
  writeFileSync(join(lower, 'opt/app/old'), 'hidden once the dir is re-created');
  mknod(join(lower, 'dev/null'), S_IFCHR | 0o666, 1, 3);
  chmodSync(join(lower, 'dev/null'), 0o666); // past the umask
  mknod(join(lower, 'var/run/fifo'), S_IFIFO | 0o600, 0, 0);
  socketServer = createServer();
  await new Promise<void>((r) => socketServer!.listen(join(lower, 'var/run/sock'), r));
  utimesSync(join(lower, 'etc/owned'), MTIME, MTIME);
  for (const d of ['upper', 'work', 'merged']) mkdirSync(join(dir, d));
  merged = join(dir, 'merged');
  mount('overlay', merged, 'overlay', 0, `lowerdir=${lower},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`);
  mounted = true;
  // The container's changes: a whiteout and an opaque dir in the upper dir.
  rmSync(join(merged, 'etc/deleted'));
  rmSync(join(merged, 'opt/app'), { recursive: true });
  mkdirSync(join(merged, 'opt/app'));
  writeFileSync(join(merged, 'opt/app/new'), 'new');
});

afterAll(async () => {
  if (mounted) umount2(merged, MNT_DETACH);
  if (socketServer) await new Promise((r) => socketServer!.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('exportRootfs', () => {
  it('tars the merged view as docker export does', async () => {
    const entries = await listTar(await readAll(exportRootfs(merged)));
    const names = entries.map((e) => e.name);
    expect(names).toEqual([
      'bin/', 'bin/tool', 'bin/tool-hard', 'bin/tool-link',
      'dev/', 'dev/null',
      'etc/', 'etc/owned',
      'opt/', 'opt/app/', 'opt/app/new',
      'proc/', 'sys/',
      'var/', 'var/run/', 'var/run/fifo',
    ]);
    const by = new Map(entries.map((e) => [e.name, e]));
    expect(by.get('bin/tool')).toMatchObject({ type: 'file', mode: 0o104755, size: 4 });
    expect(by.get('bin/tool')!.body.toString()).toBe('tool');
    expect(by.get('bin/tool-hard')).toMatchObject({ type: 'link', linkname: 'bin/tool' });
    expect(by.get('bin/tool-link')).toMatchObject({ type: 'symlink', linkname: 'tool' });
    expect(by.get('etc/owned')).toMatchObject({ uid: 1000, gid: 2000, pax: { 'SCHILY.xattr.user.note': 'hello' } });
    expect(by.get('dev/null')).toMatchObject({ type: 'character-device', mode: 0o20666 });
    expect(by.get('var/run/fifo')).toMatchObject({ type: 'fifo', mode: 0o10600 });
    expect(by.get('opt/app/new')!.body.toString()).toBe('new');
    for (const e of entries) expect(e.name).not.toMatch(/\.wh\./);
  });

  it('keeps mtimes in whole seconds and device numbers', async () => {
    const ex = await import('tar-stream');
    const extract = ex.extract();
    const got: Record<string, { mtime?: Date; devmajor?: number; devminor?: number }> = {};
    const data = await readAll(exportRootfs(merged));
    const done = (async () => {
      for await (const e of extract) {
        got[e.header.name] = { mtime: e.header.mtime, devmajor: e.header.devmajor, devminor: e.header.devminor };
        e.resume();
      }
    })();
    extract.end(data);
    await done;
    expect(got['etc/owned']!.mtime!.toISOString()).toBe('2021-02-03T04:05:06.000Z');
    expect([got['dev/null']!.devmajor, got['dev/null']!.devminor]).toEqual([1, 3]);
  });

  it('fails the stream for a rootfs that is not there', async () => {
    await expect(readAll(exportRootfs(join(dir, 'nope')))).rejects.toThrow(/ENOENT/);
  });
});
