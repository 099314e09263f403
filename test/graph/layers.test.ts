import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { lgetxattr, lsetxattr, umount2, MNT_DETACH } from '../../src/native';
import { exportDiff } from '../../src/graph/layers/export';
import { chainIds } from '../../src/graph/layers/chain';
import { sha256 } from '../../src/api/digest';
import { listTar, makeTar, openTestRoot, tempDir, type TestRoot } from './helpers';

let r: TestRoot;
let outside: string;
beforeEach(async () => {
  r = await openTestRoot();
  outside = tempDir('tsd-outside-');
});
afterEach(() => {
  r.cleanup();
  rmSync(outside, { recursive: true, force: true });
});

/** register() unpacks on the daemon's thread, or on a worker thread when told the tar is big: every case below runs on both. */
const UNPACKS = [
  { on: "the daemon's thread", size: undefined },
  { on: 'a worker thread', size: 2 * 1024 * 1024 },
];
let size: number | undefined;

async function register(data: Buffer, parent: `sha256:${string}` | null = null) {
  return r.layers.register(Readable.from([data]), { parent, size });
}

async function toBuffer(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe.each(UNPACKS)('unpacked on $on', (unpack) => {
  beforeEach(() => {
    size = unpack.size;
  });

  describe('register', () => {
    test('diffID, chainID, metadata, gzip, shared once', async () => {
      const t = await makeTar([
        { name: 'etc/', type: 'directory', mode: 0o750, uid: 10, gid: 20, mtime: new Date('2020-01-02T03:04:05Z') },
        { name: 'etc/suid', mode: 0o4755, uid: 1000, gid: 1000, mtime: new Date('2021-01-01T00:00:00Z'), data: 'x' },
        { name: 'etc/hard', type: 'link', linkname: 'etc/suid' },
        { name: 'etc/cap', data: 'y', pax: { 'SCHILY.xattr.user.note': 'hello' } },
        { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
        { name: 'dev/fifo', type: 'fifo', mode: 0o600 },
      ]);
      const lease = await register(gzipSync(t));
      const l = lease.layer;
      expect(l.diffId).toBe(sha256(t));
      expect(l.chainId).toBe(l.diffId);
      expect(l.blob.compression).toBe('gzip');
      const st = lstatSync(join(l.diffDir, 'etc/suid'));
      expect(st.mode & 0o7777).toBe(0o4755);
      expect([st.uid, st.gid]).toEqual([1000, 1000]);
      expect(st.mtime.toISOString()).toBe('2021-01-01T00:00:00.000Z');
      expect(st.nlink).toBe(2);
      expect(statSync(join(l.diffDir, 'etc/hard')).ino).toBe(st.ino);
      const dir = lstatSync(join(l.diffDir, 'etc'));
      expect([dir.mode & 0o7777, dir.uid, dir.gid, dir.mtime.toISOString()]).toEqual([0o750, 10, 20, '2020-01-02T03:04:05.000Z']);
      expect(lgetxattr(join(l.diffDir, 'etc/cap'), 'user.note')?.toString()).toBe('hello');
      const dev = lstatSync(join(l.diffDir, 'dev/null'));
      expect(dev.isCharacterDevice()).toBe(true);
      expect(dev.rdev).toBe(0x103);
      expect(lstatSync(join(l.diffDir, 'dev/fifo')).isFIFO()).toBe(true);
      // the uncompressed tar comes back byte for byte
      expect(await toBuffer(await r.layers.tarStream(l.chainId))).toEqual(t);

      // the same layer again: no second directory, same row
      const again = await register(t);
      expect(again.layer.chainId).toBe(l.chainId);
      const child = await register(await makeTar([{ name: 'a', data: '1' }]), l.chainId);
      expect(child.layer.chainId).toBe(chainIds([l.diffId, child.layer.diffId])[1]);
      const opts = r.layers.overlayOptions(child.layer.chainId, '/u', '/w');
      expect(opts.lowerDirs).toEqual([child.layer.diffDir, l.diffDir]);
      lease.release();
      again.release();
      expect(r.layers.get(l.chainId)).toBeDefined(); // the child holds it
      child.release();
      expect(r.layers.get(l.chainId)).toBeUndefined();
      expect(existsSync(l.diffDir)).toBe(false);
    });

    test('open drops leases of a dead process and dirs without rows', async () => {
      const lease = await register(await makeTar([{ name: 'x', data: '1' }]));
      mkdirSync(join(r.layers.root, 'tmp-stale'));
      const { OverlayLayerStore } = await import('../../src/graph/layers/overlay-store');
      OverlayLayerStore.open(r.layers.root, r.gdb, r.content);
      expect(r.layers.get(lease.layer.chainId)).toBeUndefined();
      expect(existsSync(join(r.layers.root, 'tmp-stale'))).toBe(false);
      expect(await r.content.has(lease.layer.blob.digest)).toBe(false);
    });
  });

  describe('hostile archives', () => {
    test('absolute names are taken relative to the layer root', async () => {
      const l = (await register(await makeTar([{ name: '/abs/file', data: 'in' }]))).layer;
      expect(readFileSync(join(l.diffDir, 'abs/file'), 'utf8')).toBe('in');
    });

    test('.. climbing out is refused', async () => {
      await expect(register(await makeTar([{ name: '../../escape', data: 'x' }]))).rejects.toThrow(/outside of the layer root/);
      await expect(register(await makeTar([{ name: 'a/../../escape', data: 'x' }]))).rejects.toThrow(/outside/);
      expect(readdirClean(r.layers.root)).toEqual([]);
    });

    test('a symlink to outside is created but never written through', async () => {
      const l = (
        await register(
          await makeTar([
            { name: 'evil', type: 'symlink', linkname: outside },
            { name: 'evil/pwned', data: 'x' },
            { name: 'rel', type: 'symlink', linkname: '../../../../../../..' + outside },
            { name: 'rel/pwned2', data: 'y' },
            { name: 'dir', type: 'directory' },
            { name: 'dir/link', type: 'symlink', linkname: '/etc' },
            { name: 'dir/link/passwd', data: 'z' },
          ]),
        )
      ).layer;
      expect(readdirClean(outside)).toEqual([]);
      expect(readlinkSync(join(l.diffDir, 'evil'))).toBe(outside);
      // paths through the links were resolved inside the layer
      expect(readFileSync(join(l.diffDir, outside, 'pwned'), 'utf8')).toBe('x');
      expect(readFileSync(join(l.diffDir, outside, 'pwned2'), 'utf8')).toBe('y');
      expect(readFileSync(join(l.diffDir, 'etc/passwd'), 'utf8')).toBe('z');
    });

    test('a file entry replaces a symlink instead of following it', async () => {
      writeFileSync(join(outside, 'victim'), 'safe');
      const l = (
        await register(
          await makeTar([
            { name: 'f', type: 'symlink', linkname: join(outside, 'victim') },
            { name: 'f', data: 'replaced' },
          ]),
        )
      ).layer;
      expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('safe');
      expect(lstatSync(join(l.diffDir, 'f')).isFile()).toBe(true);
    });

    test('hardlinks to outside are errors', async () => {
      writeFileSync(join(outside, 'secret'), 's');
      await expect(register(await makeTar([{ name: 'h', type: 'link', linkname: '../../../../../../..' + outside + '/secret' }]))).rejects.toThrow(
        /invalid hardlink/,
      );
      // an absolute link name is inside the layer: missing there
      await expect(register(await makeTar([{ name: 'h', type: 'link', linkname: join(outside, 'secret') }]))).rejects.toThrow(/ENOENT/);
      // through a symlink planted earlier: resolved inside the layer, so still missing
      await expect(
        register(
          await makeTar([
            { name: 'o', type: 'symlink', linkname: outside },
            { name: 'h', type: 'link', linkname: 'o/secret' },
          ]),
        ),
      ).rejects.toThrow(/ENOENT/);
      expect(statSync(join(outside, 'secret')).nlink).toBe(1);
    });

    test('AUFS metadata is skipped', async () => {
      const l = (await register(await makeTar([{ name: '.wh..wh.plnk/123', data: 'x' }, { name: 'ok', data: '1' }]))).layer;
      expect(existsSync(join(l.diffDir, '.wh..wh.plnk'))).toBe(false);
    });
  });

  describe('whiteouts', () => {
    test('AUFS whiteouts become overlay whiteouts, and export turns them back', async () => {
      const l = (
        await register(
          await makeTar([
            { name: 'gone', type: 'file', data: '', mode: 0, uid: 0, gid: 0 },
            { name: 'd/', type: 'directory' },
            { name: 'd/.wh..wh..opq', data: '' },
            { name: '.wh.gone', data: '' },
            { name: 'e/.wh.x', data: '' },
          ]),
        )
      ).layer;
      const wo = lstatSync(join(l.diffDir, 'gone'));
      expect(wo.isCharacterDevice() && wo.rdev === 0).toBe(true);
      expect(lstatSync(join(l.diffDir, 'e/x')).isCharacterDevice()).toBe(true);
      expect(lgetxattr(join(l.diffDir, 'd'), 'trusted.overlay.opaque')?.toString()).toBe('y');
      const names = (await listTar(await toBuffer(exportDiff(l.diffDir)))).map((e) => e.name);
      expect(names).toEqual(['d/', 'd/.wh..wh..opq', 'e/', 'e/.wh.x', '.wh.gone']);
    });

    test('round trip through a real overlay mount', async () => {
      const base = (
        await register(
          await makeTar([
            { name: 'keep', data: 'k' },
            { name: 'del', data: 'd' },
            { name: 'dir/', type: 'directory' },
            { name: 'dir/old1', data: '1' },
            { name: 'dir/old2', data: '2' },
          ]),
        )
      ).layer;
      const work = tempDir('tsd-ovl-');
      const [upper, wdir, merged] = ['upper', 'work', 'merged'].map((d) => join(work, d));
      for (const d of [upper!, wdir!, merged!]) mkdirSync(d);
      try {
        r.layers.mountLayers(base.chainId, upper!, wdir!, merged!);
        try {
          unlinkSync(join(merged!, 'del'));
          rmSync(join(merged!, 'dir'), { recursive: true });
          mkdirSync(join(merged!, 'dir'));
          writeFileSync(join(merged!, 'dir/new'), 'n');
          writeFileSync(join(merged!, 'added'), 'a');
          lsetxattr(join(merged!, 'added'), 'user.k', Buffer.from('v'));
        } finally {
          umount2(merged!, MNT_DETACH);
        }
        const diff = await toBuffer(exportDiff(upper!));
        const entries = await listTar(diff);
        expect(entries.map((e) => e.name)).toEqual(['added', '.wh.del', 'dir/', 'dir/.wh..wh..opq', 'dir/new']);
        expect(entries.find((e) => e.name === 'added')!.pax).toMatchObject({ 'SCHILY.xattr.user.k': 'v' });
        // apply the diff as a layer on top and look at the union again
        const top = (await register(diff, base.chainId)).layer;
        const [u2, w2, m2] = ['u2', 'w2', 'm2'].map((d) => join(work, d));
        for (const d of [u2!, w2!, m2!]) mkdirSync(d);
        r.layers.mountLayers(top.chainId, u2!, w2!, m2!);
        try {
          expect(execFileSync('find', ['.', '-mindepth', '1'], { cwd: m2!, encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual(
            ['./added', './dir', './dir/new', './keep'],
          );
          expect(lgetxattr(join(m2!, 'added'), 'user.k')?.toString()).toBe('v');
        } finally {
          umount2(m2!, MNT_DETACH);
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  });
});

function readdirClean(dir: string): string[] {
  return execFileSync('ls', ['-A', dir], { encoding: 'utf8' }).split('\n').filter(Boolean);
}
