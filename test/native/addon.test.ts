// The N-API addon against real syscalls (needs root): mknod, xattrs, mount, flock, malloc_trim.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as native from '../../src/native/index';
import { thrown } from './thrown';

const S_IFCHR = 0o020000;
const S_IFIFO = 0o010000;

let dir: string;
const mounted: string[] = [];
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsd-addon-'));
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const m of mounted.reverse()) {
    try {
      native.umount2(m, native.MNT_DETACH);
    } catch {
      /* already gone */
    }
  }
  rmSync(dir, { recursive: true, force: true });
});


describe('tsd_native addon', () => {
  it('exports the mount constants the kernel uses', () => {
    const raw = require(native.addonPath()) as { MS: Record<string, number>; MNT_DETACH: number };
    expect(raw.MS).toEqual({ ...native.MS });
    expect(raw.MNT_DETACH).toBe(native.MNT_DETACH);
  });

  it('mknod makes a 0/0 char device (overlay whiteout) and a fifo', () => {
    const wh = join(dir, 'whiteout');
    native.mknod(wh, S_IFCHR | 0o000, 0, 0);
    const st = statSync(wh);
    expect(st.isCharacterDevice()).toBe(true);
    expect(st.rdev).toBe(0);
    const fifo = join(dir, 'fifo');
    native.mknod(fifo, S_IFIFO | 0o600, 0, 0);
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it('errors carry errno, code, syscall and path', () => {
    const p = join(dir, 'whiteout');
    const err = thrown(() => native.mknod(p, S_IFCHR, 0, 0));
    expect(err.code).toBe('EEXIST');
    expect(err.errno).toBe(-17);
    expect(err.syscall).toBe('mknod');
    expect(err.path).toBe(p);
    expect(err.message).toBe(`mknod ${p}: File exists`);
    const missing = join(dir, 'no', 'such');
    const e2 = thrown(() => native.lgetxattr(missing, 'user.x'));
    expect(e2.code).toBe('ENOENT');
    expect(e2.message).toBe(`lgetxattr ${missing}: No such file or directory`);
    expect(() => native.mknod(42 as unknown as string, 0, 0, 0)).toThrow(TypeError);
  });

  it('sets, gets, lists and removes trusted.overlay.opaque', () => {
    const d = join(dir, 'opaque');
    mkdirSync(d);
    expect(native.lgetxattr(d, 'trusted.overlay.opaque')).toBeNull();
    native.lsetxattr(d, 'trusted.overlay.opaque', Buffer.from('y'));
    expect(native.lgetxattr(d, 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(native.llistxattr(d)).toContain('trusted.overlay.opaque');
    const create = 1; // XATTR_CREATE
    expect(thrown(() => native.lsetxattr(d, 'trusted.overlay.opaque', Buffer.from('y'), create)).code).toBe('EEXIST');
    native.lremovexattr(d, 'trusted.overlay.opaque');
    expect(native.lgetxattr(d, 'trusted.overlay.opaque')).toBeNull();
    expect(native.llistxattr(d)).not.toContain('trusted.overlay.opaque');
    expect(thrown(() => native.lremovexattr(d, 'trusted.overlay.opaque')).code).toBe('ENODATA');
  });

  it('mounts a tmpfs, remounts it read-only and unmounts it', () => {
    const m = join(dir, 'mnt');
    mkdirSync(m);
    native.mount('tmpfs', m, 'tmpfs', native.MS.NOSUID | native.MS.NODEV, 'size=1m,mode=0755');
    mounted.push(m);
    writeFileSync(join(m, 'f'), 'x');
    expect(statSync(join(m, 'f')).dev).not.toBe(statSync(dir).dev);
    native.mount('', m, null, native.MS.REMOUNT | native.MS.RDONLY | native.MS.NOSUID | native.MS.NODEV, null);
    expect(() => writeFileSync(join(m, 'g'), 'x')).toThrow(/EROFS/);
    native.umount2(m, 0);
    mounted.pop();
    expect(statSync(m).dev).toBe(statSync(dir).dev);
    const e = thrown(() => native.umount2(m, 0));
    expect(e.code).toBe('EINVAL');
    expect(e.syscall).toBe('umount2');
    expect(thrown(() => native.mount('none', join(dir, 'absent'), 'tmpfs', 0, null)).code).toBe('ENOENT');
  });

  it('flock contends between processes: EWOULDBLOCK while held, free after', async () => {
    const lockFile = join(dir, 'lock');
    writeFileSync(lockFile, '');
    const script = `
      const a = require(${JSON.stringify(native.addonPath())});
      const fd = require('fs').openSync(${JSON.stringify(lockFile)}, 'r');
      a.flock(fd, true, false);
      process.stdout.write('locked\\n');
      process.stdin.on('data', () => process.exit(0));`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (b: Buffer) => (b.toString().includes('locked') ? resolve() : undefined));
      child.on('exit', (c) => reject(new Error(`child exited ${c}`)));
    });
    const fd = openSync(lockFile, 'r');
    try {
      const e = thrown(() => native.flock(fd, true, true));
      expect(e.code).toBe('EWOULDBLOCK');
      expect(e.syscall).toBe('flock');
      expect(thrown(() => native.flock(fd, false, true)).code).toBe('EWOULDBLOCK');
      const exited = new Promise((r) => child.on('exit', r));
      child.stdin!.write('x');
      await exited;
      native.flock(fd, true, true);
    } finally {
      closeSync(fd);
    }
  });

  it('mallocTrim gives the kernel back the heap pages glibc keeps after frees', async () => {
    // 64 MB in 64 KB blocks (heap, not mmap), one block kept above them so that free() cannot trim the heap's top.
    const script = `
      const a = require(${JSON.stringify(native.addonPath())});
      const anonMB = () => Number(/RssAnon:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
      let blocks = Array.from({ length: 1000 }, () => Buffer.allocUnsafeSlow(64 * 1024).fill(1));
      const kept = Buffer.allocUnsafeSlow(64 * 1024).fill(1);
      blocks = null;
      gc();
      setTimeout(() => {
        const freed = anonMB();
        a.mallocTrim();
        process.stdout.write(JSON.stringify({ freed, trimmed: anonMB(), kept: kept.length }));
      }, 200);`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--expose-gc', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      let text = '';
      child.stdout!.on('data', (b: Buffer) => (text += b.toString()));
      child.on('exit', (c) => (c === 0 ? resolve(text) : reject(new Error(`child exited ${c}`))));
    });
    const { freed, trimmed } = JSON.parse(out) as { freed: number; trimmed: number };
    expect(freed).toBeGreaterThan(60);
    expect(freed - trimmed).toBeGreaterThan(50);
  });
});
