// A `docker save` tar made by a real dockerd (Debian's docker.io, on its own
// socket) loads into tsdockerd as the same image, and runs the same. Without
// dockerd these tests fail, saying how to get it: they never pass unchecked.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { busyboxRootfsTar } from '../fixtures/busybox';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { dockerdMissingReason, startDockerd, type Dockerd } from '../helpers/dockerd';
import { itWithDockerd, succeeded } from '../helpers/peer';

const IMAGE = 'tsd-cross:2';
// The second layer holds a new file, a hard link to it, a new directory and a deletion (a whiteout).
const LAYER2 = 'echo hi > /hi && mkdir -p /d/e && ln /hi /d/e/hl && rm /etc/group';

let peer: Dockerd | undefined;
let ours: TestDaemon | undefined;
let archive: string;
let rootfs: string;
let busyboxDiffId: string;

const ok = succeeded;
const it = itWithDockerd;
const missing = dockerdMissingReason();

beforeAll(async () => {
  if (missing) return;
  rootfs = await busyboxRootfsTar();
  [peer, ours] = await Promise.all([startDockerd(), startDaemon()]);
  ok(peer.docker(['import', '-c', 'CMD ["/bin/sh"]', rootfs, 'busybox:latest']), 'dockerd import');
  busyboxDiffId = ok(peer.docker(['image', 'inspect', '--format', '{{index .RootFS.Layers 0}}', 'busybox']), 'dockerd inspect').trim();
  ok(peer.docker(['run', '--network', 'none', '--name', 'layer2', 'busybox', 'sh', '-c', LAYER2]), 'dockerd run');
  ok(peer.docker(['commit', '-c', 'ENV GREETING=hi', '-c', 'CMD ["/bin/sh"]', '-m', 'second layer', 'layer2', IMAGE]), 'dockerd commit');
  ok(peer.docker(['rm', 'layer2']), 'dockerd rm');
  archive = join(ours.dir, 'from-dockerd.tar');
  ok(peer.docker(['save', '-o', archive, IMAGE]), 'dockerd save');
});

afterAll(async () => {
  await Promise.all([ours?.cleanup(), peer?.stop()]);
});

/** The parts of `docker image inspect` that a save/load must keep. */
function inspectOf(run: (args: string[]) => { code: number; stdout: string; stderr: string }): Record<string, unknown> {
  const [img] = JSON.parse(ok(run(['image', 'inspect', IMAGE]), 'inspect')) as Array<Record<string, unknown>>;
  const { Id, RepoTags, Created, Author, Comment, Os, Architecture, Config, RootFS } = img!;
  return { Id, RepoTags, Created, Author, Comment, Os, Architecture, Config, RootFS };
}

describe('an image saved by dockerd loads into tsdockerd', () => {
  it('loads with the docker CLI and reports the name', () => {
    expect(ok(ours!.docker(['load', '-i', archive]), 'load')).toBe(`Loaded image: ${IMAGE}\n`);
  });

  it('has the same ID, tags, layers, config and history', () => {
    const theirs = inspectOf((a) => peer!.docker(a));
    const mine = inspectOf((a) => ours!.docker(a));
    expect(mine).toEqual(theirs);
    expect((mine['RootFS'] as { Layers: string[] }).Layers).toHaveLength(2);
    expect((mine['RootFS'] as { Layers: string[] }).Layers[0]).toBe(busyboxDiffId);
    const history = ['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', IMAGE];
    const theirHistory = ok(peer!.docker(history), 'dockerd history');
    expect(theirHistory.trim().split('\n')).toHaveLength(2);
    expect(ok(ours!.docker(history), 'history')).toBe(theirHistory);
  });

  it('imports the same rootfs tar as the same layer', () => {
    ok(ours!.docker(['import', rootfs, 'tsd-cross:imported']), 'import');
    expect(ok(ours!.docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', 'tsd-cross:imported']), 'inspect').trim()).toBe(
      JSON.stringify([busyboxDiffId]),
    );
  });

  it('saves it back in a form dockerd loads as the same image', () => {
    const back = join(ours!.dir, 'from-tsdockerd.tar');
    ok(ours!.docker(['save', '-o', back, IMAGE]), 'save');
    const id = ok(peer!.docker(['image', 'inspect', '--format', '{{.Id}}', IMAGE]), 'dockerd inspect').trim();
    ok(peer!.docker(['rmi', IMAGE]), 'dockerd rmi');
    expect(ok(peer!.docker(['load', '-i', back]), 'dockerd load')).toBe(`Loaded image: ${IMAGE}\n`);
    expect(ok(peer!.docker(['image', 'inspect', '--format', '{{.Id}}', IMAGE]), 'dockerd inspect').trim()).toBe(id);
  });
});

// Needs containers in tsdockerd: fails until `docker run` works there.
describe('runs', () => {
  const commands: Array<[string, string[]]> = [
    ['cat /hi', ['cat', '/hi']],
    ['the files of the second layer', ['sh', '-c', 'stat -c "%n %a %u:%g %h %F" /hi /d/e/hl /d /d/e /etc/passwd; test -e /etc/group || echo no /etc/group']],
    ['the environment', ['sh', '-c', 'echo "$GREETING"']],
  ];
  for (const [name, argv] of commands) {
    it(`docker run --rm --network none: ${name} prints the same on both daemons`, () => {
      const run = ['run', '--rm', '--network', 'none', IMAGE, ...argv];
      const theirs = peer!.docker(run);
      expect(theirs.code, theirs.stderr).toBe(0);
      const mine = ours!.docker(run);
      expect({ code: mine.code, stdout: mine.stdout, stderr: mine.stderr }).toEqual({ code: 0, stdout: theirs.stdout, stderr: '' });
    });
  }
});
