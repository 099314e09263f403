// An image of 120 layers end to end with the real docker CLI: load, run (the
// merged files), inspect (GraphDriver.Data names every layer, as the kernel's
// mount does), diff, export and commit. Its rootfs options are longer than the
// page mount(2) takes, so the daemon mounts it layer by layer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar } from '../fixtures/busybox';
import { manyLayerView, writeManyLayerArchive } from '../fixtures/many-layers';
import { listTar } from '../graph/helpers';
import { cleanupWithContainers, ok, startDaemon, type TestDaemon } from '../helpers/daemon';

const LAYERS = 120; // busybox + 119 small ones
const IMAGE = 'many:120';

let d: TestDaemon;
beforeAll(async () => {
  d = await startDaemon();
  const archive = join(d.dir, 'many.tar');
  await writeManyLayerArchive(archive, IMAGE, readFileSync(await busyboxRootfsTar()), LAYERS - 1);
  expect(ok(d.docker(['load', '-i', archive]))).toBe(`Loaded image: ${IMAGE}\n`);
}, 120_000);
afterAll(() => cleanupWithContainers(d));

/** The merged /data and /gone as `path=content` lines, sorted. */
const PRINT_FILES = 'for f in $(find /data /gone -type f 2>/dev/null | sort); do echo "${f#/}=$(cat $f)"; done';

function viewLines(view: Map<string, string>): string {
  return [...view].sort(([a], [b]) => (a < b ? -1 : 1)).map(([f, c]) => `${f}=${c}\n`).join('');
}

/** The lowerdir+ options of the overlay mounted on path, in order. */
function mountedLowers(path: string): string[] {
  const line = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[4] === path);
  return (line?.split(' - overlay overlay ')[1] ?? '').split(',').filter((o) => o.startsWith('lowerdir+=')).map((o) => o.slice('lowerdir+='.length));
}

describe(`an image of ${LAYERS} layers`, () => {
  it('runs with every file of the merged layers, whiteouts applied', () => {
    expect(ok(d.docker(['run', '--rm', IMAGE, 'sh', '-c', PRINT_FILES]))).toBe(viewLines(manyLayerView(LAYERS - 1)));
  });

  it('inspect names every layer, top first, as the mount does', () => {
    const image = JSON.parse(ok(d.docker(['image', 'inspect', IMAGE])))[0] as { RootFS: { Layers: string[] }; GraphDriver: { Data: Record<string, string> } };
    expect(image.RootFS.Layers).toHaveLength(LAYERS);
    const imageLowers = image.GraphDriver.Data.LowerDir!.split(':');
    expect(imageLowers).toHaveLength(LAYERS - 1);
    expect(image.GraphDriver.Data.UpperDir).toMatch(/\/layers\/[0-9a-f]{64}\/diff$/);

    const id = ok(d.docker(['run', '-d', '--name', 'long', IMAGE, 'sleep', '60'])).trim();
    try {
      const c = JSON.parse(ok(d.docker(['inspect', id])))[0] as { GraphDriver: { Data: Record<string, string> } };
      const lowers = c.GraphDriver.Data.LowerDir!.split(':');
      expect(lowers).toEqual([join(d.dataRoot, 'containers', id, 'init'), image.GraphDriver.Data.UpperDir, ...imageLowers]);
      expect(mountedLowers(c.GraphDriver.Data.MergedDir!)).toEqual(lowers);
    } finally {
      ok(d.docker(['rm', '-f', id]));
    }
  });

  it('diff, export and commit see the changes over the layers', async () => {
    ok(d.docker(['run', '--name', 'changer', IMAGE, 'sh', '-c', 'echo mine > /data/shared; rm /data/f1; echo a > /added']));
    expect(ok(d.docker(['diff', 'changer'])).split('\n').filter(Boolean).sort()).toEqual(['A /added', 'C /data', 'C /data/shared', 'D /data/f1']);
    // export mounts the stopped container's rootfs
    const tarPath = join(d.dir, 'changer.tar');
    ok(d.docker(['export', '-o', tarPath, 'changer']));
    const exported = new Map((await listTar(readFileSync(tarPath))).filter((e) => e.type === 'file').map((e) => [e.name, e.body.toString()]));
    expect([exported.get('data/shared'), exported.get('data/f118'), exported.get('added'), exported.has('data/f1'), exported.has('gone')]).toEqual(['mine\n', '118', 'a\n', false, false]);
    ok(d.docker(['commit', 'changer', 'many:commit']));
    const expected = manyLayerView(LAYERS - 1);
    expected.set('data/shared', 'mine');
    expected.delete('data/f1');
    const printed = ok(d.docker(['run', '--rm', 'many:commit', 'sh', '-c', `${PRINT_FILES}; cat /added`]));
    expect(printed).toBe(`${viewLines(expected)}a\n`);
    const layers = (JSON.parse(ok(d.docker(['image', 'inspect', 'many:commit'])))[0] as { RootFS: { Layers: string[] } }).RootFS.Layers;
    expect(layers).toHaveLength(LAYERS + 1);
  });
});
