// docker cp against tsdockerd, both ways, from the real docker CLI 28.2.2 and
// from `tsdocker cp`: files and directories into and out of running and
// stopped containers, symlinks resolved inside the container's root, the
// noOverwriteDirNonDir refusals, Docker's 404 text, tars through `-`, bind
// mounts, owners with and without -a, a read-only rootfs; then the archive
// endpoints and the CLI's results next to Debian's dockerd.
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanupWithContainers, httpRequest, ok, startBusyboxDaemon, type CommandResult, type TestDaemon } from '../helpers/daemon';
import { busyboxRootfsTar } from '../fixtures/busybox';
import { dockerdMissingReason, startDockerd, type Dockerd } from '../helpers/dockerd';
import { itWithDockerd, succeeded } from '../helpers/peer';

const CLIENTS = ['docker', 'tsdocker'] as const;
type Client = (typeof CLIENTS)[number];

/** The container's files: a file, a directory, links to both, and a link to its own root. */
const SETUP = 'echo hello > /f.txt; mkdir -p /d/sub; echo a > /d/a; echo b > /d/sub/b; ln -s /d /dl; ln -s f.txt /fl; ln -s / /escape; echo x > /tmp/clash';

let d: TestDaemon;
/** Files of this machine: sources, destinations, the bind mount's source. */
let local: string;
let bind: string;
/** A directory name made in the container's /tmp that must never appear in the host's. */
let inside: string;

const run = (client: Client, args: string[]): CommandResult => (client === 'docker' ? d.docker(args) : d.cli(args));

/** A shell line with the client as "$CLI" (pipes carry tars), optionally fed `input`. */
function sh(client: Client, script: string, input?: Buffer): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync('sh', ['-c', script], {
    input,
    env: { ...process.env, DOCKER_HOST: d.host, TSDOCKER_HOST: '', DOCKER_CONFIG: join(d.dir, 'docker-config'), CLI: client === 'docker' ? 'docker' : CLI },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

/**
 * stderr without the log lines the docker CLI sometimes adds when it stops
 * archiving a source it will not send ("Can't add file … closed pipe").
 */
function withoutCliLog(stderr: string): string {
  return stderr.replace(/^time="[^"]*" level=\w+ msg=.*\n/gm, '');
}

/** A command that must fail with exactly this message on stderr. */
function fails(r: { code: number; stderr: string }, message: string): void {
  expect(withoutCliLog(r.stderr)).toBe(`${message}\n`);
  expect(r.code).toBe(1);
}

function exec(container: string, script: string): string {
  return ok(d.docker(['exec', container, 'sh', '-c', script]));
}

/** Every entry under a local directory: "name/" for directories, "name -> target" for links. */
function tree(dir: string, prefix = ''): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      const st = lstatSync(path);
      if (st.isDirectory()) return [`${prefix}${name}/`, ...tree(path, `${prefix}${name}/`)];
      if (st.isSymbolicLink()) return [`${prefix}${name} -> ${readlinkSync(path)}`];
      return [`${prefix}${name}`];
    });
}

interface Entry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkname: string | null;
}

async function entriesOf(archive: Buffer): Promise<Entry[]> {
  const extract = tar.extract();
  const out: Entry[] = [];
  extract.end(archive);
  for await (const e of extract) {
    const { name, type, mode = 0, uid = 0, gid = 0, size = 0, linkname = null } = e.header;
    out.push({ name, type: String(type), mode, uid, gid, size, linkname });
    e.resume();
  }
  return out;
}

