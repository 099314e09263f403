// Volumes from the real docker CLI against tsdockerd (issue 14's "Done when"):
// named volumes outlive containers, an image's VOLUME content is copied up
// into a fresh anonymous volume (owners, modes, xattrs), --volumes-from, rm -v
// and --rm remove anonymous volumes only, a volume in use cannot be removed,
// prune keeps named volumes, docker cp reaches into volumes, the local
// driver's -o options, and a half copy-up is redone.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupWithContainers, httpRequest, ok, startBusyboxDaemon, type TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
const host = mkdtempSync(join(tmpdir(), 'tsd-volumes-'));

beforeAll(async () => {
  d = await startBusyboxDaemon();
  // An image with content under its VOLUME: owned by 1234:5678, modes 0750 / 0604, an xattr.
  const script = 'mkdir -p /data/sub && echo img > /data/f && echo deep > /data/sub/g && chown -R 1234:5678 /data && chmod 750 /data/sub && chmod 604 /data/f && ln -s f /data/link';
  ok(d.docker(['run', '--name', 'base', 'busybox', 'sh', '-c', script]));
  ok(d.docker(['commit', '-c', 'VOLUME /data', 'base', 'withvol']));
  ok(d.docker(['rm', 'base']));
}, 120_000);

afterAll(async () => {
  await cleanupWithContainers(d);
  rmSync(host, { recursive: true, force: true });
});

const volumes = (): string[] => ok(d.docker(['volume', 'ls', '-q'])).split('\n').filter(Boolean).sort();
const run = (args: string[]): string => ok(d.docker(['run', '--rm', ...args])).trim();

