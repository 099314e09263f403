// mountOverlay against the kernel (needs root, Linux 6.8+ for the fsconfig
// route): the three routes of native/src/overlay.c give the same union, top
// layer first; errors name the syscall, the path and what the kernel said; no
// descriptor outlives a call.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as native from '../../src/native/index';
import { thrown } from './thrown';

let dir: string;
/** 130 lower dirs with long names (~100 bytes each: 40 of them overflow a page), bottom first. */
const layers: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsd-overlay-'));
  for (let i = 0; i < 130; i++) {
    const d = join(dir, `layer-${String(i).padStart(3, '0')}-${'x'.repeat(70)}`);
    mkdirSync(d);
    writeFileSync(join(d, `f${i}`), String(i));
    writeFileSync(join(d, 'top'), String(i));
    layers.push(d);
  }
});

afterAll(() => {
  for (const name of readdirSync(dir)) {
    const m = join(dir, name);
    if (mountLine(m)) native.umount2(m, native.MNT_DETACH);
  }
  rmSync(dir, { recursive: true, force: true });
});

function mountLine(path: string): string | undefined {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[4] === path);
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

let seq = 0;
/** Fresh upper, work and target dirs. */
function dirs(): { upper: string; work: string; target: string } {
  const base = join(dir, `m${seq++}`);
  const [upper, work, target] = ['u', 'w', 't'].map((d) => `${base}-${d}`) as [string, string, string];
  for (const d of [upper, work, target]) mkdirSync(d);
  return { upper, work, target };
}

/** The top n layers, top first (as lowerdir= lists them). */
function topFirst(n: number): string[] {
  return layers.slice(0, n).reverse();
}


/** Mounts, checks the union of the top n layers, unmounts; returns the mountinfo line. */
function mountAndCheck(n: number, flags: number, expected: native.OverlayMethod, extra: { lower?: string[]; upper?: boolean; options?: string[] } = {}): string {
  const { upper, work, target } = dirs();
  const lower = extra.lower ?? topFirst(n);
  const fds = openFds();
  const withUpper = extra.upper ?? true;
  expect(native.mountOverlay(target, { lower, ...(withUpper ? { upper, work } : {}), options: extra.options ?? ['index=off'] }, flags)).toBe(expected);
  try {
    expect(openFds()).toBe(fds);
    expect(readFileSync(join(target, 'top'), 'utf8')).toBe(String(n - 1));
    expect(readdirSync(target).length).toBe(n + 1);
    return mountLine(target)!;
  } finally {
    native.umount2(target, 0);
  }
}

describe('mountOverlay', () => {
  it('mounts options that fit a page through mount(2), as they read', () => {
    const line = mountAndCheck(5, 0, 'mount', { options: ['index=off', 'volatile'] });
    expect(line).toContain(` - overlay overlay rw,lowerdir=${topFirst(5).join(':')},upperdir=`);
    expect(line).toMatch(/,(fsync=)?volatile$/); // 6.18 shows the flag as fsync=volatile
  });

  it('mounts 130 layers through fsconfig, one lowerdir+ each, named by their paths', () => {
    // options "key=value" and flags ("volatile") alike
    const line = mountAndCheck(130, 0, 'fsconfig', { options: ['index=off', 'volatile'] });
    expect(line).toContain(` - overlay overlay rw,lowerdir+=${layers[129]},lowerdir+=${layers[128]},`);
    expect(line.match(/lowerdir\+=/g)).toHaveLength(130);
    expect(line).toMatch(/,(fsync=)?volatile$/); // 6.18 shows the flag as fsync=volatile
  });

  it('mounts 130 layers as /proc/self/fd paths where lowerdir+ is missing, closing them after', () => {
    const line = mountAndCheck(130, native.OVERLAY_NO_FSCONFIG, 'fd-paths');
    expect(line).toMatch(/ - overlay overlay rw,lowerdir=\/proc\/self\/fd\/\d+:\/proc\/self\/fd\/\d+:/);
  });

  it('mounts read-only overlays (no upper dir) of many layers', () => {
    expect(mountAndCheck(130, 0, 'fsconfig', { upper: false })).not.toContain('upperdir=');
    expect(mountAndCheck(3, 0, 'mount', { upper: false })).not.toContain('upperdir=');
  });

  it('passes a layer path longer than fsconfig takes (255 bytes) as a descriptor', () => {
    let deep = join(dir, 'deep');
    while (deep.length <= 300) deep = join(deep, 'd'.repeat(50));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'top'), '130');
    writeFileSync(join(deep, 'f130'), '130');
    mountAndCheck(131, 0, 'fsconfig', { lower: [deep, ...topFirst(130)] });
  });

  it('errors carry the syscall, the path and what the kernel logged', () => {
    const { upper, work, target } = dirs();
    const fds = openFds();
    const missing = join(dir, 'no-such-layer');
    const e1 = thrown(() => native.mountOverlay(target, { lower: [...topFirst(60), missing], upper, work }));
    expect([e1.code, e1.syscall, e1.path]).toEqual(['ENOENT', 'fsconfig', missing]);
    expect(e1.message).toMatch(new RegExp(`^fsconfig ${missing}: No such file or directory`));

    const e2 = thrown(() => native.mountOverlay(target, { lower: topFirst(60), upper, work, options: ['bogus=1'] }));
    expect([e2.code, e2.syscall, e2.path]).toEqual(['EINVAL', 'fsconfig', 'bogus=1']);
    expect(e2.message).toBe("fsconfig bogus=1: Invalid argument (overlay: Unknown parameter 'bogus')");

    // overlayfs stacks at most 500 lower layers
    const many = Array.from({ length: 4 }, () => topFirst(130)).flat();
    const e3 = thrown(() => native.mountOverlay(target, { lower: many, upper, work }));
    expect(e3.code).toBe('EINVAL');
    expect(e3.message).toContain('(overlay: too many lower directories, limit is 500)');

    const e4 = thrown(() => native.mountOverlay(target, { lower: many, upper, work }, native.OVERLAY_NO_FSCONFIG));
    expect([e4.code, e4.syscall, e4.path]).toEqual(['E2BIG', 'mount', target]);
    expect(e4.message).toMatch(/^mount .*: Argument list too long \(520 lower layers: \d+ bytes of options, more than a page/);

    const gone = join(dir, 'no-such-target');
    const e5 = thrown(() => native.mountOverlay(gone, { lower: topFirst(60), upper, work }));
    expect([e5.code, e5.syscall, e5.path]).toEqual(['ENOENT', 'move_mount', gone]);
    const e6 = thrown(() => native.mountOverlay(gone, { lower: topFirst(3), upper, work }));
    expect([e6.code, e6.syscall, e6.path]).toEqual(['ENOENT', 'mount', gone]);

    expect(openFds()).toBe(fds);
    expect(mountLine(target)).toBeUndefined();
    expect(() => native.mountOverlay(target, { lower: 'a:b' as unknown as string[] })).toThrow(TypeError);
    expect(() => native.mountOverlay(target, { lower: ['a', 1 as unknown as string] })).toThrow(TypeError);
  });
});