async function packTar(entries: Array<{ name: string; type?: 'file' | 'directory' | 'symlink'; content?: string; linkname?: string }>): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    pack.entry({ name: e.name, type: e.type ?? 'file', mode: 0o644, ...(e.linkname ? { linkname: e.linkname } : {}) }, e.content ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

beforeAll(async () => {
  d = await startBusyboxDaemon();
  local = join(d.dir, 'local');
  bind = join(d.dir, 'bind');
  inside = `tsd-cp-inside-${basename(d.dir)}`;
  mkdirSync(join(local, 'tree', 'sub'), { recursive: true });
  writeFileSync(join(local, 'hello.txt'), 'hello\n');
  writeFileSync(join(local, 'tree', 'a'), 'a\n');
  writeFileSync(join(local, 'tree', 'sub', 'b'), 'b\n');
  writeFileSync(join(local, 'owned'), 'owned\n', { mode: 0o640 });
  chownSync(join(local, 'owned'), 1234, 5678);
  mkdirSync(join(local, 'clash'));
  writeFileSync(join(local, 'clash', 'in'), 'in\n');
  mkdirSync(join(local, 'as-file'));
  writeFileSync(join(local, 'as-file', 'd'), 'a file named d\n');
  mkdirSync(join(local, 'victim'));
  mkdirSync(bind);
  writeFileSync(join(bind, 'fromhost.txt'), 'from the host\n');

  ok(d.docker(['run', '-d', '--name', 'run1', 'busybox', 'sleep', '600']));
  exec('run1', `${SETUP}; mkdir /tmp/${inside}; ln -s ${join(local, 'victim')} /hl`);
  ok(d.docker(['run', '-d', '--name', 'bound', '-v', `${bind}:/data`, '-v', `${bind}:/rodata:ro`, 'busybox', 'sleep', '600']));
  ok(d.docker(['create', '--name', 'ro', '--read-only', '-v', `${bind}:/data`, 'busybox']));
  ok(d.docker(['create', '--name', 'nobody', '--user', 'nobody', 'busybox']));
}, 120_000);

afterAll(() => cleanupWithContainers(d));

describe.each(CLIENTS)('%s cp against tsdockerd', (client) => {
  const out = (name: string): string => {
    const dir = join(local, `out-${client}`);
    mkdirSync(dir, { recursive: true });
    return join(dir, name);
  };

  it('copies a file into a running container and back, and says so when asked', () => {
    ok(run(client, ['cp', join(local, 'hello.txt'), `run1:/tmp/hello-${client}`]));
    expect(exec('run1', `cat /tmp/hello-${client}`)).toBe('hello\n');
    ok(run(client, ['cp', `run1:/tmp/hello-${client}`, `${out('')}/`]));
    expect(readFileSync(out(`hello-${client}`), 'utf8')).toBe('hello\n');
    // Without a terminal docker is quiet unless told otherwise; the size is the tar's.
    const loud = run(client, ['cp', '-q=false', join(local, 'hello.txt'), 'run1:/tmp/']);
    expect(loud.stderr).toBe('Successfully copied 2.05kB to run1:/tmp/\n');
    expect(loud.stdout).toBe('');
    const back = run(client, ['cp', '--quiet=false', 'run1:/tmp/hello.txt', out('back.txt')]);
    expect(back.stderr).toBe(`Successfully copied 2.05kB to ${out('back.txt')}\n`);
  });

  it('copies directories both ways, and a directory\'s contents with /.', () => {
    ok(run(client, ['cp', join(local, 'tree'), `run1:/tmp/tree-${client}`]));
    expect(exec('run1', `cd /tmp/tree-${client} && find . | sort`)).toBe('.\n./a\n./sub\n./sub/b\n');
    ok(run(client, ['cp', 'run1:/d', out('d')]));
    expect(tree(out('d'))).toEqual(['a', 'sub/', 'sub/b']);
    mkdirSync(out('contents'));
    ok(run(client, ['cp', 'run1:/d/.', out('contents')]));
    expect(tree(out('contents'))).toEqual(['a', 'sub/', 'sub/b']);
    ok(run(client, ['cp', 'run1:/d', out('contents')]));
    expect(tree(out('contents'))).toEqual(['a', 'd/', 'd/a', 'd/sub/', 'd/sub/b', 'sub/', 'sub/b']);
  });

  it('copies into and out of a container that is not running', () => {
    const name = `stopped-${client}`;
    ok(d.docker(['create', '--name', name, 'busybox', 'cat', '/tmp/hello.txt', '/copied/a']));
    ok(run(client, ['cp', join(local, 'hello.txt'), `${name}:/tmp/`]));
    ok(run(client, ['cp', join(local, 'tree'), `${name}:/copied`]));
    ok(run(client, ['cp', `${name}:/tmp/hello.txt`, out('from-stopped.txt')]));
    expect(readFileSync(out('from-stopped.txt'), 'utf8')).toBe('hello\n');
    const id = ok(d.docker(['inspect', '-f', '{{.Id}}', name])).trim();
    expect(mountsUnder(join(d.dataRoot, 'containers', id))).toEqual([]);
    expect(ok(d.docker(['start', '-a', name]))).toBe('hello\na\n');
  });

  it('follows a symlink with -L, and copies the link itself without', () => {
    ok(run(client, ['cp', 'run1:/fl', out('fl')]));
    expect(readlinkSync(out('fl'))).toBe('f.txt');
    ok(run(client, ['cp', '-L', 'run1:/fl', out('fl-followed')]));
    expect(readFileSync(out('fl-followed'), 'utf8')).toBe('hello\n');
    ok(run(client, ['cp', 'run1:/dl/', out('dl')]));
    expect(tree(out('dl'))).toEqual(['a', 'sub/', 'sub/b']);
  });

  it('resolves symlinks in the container within its root, never on the host', async () => {
    // /escape -> / : a copy through it lands in the container's /tmp.
    ok(run(client, ['cp', join(local, 'hello.txt'), `run1:/escape/tmp/${inside}/via-link-${client}`]));
    expect(exec('run1', `cat /tmp/${inside}/via-link-${client}`)).toBe('hello\n');
    const viaTar = await packTar([{ name: `escape/tmp/${inside}/via-tar-${client}`, content: 'tar\n' }]);
    expect(sh(client, '"$CLI" cp - run1:/', viaTar).code).toBe(0);
    expect(exec('run1', `cat /tmp/${inside}/via-tar-${client}`)).toBe('tar\n');
    expect(existsSync(join('/tmp', inside))).toBe(false);
    // /hl -> a directory of the host: not there in the container, so nothing to write into.
    fails(run(client, ['cp', join(local, 'hello.txt'), 'run1:/hl']), `Error response from daemon: Could not find the file ${local} in container run1`);
    fails(run(client, ['cp', join(local, 'hello.txt'), 'run1:/hl/']), 'no such directory');
    const put = await httpRequest(d.socket, 'PUT', '/containers/run1/archive?path=/hl', '');
    expect(put.status).toBe(404);
    expect(readdirSync(join(local, 'victim'))).toEqual([]);
    // Entries climbing out of the destination, or symlinks pointing out of it, are refused.
    const climbing = await packTar([{ name: '../outside', content: 'no\n' }]);
    fails({ ...sh(client, '"$CLI" cp - run1:/tmp/', climbing) }, 'Error response from daemon: "../outside" is outside of "/tmp"');
    const linkOut = await packTar([{ name: 'up', type: 'symlink', linkname: '../../etc' }]);
    fails({ ...sh(client, '"$CLI" cp - run1:/tmp/', linkOut) }, 'Error response from daemon: invalid symlink "/tmp/up" -> "../../etc"');
  });

  it('refuses to put a directory over a file and a file over a directory', () => {
    fails(run(client, ['cp', join(local, 'clash'), 'run1:/tmp/']), 'Error response from daemon: cannot overwrite non-directory "/tmp/clash" with directory "/tmp"');
    expect(exec('run1', 'cat /tmp/clash')).toBe('x\n');
    fails(run(client, ['cp', join(local, 'as-file', 'd'), 'run1:/']), 'Error response from daemon: cannot overwrite directory "/d" with non-directory "/"');
    fails(run(client, ['cp', join(local, 'tree'), 'run1:/f.txt']), 'cannot copy directory');
    fails(run(client, ['cp', join(local, 'hello.txt'), 'run1:/nodir/']), 'no such directory');
  });

  it('answers a missing path with Docker\'s words', () => {
    fails(run(client, ['cp', 'run1:/nope', out('nope')]), 'Error response from daemon: Could not find the file /nope in container run1');
    fails(run(client, ['cp', join(local, 'hello.txt'), 'run1:/nope/x']), 'Error response from daemon: Could not find the file /nope in container run1');
    fails(run(client, ['cp', 'nosuch:/x', out('x')]), 'Error response from daemon: No such container: nosuch');
    fails(run(client, ['cp', 'run1:/f.txt/', out('x')]), 'Error response from daemon: lstat /f.txt/: not a directory');
    fails(run(client, ['cp', 'a', 'b']), 'must specify at least one container source');
    fails(run(client, ['cp', 'run1:/a', 'run1:/b']), 'copying between containers is not supported');
  });

  it('streams tars through - both ways', async () => {
    exec('run1', `mkdir -p /tmp/stdin-${client}`);
    const archive = await packTar([{ name: 'x/', type: 'directory' }, { name: 'x/y', content: 'y\n' }]);
    expect(sh(client, `"$CLI" cp - run1:/tmp/stdin-${client}`, archive).code).toBe(0);
    expect(exec('run1', `cat /tmp/stdin-${client}/x/y`)).toBe('y\n');
    const listed = sh(client, '"$CLI" cp run1:/d -');
    expect(listed.code).toBe(0);
    expect((await entriesOf(listed.stdout)).map((e) => e.name)).toEqual(['d/', 'd/a', 'd/sub/', 'd/sub/b']);
    fails(sh(client, '"$CLI" cp - run1:/f.txt', archive), 'destination "run1:/f.txt" must be a directory');
  });

  it('reads and writes the source of a bind mount', () => {
    ok(run(client, ['cp', 'bound:/data/fromhost.txt', out('fromhost.txt')]));
    expect(readFileSync(out('fromhost.txt'), 'utf8')).toBe('from the host\n');
    ok(run(client, ['cp', join(local, 'hello.txt'), `bound:/data/to-host-${client}`]));
    expect(readFileSync(join(bind, `to-host-${client}`), 'utf8')).toBe('hello\n');
    expect(exec('bound', `cat /data/to-host-${client}`)).toBe('hello\n');
    fails(run(client, ['cp', join(local, 'hello.txt'), 'bound:/rodata/']), 'Error response from daemon: mounted volume is marked read-only');
  });

  it('keeps the archive\'s owner, and gives the container user\'s with -a', async () => {
    ok(run(client, ['cp', join(local, 'owned'), `run1:/tmp/owned-${client}`]));
    ok(run(client, ['cp', '-a', join(local, 'owned'), `run1:/tmp/owned-a-${client}`]));
    expect(exec('run1', `stat -c '%u:%g %a' /tmp/owned-${client} /tmp/owned-a-${client}`)).toBe('1234:5678 640\n1234:5678 640\n');
    ok(run(client, ['cp', join(local, 'owned'), `nobody:/tmp/owned-${client}`]));
    ok(run(client, ['cp', '-a', join(local, 'owned'), `nobody:/tmp/owned-a-${client}`]));
    const listed = await entriesOf(sh(client, '"$CLI" cp nobody:/tmp -').stdout);
    const owners = Object.fromEntries(listed.map((e) => [e.name, `${e.uid}:${e.gid}`]));
    expect(owners[`tmp/owned-${client}`]).toBe('1234:5678');
    expect(owners[`tmp/owned-a-${client}`]).toBe('65534:65534');
    // Out of a container the files are the copier's.
    ok(run(client, ['cp', '-a', `run1:/tmp/owned-${client}`, out('owned')]));
    expect(`${lstatSync(out('owned')).uid}:${lstatSync(out('owned')).gid}`).toBe(`${process.getuid!()}:${process.getgid!()}`);
  });

  it('refuses to write into a read-only rootfs, but not into its volumes', () => {
    fails(run(client, ['cp', join(local, 'hello.txt'), 'ro:/tmp/']), 'Error response from daemon: container rootfs is marked read-only');
    ok(run(client, ['cp', join(local, 'hello.txt'), `ro:/data/ro-ok-${client}`]));
    expect(readFileSync(join(bind, `ro-ok-${client}`), 'utf8')).toBe('hello\n');
  });
});

describe('the archive endpoints', () => {
  const stat = (header: string | string[] | undefined): unknown => JSON.parse(Buffer.from(String(header), 'base64').toString());

  it('answer HEAD with the stat header: Go modes, symlinks resolved in the container', async () => {
    const head = async (path: string) => d.request('HEAD', `/containers/run1/archive?path=${encodeURIComponent(path)}`);
    const link = await head('/escape');
    expect(link.status).toBe(200);
    expect(stat(link.headers['x-docker-container-path-stat'])).toMatchObject({ name: 'escape', mode: 0o777 + 2 ** 27, linkTarget: '/' });
    expect(stat((await head('/dl/')).headers['x-docker-container-path-stat'])).toMatchObject({ name: 'dl', mode: 0o755 + 2 ** 31, linkTarget: '' });
    expect(stat((await head('/f.txt')).headers['x-docker-container-path-stat'])).toMatchObject({ name: 'f.txt', size: 6, mode: 0o644 });
    expect(stat((await head('/d/.')).headers['x-docker-container-path-stat'])).toMatchObject({ name: '.' });
    expect((await head('/nope')).status).toBe(404);
    expect((await head('')).status).toBe(400);
  });

  it('answer GET with a tar rooted at the base name, and Docker\'s errors', async () => {
    const r = spawnSync('curl', ['-s', '--unix-socket', d.socket, '-D', '-', '-o', join(local, 'root.tar'), 'http://x/containers/run1/archive?path=/d/.'], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/content-type: application\/x-tar/i);
    expect((await entriesOf(readFileSync(join(local, 'root.tar')))).map((e) => e.name)).toEqual(['./', './a', './sub/', './sub/b']);
    // Compressed for a client that asks, as dockerd's writeCompressedResponse.
    const zipped = spawnSync('curl', ['-s', '--compressed', '--unix-socket', d.socket, '-D', '-', '-o', join(local, 'zipped.tar'), 'http://x/containers/run1/archive?path=/d'], { encoding: 'utf8' });
    expect(zipped.stdout).toMatch(/content-encoding: gzip/i);
    expect((await entriesOf(readFileSync(join(local, 'zipped.tar')))).map((e) => e.name)).toEqual(['d/', 'd/a', 'd/sub/', 'd/sub/b']);
    const missing = await d.request('GET', '/containers/run1/archive?path=/nope');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ message: 'Could not find the file /nope in container run1' });
    const empty = await d.request('GET', '/containers/run1/archive');
    expect(empty.status).toBe(400);
    expect(JSON.parse(empty.body)).toEqual({ message: 'bad parameter: pathcannot be empty' });
    const notDir = await httpRequest(d.socket, 'PUT', '/containers/run1/archive?path=/f.txt', '');
    expect(notDir.status).toBe(400);
    expect(JSON.parse(notDir.body)).toEqual({ message: 'extraction point is not a directory' });
  });

  it('freeze a running container while they work in its filesystem, and thaw it after, unpaused', async () => {
    exec('run1', 'dd if=/dev/zero of=/big bs=1M count=64 2>/dev/null');
    const id = ok(d.docker(['inspect', '-f', '{{.Id}}', 'run1'])).trim();
    const v1 = `/sys/fs/cgroup/freezer/tsdocker/${id}/freezer.state`;
    const frozen = (): boolean =>
      existsSync(v1) ? readFileSync(v1, 'utf8').trim() === 'FROZEN' : /^frozen 1$/m.test(readFileSync(`/sys/fs/cgroup/tsdocker/${id}/cgroup.events`, 'utf8'));
    expect(frozen()).toBe(false);
    // A tar the client does not read yet: the copy is under way, the container frozen.
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get({ socketPath: d.socket, path: '/containers/run1/archive?path=/big' }, resolve).on('error', reject),
    );
    res.pause();
    expect(res.statusCode).toBe(200);
    expect(frozen()).toBe(true);
    let size = 0;
    res.on('data', (b: Buffer) => (size += b.length));
    await new Promise((resolve) => res.on('end', resolve).resume());
    expect(size).toBeGreaterThan(64 * 1024 * 1024);
    for (let i = 0; frozen() && i < 100; i++) await new Promise((r) => setTimeout(r, 20));
    expect(frozen()).toBe(false);
    expect(ok(d.docker(['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'run1']))).toBe('running false\n');
    exec('run1', 'rm /big');
  });

  it('share a stopped container\'s rootfs with an export, the last one out unmounting it', async () => {
    // A file big enough that readers are still at work when they pause ("big" comes before "bin/").
    expect(d.docker(['run', '--name', 'shared', 'busybox', 'dd', 'if=/dev/zero', 'of=/big', 'bs=1M', 'count=64']).code).toBe(0);
    const id = ok(d.docker(['inspect', '-f', '{{.Id}}', 'shared'])).trim();
    const open = (path: string) =>
      new Promise<http.IncomingMessage>((resolve, reject) => http.get({ socketPath: d.socket, path }, resolve).on('error', reject)).then((res) => {
        res.pause();
        return res;
      });
    const readAll = (res: http.IncomingMessage) =>
      new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b)).on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject).on('aborted', () => reject(new Error('the daemon broke the stream off'))).resume();
      });
    // The export mounts the rootfs first (under the container's lock, let go once its tar streams), the copy shares it; the copy ends first.
    const exported = await open('/containers/shared/export');
    const copied = await open('/containers/shared/archive?path=/');
    const copyNames = (await entriesOf(await readAll(copied))).map((e) => e.name);
    const exportNames = (await entriesOf(await readAll(exported))).map((e) => e.name);
    expect(exportNames).toContain('bin/busybox');
    expect(copyNames).toEqual(['/', ...exportNames.map((n) => `/${n}`)]);
    expect(mountsUnder(join(d.dataRoot, 'containers', id))).toEqual([]);
    ok(d.docker(['rm', 'shared']));
  });

  it('leave no mount and no view behind', () => {
    expect(mountsUnder(join(d.execRoot, 'archive'))).toEqual([]);
    expect(readdirSync(join(d.execRoot, 'archive'))).toEqual([]);
  });
});