describe('named volumes', () => {
  it('keeps a file written in one container for the next', () => {
    run(['-v', 'keep:/data', 'busybox', 'sh', '-c', 'echo hello > /data/f']);
    expect(run(['-v', 'keep:/data', 'busybox', 'cat', '/data/f'])).toBe('hello');
    expect(run(['--mount', 'type=volume,source=keep,target=/m,readonly', 'busybox', 'cat', '/m/f'])).toBe('hello');
    expect(run(['-v', 'keep:/z:Z', '-v', 'keep:/y:z,rw', 'busybox', 'cat', '/z/f', '/y/f'])).toBe('hello\nhello');
    const ro = d.docker(['run', '--rm', '-v', 'keep:/data:ro', 'busybox', 'sh', '-c', 'echo x > /data/g']);
    expect(ro.code).not.toBe(0);
    expect(ro.stderr).toMatch(/Read-only file system/);
  });

  it('shows volumes in inspect, and as docker volume inspect does', () => {
    ok(d.docker(['create', '--name', 'insp', '-v', 'iv:/data', '--mount', 'type=volume,src=iv2,dst=/m,volume-nocopy', 'busybox']));
    const mounts = JSON.parse(ok(d.docker(['inspect', '-f', '{{json .Mounts}}', 'insp']))) as Array<Record<string, unknown>>;
    const mountpoint = (n: string) => join(d.dataRoot, 'volumes', n, '_data');
    expect(mounts).toEqual([
      { Type: 'volume', Name: 'iv', Source: mountpoint('iv'), Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
      { Type: 'volume', Name: 'iv2', Source: mountpoint('iv2'), Destination: '/m', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
    ]);
    const [vol] = JSON.parse(ok(d.docker(['volume', 'inspect', 'iv']))) as Array<Record<string, unknown>>;
    expect(vol).toEqual({ CreatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/), Driver: 'local', Labels: null, Mountpoint: mountpoint('iv'), Name: 'iv', Options: null, Scope: 'local' });
    // dockerd's modes: the volume's directory closed to others, _data as the container needs it.
    expect(statSync(join(d.dataRoot, 'volumes')).mode & 0o777).toBe(0o700);
    expect(statSync(join(d.dataRoot, 'volumes', 'iv')).mode & 0o777).toBe(0o700);
    expect(statSync(mountpoint('iv')).mode & 0o777).toBe(0o755);
    expect(ok(d.docker(['ps', '-a', '--filter', 'volume=iv', '--format', '{{.Names}}'])).trim()).toBe('insp');
    ok(d.docker(['rm', 'insp']));
  });

  it('refuses to remove a volume in use, with dockerd answer', async () => {
    const id = ok(d.docker(['create', '-v', 'busy:/data', 'busybox'])).trim();
    const r = d.docker(['volume', 'rm', 'busy']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`Error response from daemon: remove busy: volume is in use - [${id}]`);
    const api = await httpRequest(d.socket, 'DELETE', '/volumes/busy?force=1');
    expect(api.status).toBe(409);
    ok(d.docker(['rm', id]));
    expect(ok(d.docker(['volume', 'rm', 'busy'])).trim()).toBe('busy');
    expect(d.docker(['volume', 'inspect', 'busy']).stderr).toMatch(/get busy: no such volume/);
  });

  it("checks names, options and specs with Docker's messages", () => {
    const err = (args: string[]) => d.docker(args).stderr.trim();
    expect(err(['volume', 'create', 'x$'])).toBe(
      'Error response from daemon: create x$: "x$" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path',
    );
    expect(err(['volume', 'create', '-o', 'foo=bar', 'v3'])).toBe('Error response from daemon: create v3: invalid option: "foo"');
    expect(err(['volume', 'create', '-o', 'type=tmpfs', 'v3'])).toBe('Error response from daemon: create v3: missing required option: "device"');
    expect(err(['volume', 'create', '-d', 'nope', 'v4'])).toBe('Error response from daemon: create v4: error looking up volume plugin nope: plugin "nope" not found');
    expect(err(['run', '-v', 'v1:/x:rshared', 'busybox'])).toMatch(/invalid volume specification: 'v1:\/x:rshared': invalid mount config for type "volume": field BindOptions must not be specified/);
    expect(err(['run', '--mount', 'type=volume,dst=/x,readonly', 'busybox'])).toMatch(/must not set ReadOnly mode when using anonymous volumes/);
    const from = d.docker(['run', '--volumes-from', 'nope', 'busybox']);
    expect(from.code).toBe(125);
    expect(from.stderr).toMatch(/Error response from daemon: No such container: nope/);
    expect(err(['run', '--volumes-from', 'x:rshared', 'busybox'])).toMatch(/invalid mode: rshared/);
    expect(volumes()).not.toContain('v3');
  });
});

describe('local driver options', () => {
  it('mounts a tmpfs with its size for the containers that use it', () => {
    ok(d.docker(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=8m,uid=1000', 'tv']));
    const out = run(['-v', 'tv:/t', 'busybox', 'sh', '-c', 'grep " /t " /proc/mounts; echo x > /t/f; stat -c %u /t']);
    expect(out).toMatch(/^tmpfs \/t tmpfs rw,.*size=8192k/);
    expect(out.split('\n').pop()).toBe('1000');
    // Unmounted after the last container: a tmpfs starts empty again.
    expect(run(['-v', 'tv:/t', 'busybox', 'ls', '/t'])).toBe('');
    ok(d.docker(['volume', 'rm', 'tv']));
  });

  it('mounts any filesystem type mount(2) knows, with its options (ramfs, mode=)', () => {
    ok(d.docker(['volume', 'create', '-o', 'type=ramfs', '-o', 'device=ramfs', '-o', 'o=mode=0711,noexec', 'rv']));
    expect(run(['-v', 'rv:/r', 'busybox', 'sh', '-c', 'grep " /r " /proc/mounts | cut -d" " -f1-3; stat -c %a /r'])).toBe('ramfs /r ramfs\n711');
    ok(d.docker(['volume', 'create', '-o', 'type=nosuchfs', '-o', 'device=x', 'nv']));
    const fails = d.docker(['run', '--rm', '-v', 'nv:/n', 'busybox', 'true']);
    expect(fails.code).not.toBe(0);
    const data = join(d.dataRoot, 'volumes', 'nv', '_data');
    expect(fails.stderr).toContain(`error while mounting volume '${data}': failed to mount local volume: mount x:${data}, flags: 0x0: no such device`);
    ok(d.docker(['volume', 'rm', 'rv', 'nv']));
  });

  it('binds a host directory (o=bind), whose files survive the volume', () => {
    const dir = join(host, 'bound');
    mkdirSync(dir);
    writeFileSync(join(dir, 'before'), 'host\n');
    ok(d.docker(['volume', 'create', '-o', 'type=none', '-o', `device=${dir}`, '-o', 'o=bind', 'bv']));
    expect(run(['-v', 'bv:/b', 'busybox', 'sh', '-c', 'cat /b/before; echo ctr > /b/after'])).toBe('host');
    ok(d.docker(['volume', 'rm', 'bv']));
    expect(readFileSync(join(dir, 'after'), 'utf8')).toBe('ctr\n');
    expect(readFileSync(join(dir, 'before'), 'utf8')).toBe('host\n');
  });
});

describe('anonymous volumes and copy-up', () => {
  it("fills a fresh anonymous volume with the image's content: owners, modes, links", () => {
    const out = run(['withvol', 'sh', '-c', 'cat /data/f /data/sub/g; stat -c "%u:%g %a %n" /data /data/f /data/sub; readlink /data/link']);
    expect(out.split('\n')).toEqual(['img', 'deep', '1234:5678 755 /data', '1234:5678 604 /data/f', '1234:5678 750 /data/sub', 'f']);
  });

  it('copies into a new named volume, not with nocopy, and never over content', () => {
    expect(run(['-v', 'cu:/data', 'withvol', 'cat', '/data/f'])).toBe('img');
    run(['-v', 'cu:/data', 'busybox', 'sh', '-c', 'echo mine > /data/f']);
    expect(run(['-v', 'cu:/data', 'withvol', 'cat', '/data/f'])).toBe('mine');
    expect(run(['-v', 'nc:/data:nocopy', 'withvol', 'ls', '-A', '/data'])).toBe('');
    expect(run(['--mount', 'type=volume,src=nc2,dst=/data,volume-nocopy', 'withvol', 'ls', '-A', '/data'])).toBe('');
  });

  it('redoes a copy-up that a crash cut (its marker left), never leaving it half-filled', () => {
    ok(d.docker(['volume', 'create', 'half']));
    const data = join(d.dataRoot, 'volumes', 'half', '_data');
    writeFileSync(join(data, 'f'), 'im'); // the cut copy
    mkdirSync(join(d.dataRoot, 'volumes', '.copy-up'), { recursive: true, mode: 0o700 });
    const marker = join(d.dataRoot, 'volumes', '.copy-up', createHash('sha256').update('half').digest('hex'));
    writeFileSync(marker, '');
    expect(run(['-v', 'half:/data', 'withvol', 'sh', '-c', 'cat /data/f /data/sub/g'])).toBe('img\ndeep');
    expect(existsSync(marker)).toBe(false);
  });

  it('removes anonymous volumes with rm -v and --rm, keeps named ones and those of plain rm', () => {
    const before = volumes();
    run(['-v', 'named1:/n', '-v', '/anon', 'withvol', 'true']);
    expect(volumes()).toEqual([...before, 'named1'].sort());
    ok(d.docker(['create', '--name', 'rmv', '-v', 'named2:/n', '-v', '/anon', 'withvol']));
    expect(volumes().length).toBe(before.length + 4); // named2, /anon and the image's /data
    ok(d.docker(['rm', '-v', 'rmv']));
    expect(volumes()).toEqual([...before, 'named1', 'named2'].sort());
    ok(d.docker(['create', '--name', 'plain', '-v', '/anon', 'busybox']));
    ok(d.docker(['rm', 'plain']));
    expect(volumes().length).toBe(before.length + 3);
  });
});

describe('--volumes-from', () => {
  it("sees another container's volumes and binds, read-only when asked", () => {
    const dir = join(host, 'shared');
    mkdirSync(dir);
    writeFileSync(join(dir, 'h'), 'bind\n');
    ok(d.docker(['run', '--name', 'datac', '-v', 'vf:/v', '-v', `${dir}:/h`, 'withvol', 'sh', '-c', 'echo from > /v/x']));
    expect(run(['--volumes-from', 'datac', 'busybox', 'cat', '/v/x', '/h/h', '/data/f'])).toBe('from\nbind\nimg');
    const ro = d.docker(['run', '--rm', '--volumes-from', 'datac:ro', 'busybox', 'sh', '-c', 'echo y > /v/y']);
    expect(ro.stderr).toMatch(/Read-only file system/);
    const mounts = JSON.parse(ok(d.docker(['inspect', '-f', '{{json .Mounts}}', 'datac']))) as unknown[];
    expect(mounts).toHaveLength(3);
    ok(d.docker(['rm', '-v', 'datac']));
  });
});

describe('volume prune', () => {
  it('removes only unused anonymous volumes, unless --all; API 1.41 prunes every unused one, as dockerd', async () => {
    ok(d.docker(['volume', 'create', 'pn1']));
    ok(d.docker(['create', '--name', 'anonc', '-v', '/a', 'busybox']));
    ok(d.docker(['rm', 'anonc']));
    const used = ok(d.docker(['create', '-v', 'pused:/u', 'busybox'])).trim();
    const out = ok(d.docker(['volume', 'prune', '-f']));
    expect(out).toMatch(/^Deleted Volumes:\n[0-9a-f]{64}\n/);
    expect(volumes()).toContain('pn1');
    expect(volumes().filter((v) => /^[0-9a-f]{64}$/.test(v))).toEqual([]);
    ok(d.docker(['volume', 'create', '--label', 'keep=1', 'pn2']));
    const all = ok(d.docker(['volume', 'prune', '-af', '--filter', 'label!=keep']));
    expect(all).toMatch(/pn1/);
    expect(volumes()).toContain('pn2');
    expect(volumes()).toContain('pused');
    const old = await httpRequest(d.socket, 'POST', '/v1.41/volumes/prune', {});
    expect(old.status).toBe(200);
    expect((JSON.parse(old.body) as { VolumesDeleted: string[] }).VolumesDeleted).toContain('pn2');
    expect(volumes()).toEqual(['pused']);
    ok(d.docker(['rm', used]));
  });

  it('lists with filters', () => {
    ok(d.docker(['volume', 'create', '--label', 'color=blue', 'lf1']));
    ok(d.docker(['volume', 'create', 'lf2']));
    const ls = (f: string[]) => ok(d.docker(['volume', 'ls', '-q', ...f.flatMap((x) => ['--filter', x])])).split('\n').filter(Boolean).sort();
    expect(ls(['label=color=blue'])).toEqual(['lf1']);
    expect(ls(['name=^lf'])).toEqual(['lf1', 'lf2']);
    expect(ls(['name=^lf', 'dangling=true', 'driver=local'])).toEqual(['lf1', 'lf2']);
    expect(ls(['driver=other'])).toEqual([]);
    expect(d.docker(['volume', 'ls', '--filter', 'foo=bar']).stderr.trim()).toBe("Error response from daemon: invalid filter 'foo'");
  });
});

describe('docker cp', () => {
  it('reaches into a volume of a stopped and of a running container', () => {
    ok(d.docker(['create', '--name', 'cpc', '-v', 'cpv:/data', 'busybox', 'sleep', '60']));
    const file = join(host, 'in.txt');
    writeFileSync(file, 'copied\n');
    ok(d.docker(['cp', file, 'cpc:/data/in.txt']));
    expect(readFileSync(join(d.dataRoot, 'volumes', 'cpv', '_data', 'in.txt'), 'utf8')).toBe('copied\n');
    ok(d.docker(['start', 'cpc']));
    ok(d.docker(['exec', 'cpc', 'sh', '-c', 'echo out > /data/out.txt']));
    ok(d.docker(['cp', 'cpc:/data/out.txt', join(host, 'out.txt')]));
    expect(readFileSync(join(host, 'out.txt'), 'utf8')).toBe('out\n');
    ok(d.docker(['rm', '-f', 'cpc']));
  });

  it('mounts the volumes of a stopped container that need a mount for the copy (a bind -o volume), then unmounts them', async () => {
    const dir = join(host, 'cp-bound');
    mkdirSync(dir);
    writeFileSync(join(dir, 'there'), 'host\n');
    ok(d.docker(['volume', 'create', '-o', 'type=none', '-o', `device=${dir}`, '-o', 'o=bind', 'cpb']));
    ok(d.docker(['create', '--name', 'cpd', '-v', 'cpb:/b', 'busybox']));
    ok(d.docker(['cp', join(host, 'in.txt'), 'cpd:/b/in.txt']));
    expect(readFileSync(join(dir, 'in.txt'), 'utf8')).toBe('copied\n');
    ok(d.docker(['cp', 'cpd:/b/there', join(host, 'there.txt')]));
    expect(readFileSync(join(host, 'there.txt'), 'utf8')).toBe('host\n');
    const data = join(d.dataRoot, 'volumes', 'cpb', '_data');
    const mounted = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === data);
    // The view (and its volume mounts) goes once the archive stream has closed, which may follow the answer.
    for (let i = 0; i < 100 && mounted(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(mounted()).toBe(false);
    ok(d.docker(['rm', 'cpd']));
    ok(d.docker(['volume', 'rm', 'cpb']));
  });
});

describe('events and system df', () => {
  it('publishes create and destroy, and counts volumes in system df -v', () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    ok(d.docker(['volume', 'create', 'ev']));
    const id = ok(d.docker(['create', '-v', 'ev:/e', 'busybox'])).trim();
    const df = JSON.parse(ok(d.docker(['system', 'df', '-v', '--format', '{{json .Volumes}}']))) as Array<{ Name: string; Links: string }>;
    expect(df.find((v) => v.Name === 'ev')?.Links).toBe('1');
    ok(d.docker(['rm', id]));
    ok(d.docker(['volume', 'rm', 'ev']));
    const run = ok(d.docker(['run', '-d', '-v', 'ev2:/e:ro', 'busybox', 'true'])).trim();
    ok(d.docker(['wait', run]));
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const events = ok(d.docker(['events', '--since', String(since), '--until', until, '--filter', 'type=volume', '--format', '{{.Action}} {{.Actor.ID}}']));
    expect(events).toMatch(/create ev\n(.*\n)*destroy ev\n(.*\n)*create ev2\n(.*\n)*mount ev2\n(.*\n)*unmount ev2\n/);
    const mount = ok(d.docker(['events', '--since', String(since), '--until', until, '--filter', 'event=mount', '--filter', 'volume=ev2', '--format', '{{json .Actor.Attributes}}']));
    expect(JSON.parse(mount)).toEqual({ container: run, destination: '/e', driver: 'local', propagation: '', 'read/write': 'false' });
    const unmount = ok(d.docker(['events', '--since', String(since), '--until', until, '--filter', 'event=unmount', '--filter', 'volume=ev2', '--format', '{{json .Actor.Attributes}}']));
    expect(JSON.parse(unmount)).toEqual({ container: run, driver: 'local' });
    ok(d.docker(['rm', run]));
  });
});

describe('tsdocker volume commands', () => {
  it("print what the docker CLI prints against the same daemon (ls, inspect, rm, create errors, system df -v)", () => {
    ok(d.docker(['volume', 'create', '--label', 'b=2', '--label', 'a=1', 'cl1']));
    ok(d.cli(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', 'cl2']));
    const id = ok(d.docker(['create', '-v', 'cl1:/d', '-v', '/x', 'busybox'])).trim();
    const same = (args: string[], part = (s: string) => s) => {
      const theirs = d.docker(args);
      const ours = d.cli(args);
      expect({ code: ours.code, stdout: part(ours.stdout), stderr: ours.stderr }).toEqual({ code: theirs.code, stdout: part(theirs.stdout), stderr: theirs.stderr });
    };
    same(['volume', 'ls']);
    same(['volume', 'ls', '-q', '--filter', 'label=a=1']);
    same(['volume', 'ls', '--format', '{{.Name}} {{.Scope}} {{.Driver}} {{.Mountpoint}}']);
    // The docker CLI joins .Labels in Go's map order (random); ours sorts them.
    expect(ok(d.cli(['volume', 'ls', '--filter', 'name=cl1', '--format', '{{.Labels}}']))).toBe('a=1,b=2\n');
    same(['volume', 'inspect', 'cl1', 'cl2', 'nope']);
    same(['volume', 'inspect', '-f', '{{.Name}} {{.Options}}', 'cl2']);
    same(['volume', 'create', '-o', 'novalue', 'zz']);
    same(['volume', 'rm', 'cl1', 'nope']);
    // The volumes section (the others show ages, which may tick between the two commands).
    same(['system', 'df', '-v'], (s) => s.slice(s.indexOf('Local Volumes space usage:'), s.indexOf('Build cache usage')));
    ok(d.docker(['rm', '-v', id]));
    expect(ok(d.cli(['volume', 'rm', 'cl1', 'cl2']))).toBe('cl1\ncl2\n');
    ok(d.cli(['volume', 'create', 'cl3']));
    expect(ok(d.cli(['volume', 'prune', '-f']))).toBe('Total reclaimed space: 0B\n');
    expect(ok(d.cli(['volume', 'prune', '-af', '--filter', 'label!=keep']))).toMatch(/^Deleted Volumes:\n(.+\n)*cl3\n(.+\n)*\nTotal reclaimed space: /);
  });
});
