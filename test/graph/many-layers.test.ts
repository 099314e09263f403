// A chain of 126 layers (Docker's most, with the container's upper dir: 127)
// through the layer store and a real overlay mount. With the store's paths the
// options of more than ~40 layers overflow the one page mount(2) takes: those
// mounts go layer by layer (native/src/overlay.h), short ones stay as they were.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { umount2 } from '../../src/native';
import { exportDiff } from '../../src/graph/layers/export';
import type { Digest } from '../../src/api/digest';
import type { LayerInfo } from '../../src/graph/layers/types';
import { manyLayerItems, manyLayerView } from '../fixtures/many-layers';
import { listTar, makeTar, openTestRoot, tempDir, type TestRoot } from './helpers';

const LAYERS = 126;

/** Every regular file under dir: relative path → content. */
function filesUnder(dir: string): Map<string, string> {
  const names = execFileSync('find', ['.', '-type', 'f'], { cwd: dir, encoding: 'utf8' }).split('\n').filter(Boolean);
  return new Map(names.map((n) => [n.slice(2), readFileSync(join(dir, n), 'utf8')]));
}

function mountedAt(path: string): string | undefined {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[4] === path);
}

let r: TestRoot;
let work: string;
const chain: LayerInfo[] = [];
const releases: Array<() => void> = [];

beforeAll(async () => {
  r = await openTestRoot();
  work = tempDir('tsd-many-');
  let parent: Digest | null = null;
  for (let i = 0; i < LAYERS; i++) {
    const lease = await r.layers.register(Readable.from([await makeTar(manyLayerItems(i))]), { parent });
    releases.push(lease.release);
    chain.push(lease.layer);
    parent = lease.layer.chainId;
  }
}, 120_000);

afterAll(() => {
  for (const m of readdirSync(work)) {
    if (mountedAt(join(work, m, 'merged'))) umount2(join(work, m, 'merged'), 0);
  }
  for (const release of releases) release();
  rmSync(work, { recursive: true, force: true });
  r.cleanup();
});

/** Upper, work and merged dirs for one mount. */
function mountDirs(name: string): { upper: string; wdir: string; merged: string } {
  const [upper, wdir, merged] = ['upper', 'work', 'merged'].map((d) => join(work, name, d)) as [string, string, string];
  for (const d of [upper, wdir, merged]) mkdirSync(d, { recursive: true });
  return { upper, wdir, merged };
}

describe('a chain of many layers', () => {
  test('chain() lists a chain top first, and no layer for an image without layers (null)', () => {
    expect(r.layers.chain(chain[LAYERS - 1]!.chainId).map((l) => l.chainId)).toEqual(chain.map((l) => l.chainId).reverse());
    expect(r.layers.chain(null)).toEqual([]);
  });

  test('a short chain is still mounted through mount(2) with the options it always had', () => {
    const { upper, wdir, merged } = mountDirs('short');
    const m = r.layers.mountLayers(chain[9]!.chainId, upper, wdir, merged);
    try {
      expect(m.method).toBe('mount');
      expect(m.lowerDirs).toEqual(chain.slice(0, 10).map((l) => l.diffDir).reverse());
      expect(m.options).toBe(`lowerdir=${m.lowerDirs.join(':')},upperdir=${upper},workdir=${wdir}${m.extra.map((o) => `,${o}`).join('')}`);
      expect(mountedAt(merged)).toContain(`lowerdir=${m.lowerDirs.join(':')},upperdir=${upper},workdir=${wdir}`);
      expect(filesUnder(merged)).toEqual(manyLayerView(10));
    } finally {
      umount2(merged, 0);
    }
  });

  test.each([100, LAYERS])('%i layers: every file with its last content, the whiteout and the opaque dir hide theirs', (n) => {
    const { upper, wdir, merged } = mountDirs(`n${n}`);
    const m = r.layers.mountLayers(chain[n - 1]!.chainId, upper, wdir, merged);
    try {
      expect(m.options.length).toBeGreaterThan(4096); // mount(2) could not take it
      expect(m.method).toBe('fsconfig');
      expect(m.lowerDirs).toHaveLength(n);
      // /proc/mounts names every layer, top first, by its real path
      const info = mountedAt(merged)!;
      expect(info).toContain(` - overlay overlay rw,lowerdir+=${m.lowerDirs[0]},lowerdir+=${m.lowerDirs[1]},`);
      expect(info.match(/lowerdir\+=/g)).toHaveLength(n);
      expect(info).toContain(`upperdir=${upper},workdir=${wdir}`);
      const view = filesUnder(merged);
      expect(view).toEqual(manyLayerView(n));
      expect(view.has('gone')).toBe(false);
      expect(readdirSync(join(merged, 'data/dir'))).toEqual(['new']);

      // writes land in the upper dir as the changes of a container
      writeFileSync(join(merged, 'data/shared'), 'mine');
      unlinkSync(join(merged, 'data/f1'));
      writeFileSync(join(merged, 'added'), 'a');
      expect(readFileSync(join(upper, 'data/shared'), 'utf8')).toBe('mine');
    } finally {
      umount2(merged, 0);
    }
    expect(mountedAt(merged)).toBeUndefined();
  });

  test('the changes made over 126 layers export as a layer diff', async () => {
    const chunks: Buffer[] = [];
    for await (const c of exportDiff(join(work, `n${LAYERS}`, 'upper'))) chunks.push(c as Buffer);
    expect((await listTar(Buffer.concat(chunks))).map((e) => e.name)).toEqual(['added', 'data/', 'data/.wh.f1', 'data/shared']);
  });

  test('a container-style mount: an init dir above 126 layers', () => {
    const { upper, wdir, merged } = mountDirs('init');
    const init = join(work, 'init', 'init');
    mkdirSync(join(init, 'etc'), { recursive: true });
    writeFileSync(join(init, 'etc/hostname'), '');
    const m = r.layers.mountLayers(chain[LAYERS - 1]!.chainId, upper, wdir, merged, [init]);
    try {
      expect(m.method).toBe('fsconfig');
      expect(m.lowerDirs).toEqual([init, ...chain.map((l) => l.diffDir).reverse()]);
      expect(readFileSync(join(merged, 'data/f125'), 'utf8')).toBe('125');
      expect(readdirSync(join(merged, 'etc'))).toEqual(['hostname']);
    } finally {
      umount2(merged, 0);
    }
  });
});