describe('next to Debian\'s dockerd', () => {
  let peer: Dockerd | undefined;
  const missing = dockerdMissingReason();

  beforeAll(async () => {
    if (missing) return;
    peer = await startDockerd({ prefix: 'dockerd-cp-' });
    succeeded(peer.docker(['import', '-c', 'CMD ["sh"]', await busyboxRootfsTar(), 'busybox:latest']), 'dockerd import');
    succeeded(peer.docker(['run', '-d', '--name', 'run1', '--network', 'none', 'busybox', 'sleep', '600']), 'dockerd run');
    succeeded(peer.docker(['exec', 'run1', 'sh', '-c', SETUP]), 'dockerd exec');
  }, 120_000);

  afterAll(async () => {
    await peer?.stop();
  });

  const PATHS = ['/f.txt', '/d', '/d/', '/d/.', '/dl', '/dl/', '/fl', '/escape', '/escape/', '/', '/etc/passwd', '/nope'];

  itWithDockerd('stats paths the same', async () => {
    const statOf = async (socket: string, path: string) => {
      const r = await httpRequest(socket, 'HEAD', `/v1.41/containers/run1/archive?path=${encodeURIComponent(path)}`);
      if (r.status !== 200) return r.status;
      const { name, mode, linkTarget, size } = JSON.parse(Buffer.from(String(r.headers['x-docker-container-path-stat']), 'base64').toString()) as Record<string, unknown>;
      return { name, mode, linkTarget, ...((mode as number) < 2 ** 31 ? { size } : {}) };
    };
    for (const path of PATHS) expect(await statOf(d.socket, path), path).toEqual(await statOf(peer!.socket, path));
  });

  itWithDockerd('archives paths the same', async () => {
    const entries = async (run: (args: string[]) => Buffer, path: string) =>
      (await entriesOf(run(['cp', `run1:${path}`, '-']))).map(({ name, type, mode, uid, gid, size, linkname }) => ({ name, type, mode, uid, gid, size: type === 'directory' ? 0 : size, linkname }));
    const binary = (host: string) => (args: string[]) =>
      spawnSync('docker', args, { env: { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: join(d.dir, 'docker-config') }, maxBuffer: 64 << 20 }).stdout;
    for (const path of ['/f.txt', '/d', '/d/.', '/dl', '/dl/', '/fl', '/etc/passwd']) {
      expect(await entries(binary(d.host), path), path).toEqual(await entries(binary(peer!.host), path));
    }
  });

  itWithDockerd('makes the same copies with the docker CLI, and the same owners', () => {
    const result = (which: 'ours' | 'peer', args: string[]) => {
      const dest = join(local, `peer-${which}`);
      mkdirSync(dest, { recursive: true });
      const r = which === 'ours' ? d.docker(args.map((a) => a.replace('DEST', dest))) : peer!.docker(args.map((a) => a.replace('DEST', dest)));
      return { code: r.code, stderr: withoutCliLog(r.stderr).replaceAll(dest, 'DEST'), tree: tree(dest) };
    };
    const copies = [
      ['cp', 'run1:/d', 'DEST/d'],
      ['cp', 'run1:/d/.', 'DEST/'],
      ['cp', 'run1:/dl', 'DEST/dl'],
      ['cp', 'run1:/dl/', 'DEST/dl-dir'],
      ['cp', '-L', 'run1:/fl', 'DEST/fl'],
      ['cp', 'run1:/nope', 'DEST/nope'],
      ['cp', join(local, 'tree'), 'run1:/f.txt'],
      ['cp', join(local, 'hello.txt'), 'run1:/nodir/'],
      ['cp', join(local, 'owned'), 'run1:/tmp/owned-peer'],
      ['cp', '-a', join(local, 'owned'), 'run1:/tmp/owned-peer-a'],
    ];
    for (const args of copies) expect(result('ours', args), args.join(' ')).toEqual(result('peer', args));
    const owners = 'stat -c "%u:%g %a" /tmp/owned-peer /tmp/owned-peer-a';
    expect(exec('run1', owners)).toBe(succeeded(peer!.docker(['exec', 'run1', 'sh', '-c', owners]), 'dockerd exec'));
  });
});
