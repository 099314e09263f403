// Images end to end: a real tsdockerd, the busybox fixture, our CLI and the
// real docker CLI, and skopeo reading what we save.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar } from '../fixtures/busybox';
import { hasDocker, startDaemon, type TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
let rootfs: string;
beforeAll(async () => {
  rootfs = await busyboxRootfsTar();
  d = await startDaemon();
});
afterAll(async () => {
  await d?.cleanup();
});

const ok = (r: { code: number; stdout: string; stderr: string }) => {
  expect(r.stderr, r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
};

describe('tsdocker image commands', () => {
  it('import, images, inspect, history, tag, rmi, save, load, prune', () => {
    const id = ok(d.cli(['import', '-c', 'CMD ["sh"]', '-c', 'ENV A=b', '-m', 'fixture', rootfs, 'tbb:1'])).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const table = ok(d.cli(['images']));
    expect(table.split('\n')[0]).toMatch(/^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$/);
    expect(table).toMatch(new RegExp(`\\ntbb +1 +${id.slice(7, 19)} +(Less than a second|\\d+ seconds?) ago +\\d(\\.\\d+)?MB\\n`));
    expect(ok(d.cli(['image', 'inspect', 'tbb:1', '--format', '{{json .Config.Cmd}} {{index .Config.Env 0}} {{.Comment}}']))).toBe('["sh"] A=b fixture\n');
    expect(ok(d.cli(['history', 'tbb:1']))).toMatch(/^IMAGE +CREATED +CREATED BY +SIZE +COMMENT\n[0-9a-f]{12} .* fixture\n$/);
    // Times as docker's CLI prints them: Go's RFC 3339 and Time.String() in local time, no milliseconds.
    for (const [cmd, format] of [['history', '{{.CreatedAt}}|{{.CreatedSince}}'], ['images', '{{.CreatedAt}}']] as const) {
      for (const TZ of ['UTC', 'America/New_York']) {
        // --human=false in both (docker has no --no-human, and neither has tsdocker now).
        const args = [cmd, ...(cmd === 'history' ? ['--human=false'] : []), '--format', format, 'tbb:1'];
        expect(ok(d.cli(args, { env: { TZ } })), `${cmd} TZ=${TZ}`).toBe(ok(d.docker(args, { env: { TZ } })));
      }
    }
    ok(d.cli(['tag', 'tbb:1', 'tbb:2']));
    expect(ok(d.cli(['images', 'tbb', '--format', '{{.Repository}}:{{.Tag}}'])).split('\n').sort().join(' ')).toBe(' tbb:1 tbb:2');
    expect(ok(d.cli(['rmi', 'tbb:2']))).toBe('Untagged: tbb:2\n');
    const archive = join(d.dir, 'tbb.tar');
    ok(d.cli(['save', '-o', archive, 'tbb:1']));
    expect(ok(d.cli(['rmi', 'tbb:1']))).toMatch(new RegExp(`^Untagged: tbb:1\nDeleted: ${id}\n(Deleted: sha256:[0-9a-f]{64}\n)*$`));
    expect(ok(d.cli(['load', '-i', archive]))).toBe('Loaded image: tbb:1\n');
    expect(ok(d.cli(['images', '-q', '--no-trunc', 'tbb']))).toBe(`${id}\n`);
    ok(d.cli(['image', 'prune', '-f']));
    // Without -f, docker's question; only "y" prunes.
    const prompt = 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] ';
    expect(d.cli(['image', 'prune', '-a'], { input: 'n\n' })).toEqual({ code: 0, stdout: prompt, stderr: '' });
    expect(ok(d.cli(['images', '-q', '--no-trunc', 'tbb']))).toBe(`${id}\n`);
    expect(ok(d.cli(['image', 'prune', '-a', '--filter', 'label=tsd.none=1'], { input: 'y\n' }))).toBe(`${prompt}Total reclaimed space: 0B\n`);
    expect(d.cli(['image', 'prune'], { input: '' }).stdout).toBe('WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ');
  });
  it('reports missing images and bad references as docker does', () => {
    const missing = d.cli(['rmi', 'nosuch']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error response from daemon: No such image: nosuch:latest\n');
    const upper = d.cli(['tag', 'tbb:1', 'Upper']);
    expect(upper.code).toBe(1);
    const inspect = d.cli(['inspect', 'nosuch']);
    expect(inspect.code).toBe(1);
    expect(inspect.stdout).toBe('[]\n');
    expect(inspect.stderr).toBe('Error: No such object: nosuch\n');
  });
});

describe.skipIf(!hasDocker)('docker CLI 28.2.2 image commands against tsdockerd', () => {
  it('import, images, inspect, history, tag, save, rmi, load', () => {
    const id = ok(d.docker(['import', '-c', 'CMD ["sh"]', rootfs, 'busybox:latest'])).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ok(d.docker(['images', '--format', '{{.Repository}} {{.Tag}} {{.ID}}', 'busybox']))).toBe(`busybox latest ${id.slice(7, 19)}\n`);
    expect(ok(d.docker(['image', 'inspect', 'busybox', '--format', '{{.Id}} {{.Os}} {{.Architecture}} {{len .RootFS.Layers}}']))).toBe(`${id} linux amd64 1\n`);
    expect(ok(d.docker(['history', '--format', '{{.Comment}}', 'busybox']))).toBe('Imported from -\n');
    ok(d.docker(['tag', 'busybox', 'localhost:5000/team/bb:v1']));
    expect(ok(d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).split('\n')).toContain('localhost:5000/team/bb:v1');
    const archive = join(d.dir, 'bb.tar');
    ok(d.docker(['save', '-o', archive, 'busybox']));
    const skopeo = spawnSync('skopeo', ['inspect', `docker-archive:${archive}`], { encoding: 'utf8' });
    expect(skopeo.status, skopeo.stderr).toBe(0);
    expect(JSON.parse(skopeo.stdout).Layers).toHaveLength(1);
    expect(ok(d.docker(['rmi', 'localhost:5000/team/bb:v1']))).toBe('Untagged: localhost:5000/team/bb:v1\n');
    // Docker lists the deleted layers after the image.
    expect(ok(d.docker(['rmi', 'busybox']))).toMatch(new RegExp(`^Untagged: busybox:latest\nDeleted: ${id}\n(Deleted: sha256:[0-9a-f]{64}\n)?$`));
    expect(ok(d.docker(['load', '-i', archive]))).toBe('Loaded image: busybox:latest\n');
    expect(ok(d.docker(['image', 'inspect', 'busybox', '--format', '{{.Id}}']))).toBe(`${id}\n`);
  });
  it('shows Docker\'s errors', () => {
    const r = d.docker(['image', 'inspect', 'nosuch']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No such image: nosuch:latest');
    expect(r.stderr).not.toContain('{"message"');
  });
});
