// Volumes next to Debian's dockerd (20.10, API 1.41): the same docker CLI
// commands against both daemons give the same answers — volume inspect,
// inspect's Mounts for -v, --mount, anonymous and image volumes and
// --volumes-from, copy-up, the in-use refusal and the local driver's and the
// parser's error messages. (Where dockerd 20.10 predates the API 1.50 dockerd
// the docker CLI 28 talks to — filter error wording, the anonymous label,
// prune's anonymous-only default — volumes.test.ts checks today's behaviour.)
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { busyboxRootfsTar } from '../fixtures/busybox';
import { cleanupWithContainers, startDaemon, type TestDaemon } from '../helpers/daemon';
import { dockerdMissingReason, startDockerd, type Dockerd } from '../helpers/dockerd';
import { itWithDockerd, succeeded } from '../helpers/peer';

let ours: TestDaemon | undefined;
let peer: Dockerd | undefined;

beforeAll(async () => {
  ours = await startDaemon();
  if (dockerdMissingReason()) return;
  peer = await startDockerd({ prefix: 'dockerd-volumes-' });
  const tar = await busyboxRootfsTar();
  for (const d of [ours, peer]) {
    succeeded(d.docker(['import', '-c', 'CMD ["sh"]', tar, 'busybox:latest']), 'import');
    succeeded(d.docker(['run', '--network', 'none', '--name', 'base', 'busybox', 'sh', '-c', 'mkdir -p /data && echo img > /data/f && chown 7:8 /data/f']), 'base');
    succeeded(d.docker(['commit', '-c', 'VOLUME /data', 'base', 'withvol']), 'commit');
  }
}, 180_000);

afterAll(async () => {
  if (peer) {
    const ids = peer.docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
    if (ids.length) peer.docker(['rm', '-f', ...ids]);
    await peer.stop();
  }
  await cleanupWithContainers(ours);
});

/** Paths under each data root, 64-hex names and times made comparable. */
function normalized(out: string): string {
  return out
    .replace(/[0-9a-f]{64}/g, '<id>')
    .replace(/"\/[^"]*\/root\/volumes\//g, '"<root>/volumes/')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)/g, '<time>');
}

const COMMANDS: string[][] = [
  ['volume', 'create', 'pv1'],
  ['volume', 'create', '--label', 'k=v', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m', 'pv2'],
  ['volume', 'inspect', 'pv1', 'pv2'],
  ['volume', 'inspect', 'missing'],
  ['volume', 'rm', 'missing'],
  ['volume', 'rm', '-f', 'missing'],
  ['volume', 'create', '-o', 'foo=bar', 'bad'],
  ['volume', 'create', '-o', 'type=tmpfs', 'bad'],
  ['volume', 'create', 'x$'],
  ['volume', 'create', 'a'],
  ['run', '--network', 'none', '-v', '/x:ro', 'busybox', 'true'],
  ['run', '--network', 'none', '-v', 'pv1:/x:rshared', 'busybox', 'true'],
  ['run', '--network', 'none', '--mount', 'type=volume,dst=/x,readonly', 'busybox', 'true'],
  ['run', '--network', 'none', '--volumes-from', 'nope', 'busybox', 'true'],
  ['run', '--network', 'none', '--name', 'c1', '-v', 'pv1:/v1', '-v', '/anon', '--mount', 'type=volume,src=pv3,dst=/v3', 'withvol', 'stat', '-c', '%u:%g %n', '/data/f'],
  ['inspect', '-f', '{{json .Mounts}}', 'c1'],
  ['run', '--network', 'none', '--name', 'c2', '--volumes-from', 'c1:ro', 'busybox', 'ls', '/v1', '/data'],
  ['volume', 'rm', 'pv1'],
  ['run', '--network', 'none', '--rm', '-v', 'pv2:/t', 'busybox', 'sh', '-c', 'grep " /t " /proc/mounts | cut -d" " -f1-3'],
  // One at a time: the docker CLI removes the containers of one `rm` in parallel, and c1's anonymous
  // volumes are removed with it only once c2 (which uses them) is gone, with dockerd as with us.
  ['rm', '-v', 'c2'],
  ['rm', '-v', 'c1'],
  ['volume', 'ls', '--format', '{{.Driver}} {{.Name}}'],
];

describe('volumes, next to dockerd', () => {
  itWithDockerd('answer the docker CLI as dockerd does', () => {
    const sorted = (s: string) => (s.startsWith('[{') ? JSON.stringify((JSON.parse(s) as Array<{ Destination: string }>).sort((a, b) => (a.Destination < b.Destination ? -1 : 1))) : s);
    for (const args of COMMANDS) {
      const theirs = peer!.docker(args);
      const mine = ours!.docker(args);
      const show = (r: { code: number; stdout: string; stderr: string }) => ({ args, code: r.code, stdout: sorted(normalized(r.stdout.trim())), stderr: normalized(r.stderr) });
      expect(show(mine)).toEqual(show(theirs));
    }
  });
});
