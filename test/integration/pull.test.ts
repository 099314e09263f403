// docker pull against tsdockerd from Debian's reference registry on 127.0.0.1,
// seeded by skopeo from images tsdockerd saved: the real docker CLI and the
// image it pulled runs; digests as skopeo sees them; gzip, zstd and
// uncompressed layers; an interrupted pull (a proxy cuts or stalls the blob;
// the daemon SIGKILLed) resumes with a Range request; a tampered blob is
// refused, naming the layer, and nothing of it is kept.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar } from '../fixtures/busybox';
import { CLI, hasDocker, startDaemon, type TestDaemon } from '../helpers/daemon';
import { freePort } from '../helpers/ports';
import { hasRegistry, startProxy, startRegistry, type TestRegistry } from '../helpers/registry';
import { htpasswdConfig, htpasswdFile, startTokenServer } from '../helpers/registry-auth';

const MB = 1024 * 1024;

const skip = !hasDocker || !hasRegistry;
if (skip) console.warn('pull tests skipped: they need the docker CLI, docker-registry and skopeo');

describe.skipIf(skip)('pull from a Registry v2', () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let work: string;
  const ok = (r: { code: number; stdout: string; stderr: string }) => {
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };

  /** Imports `rootfs` as `name`, saves it to a docker-archive, removes it. */
  const archiveOf = (rootfs: string, name: string, changes: string[] = []): string => {
    ok(d.docker(['import', '-c', 'CMD ["sh"]', ...changes, rootfs, name]));
    const file = join(work, `${name.replace(/[:/]/g, '_')}.tar`);
    ok(d.docker(['save', '-o', file, name]));
    ok(d.docker(['rmi', name]));
    return file;
  };

  /** A rootfs tar holding a file of `size` random bytes. */
  const randomRootfs = (name: string, size: number): string => {
    const dir = join(work, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'blob'), execFileSync('head', ['-c', String(size), '/dev/urandom'], { maxBuffer: 64 * MB }));
    const tar = join(work, `${name}.tar`);
    execFileSync('tar', ['-C', dir, '-cf', tar, 'blob']);
    return tar;
  };

  /** The docker CLI without blocking the event loop (the proxy runs in this process). */
  const dockerAsync = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') };
      execFile('docker', args, { env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
      );
    });

  /** Ingests and blobs of the daemon's content store. */
  const contentFiles = (): string[] =>
    ['blobs', 'ingest'].flatMap((sub) => {
      const p = join(d.dataRoot, 'content', sub, sub === 'blobs' ? 'sha256' : '');
      return existsSync(p) ? readdirSync(p).map((f) => `${sub}/${f}`) : [];
    });

  beforeAll(async () => {
    reg = await startRegistry();
    d = await startDaemon();
    work = join(d.dir, 'work');
    mkdirSync(work);
    const busybox = archiveOf(await busyboxRootfsTar(), 'busybox:latest');
    reg.seed(busybox, 'busybox:latest', ['--dest-compress']);
    // Layers of their own: skopeo reuses a blob it knows in another format, whatever the format asked for.
    reg.seed(archiveOf(randomRootfs('zs', MB), 'zs:1'), 'bbzstd:latest', ['--dest-compress-format', 'zstd']);
    reg.seed(archiveOf(await busyboxRootfsTar(), 'busybox:env', ['-c', 'ENV X=1']), 'busybox:env', ['--dest-compress']);
    reg.seed(archiveOf(randomRootfs('big', 30 * MB), 'big:1'), 'big:1');
    reg.seed(archiveOf(randomRootfs('small', MB), 'small:1'), 'small:1', ['--dest-compress']);
  });
  afterAll(async () => {
    await d?.cleanup();
    if (d) rmSync(d.dir, { recursive: true, force: true }); // restarted in its own dir: cleanup keeps it
    await reg?.stop();
  });

  it('docker pull: progress as dockerd writes it, the image runs, digests as skopeo reads them', () => {
    const image = `${reg.host}/busybox:latest`;
    const out = ok(d.docker(['pull', image]));
    const digest = reg.digest('busybox:latest');
    expect(out).toContain('latest: Pulling from busybox\n');
    expect(out).toMatch(/[0-9a-f]{12}: Pull complete\n/);
    expect(out).toContain(`Digest: ${digest}\nStatus: Downloaded newer image for ${image}\n${image}\n`);
    expect(ok(d.docker(['run', '--rm', image, 'echo', 'pulled']))).toBe('pulled\n');
    expect(JSON.parse(ok(d.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', image])))).toEqual([`${reg.host}/busybox@${digest}`]);
    // The same image again: nothing to download.
    expect(ok(d.docker(['pull', image]))).toContain(`Status: Image is up to date for ${image}\n`);
    // The raw stream: dockerd's JSON messages, one per line.
    const lines = ok(d.docker(['pull', '-q', image]));
    expect(lines).toBe(`${image}\n`);
  });

  it('an existing layer says "Already exists"; zstd layers, pulled by digest', () => {
    expect(ok(d.docker(['pull', `${reg.host}/busybox:env`]))).toMatch(/\n[0-9a-f]{12}: Already exists\nDigest: /);
    ok(d.docker(['rmi', `${reg.host}/busybox:env`, `${reg.host}/busybox:latest`]));
    const raw = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/bbzstd:latest`], { encoding: 'utf8' })) as {
      mediaType: string;
      layers: Array<{ mediaType: string }>;
    };
    expect([raw.mediaType, raw.layers[0]!.mediaType]).toEqual(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.layer.v1.tar+zstd']);
    const digest = reg.digest('bbzstd:latest');
    const image = `${reg.host}/bbzstd@${digest}`;
    const out = ok(d.docker(['pull', image]));
    expect(out).toMatch(/\n[0-9a-f]{12}: Pull complete\n/);
    expect(out).toContain(`Digest: ${digest}\n`);
    expect(ok(d.docker(['image', 'inspect', '--format', '{{.Size}}', image]))).toBe(`${MB}\n`);
  });

  it("a manifest list: the platform asked for (the host's by default); GET /distribution/{name}/json", async () => {
    const entry = async (tag: string, platform: Record<string, string>) => {
      const res = await fetch(`http://${reg.host}/v2/busybox/manifests/${tag}`, { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
      return { mediaType: res.headers.get('content-type'), digest: res.headers.get('docker-content-digest'), size: Number(res.headers.get('content-length')), platform };
    };
    const list = {
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
      manifests: [await entry('env', { os: 'linux', architecture: 'arm64', variant: 'v8' }), await entry('latest', { os: 'linux', architecture: 'amd64' })],
    };
    const put = await fetch(`http://${reg.host}/v2/busybox/manifests/multi`, {
      method: 'PUT',
      headers: { 'content-type': list.mediaType },
      body: JSON.stringify(list),
    });
    expect(put.status).toBe(201);
    const image = `${reg.host}/busybox:multi`;
    const env = (o: string) => JSON.parse(ok(d.docker(['image', 'inspect', '--format', '{{json .Config.Env}}', o]))) as string[] | null;
    ok(d.docker(['pull', '--platform', 'linux/arm64', image]));
    expect(env(image)).toContain('X=1');
    ok(d.docker(['pull', image])); // the host's: amd64 here
    expect(env(image) ?? []).not.toContain('X=1');
    expect(d.docker(['pull', '--platform', 'linux/s390x', image]).stderr).toBe(
      'Error response from daemon: no matching manifest for linux/s390x in the manifest list entries\n',
    );
    // The index's platforms beneath the image (both held here, so both available), as both CLIs draw them.
    const tree = ok(d.docker(['images', '--tree', image]));
    expect(tree).toMatch(/\n├─ linux\/arm64\/v8 +[0-9a-f]{12} .*\n└─ linux\/amd64 +[0-9a-f]{12} /);
    expect(ok(d.cli(['images', '--tree', image]))).toBe(tree);
    const listed = async (v: string) => JSON.parse((await d.request('GET', `/v${v}/images/json?manifests=1&filters=${encodeURIComponent(JSON.stringify({ reference: { [image]: true } }))}`)).body) as Array<{ Manifests?: Array<{ Available: boolean; Kind: string }> }>;
    expect((await listed('1.47'))[0]?.Manifests?.map((m) => [m.Kind, m.Available])).toEqual([['image', true], ['image', true]]);
    expect((await listed('1.46'))[0]?.Manifests).toBeUndefined();
    const inspect = JSON.parse((await d.request('GET', `/distribution/${image}/json`)).body) as { Descriptor: { digest: string }; Platforms: unknown[] };
    expect(inspect.Descriptor.digest).toBe(reg.digest('busybox:multi'));
    expect(inspect.Platforms).toEqual([{ os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'linux', architecture: 'amd64' }]);
  });

  it('tsdocker pull: the same lines as docker pull off a terminal, -q, -a, its errors', () => {
    const ids = ok(d.docker(['images', '-q'])).split('\n').filter(Boolean);
    if (ids.length > 0) ok(d.docker(['rmi', '-f', ...new Set(ids)]));
    const image = `${reg.host}/busybox:latest`;
    const out = ok(d.cli(['pull', `${reg.host}/busybox`]));
    expect(out).toMatch(new RegExp(`^Using default tag: latest\nlatest: Pulling from busybox\n`));
    expect(out).toContain(`Digest: ${reg.digest('busybox:latest')}\nStatus: Downloaded newer image for ${image}\n${image}\n`);
    expect(out).not.toContain('Downloading');
    expect(ok(d.cli(['pull', '-q', image]))).toBe(`${image}\n`);
    expect(ok(d.cli(['image', 'pull', '--platform', 'linux/amd64', image]))).toContain(`Status: Image is up to date for ${image}\n`);
    const all = ok(d.cli(['pull', '-a', `${reg.host}/busybox`]));
    for (const tag of ['env', 'latest', 'multi']) expect(all).toContain(`${tag}: Pulling from busybox\n`);
    expect(all).toMatch(new RegExp(`Status: Downloaded newer image for ${reg.host}/busybox\n${reg.host}/busybox\n$`));
    expect(ok(d.cli(['images', '--format', '{{.Tag}}', `${reg.host}/busybox`])).split('\n').filter(Boolean).sort()).toEqual(['env', 'latest', 'multi']);
    // On a terminal: one line per layer, redrawn in place.
    ok(d.docker(['rmi', '-f', ...new Set(ok(d.docker(['images', '-q'])).split('\n').filter(Boolean))]));
    const tty = execFileSync('script', ['-qec', `${CLI} pull ${image}`, '/dev/null'], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: d.host, TSDOCKER_HOST: '' } });
    expect(tty).toMatch(/\x1b\[1A\r\x1b\[2K[0-9a-f]{12}: Pull complete\r\x1b\[1B/);
    expect(tty).toContain(`Status: Downloaded newer image for ${image}`);
    const bad = d.cli(['pull', `${reg.host}/busybox:nope`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`Error response from daemon: manifest for ${reg.host}/busybox:nope not found: manifest unknown: manifest unknown\n`);
    expect(d.cli(['pull', '-a', image]).stderr).toBe("tag can't be used with --all-tags/-a\n");
  });

  it('docker login (POST /auth) and a pull with its credentials from a registry with htpasswd Basic auth', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsd-htpasswd-'));
    const secured = await startRegistry({ extraConfig: htpasswdConfig(htpasswdFile(dir, 'tester', 's3cret')) });
    try {
      secured.seed(join(work, 'busybox_latest.tar'), 'private:1', ['--dest-compress', '--dest-creds', 'tester:s3cret']);
      const image = `${secured.host}/private:1`;
      expect(d.docker(['pull', image], { input: '' }).stderr).toBe(`Error response from daemon: Head "http://${secured.host}/v2/private/manifests/1": no basic auth credentials\n`);
      const wrong = d.docker(['login', '-u', 'tester', '--password-stdin', secured.host], { input: 'wrong\n' });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain(`Error response from daemon: login attempt to http://${secured.host}/v2/ failed with status: 401 Unauthorized`);
      const login = d.docker(['login', '-u', 'tester', '--password-stdin', secured.host], { input: 's3cret\n' });
      expect(login.code, login.stderr).toBe(0);
      expect(login.stdout).toContain('Login Succeeded');
      expect(ok(d.docker(['pull', image]))).toContain(`Status: Downloaded newer image for ${image}\n`);
      // tsdocker's login and logout share the docker CLI's config.json.
      expect(ok(d.cli(['logout', secured.host]))).toBe(`Removing login credentials for ${secured.host}\n`);
      expect(d.cli(['pull', image]).stderr).toContain('no basic auth credentials');
      expect(d.cli(['login', '-u', 'tester', '--password-stdin', secured.host], { input: 'wrong\n' }).stderr).toContain('failed with status: 401 Unauthorized');
      expect(ok(d.cli(['login', '-u', 'tester', '--password-stdin', secured.host], { input: 's3cret\n' }))).toBe('Login Succeeded\n');
      const config = join(d.dir, 'docker-config', 'config.json');
      expect(statSync(config).mode & 0o777).toBe(0o600);
      expect(readFileSync(config, 'utf8')).not.toContain('s3cret');
      ok(d.cli(['tag', image, `${secured.host}/private:2`]));
      const pushed = ok(d.cli(['push', `${secured.host}/private:2`]));
      expect(pushed).toMatch(/[0-9a-f]{12}: Layer already exists\n/);
      expect(pushed).toContain(`2: digest: ${secured.digest('private:2', ['--creds', 'tester:s3cret'])} size: `);
      ok(d.docker(['rmi', image, `${secured.host}/private:2`]));
      expect(ok(d.docker(['pull', `${secured.host}/private:2`]))).toContain('Status: Downloaded newer image');
    } finally {
      await secured.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('docker push: skopeo reads what was pushed, digests equal; a second push finds the layers; the pushed image pulls back and runs', () => {
    ok(d.docker(['pull', `${reg.host}/busybox:latest`]));
    ok(d.docker(['import', '-c', 'CMD ["sh"]', '-c', 'ENV PUSHED=1', join(work, 'zs.tar'), `${reg.host}/pushed:base`]));
    ok(d.docker(['tag', `${reg.host}/busybox:latest`, `${reg.host}/pushed:1`]));
    const out = ok(d.docker(['push', `${reg.host}/pushed:1`]));
    expect(out).toMatch(new RegExp(`^The push refers to repository \\[${reg.host}/pushed\\]\n`));
    expect(out).toMatch(/[0-9a-f]{12}: (Pushed|Layer already exists|Mounted from busybox)\n/);
    const digest = reg.digest('pushed:1');
    expect(out).toContain(`1: digest: ${digest} size: `);
    expect(JSON.parse(ok(d.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', `${reg.host}/pushed:1`])))).toContain(`${reg.host}/pushed@${digest}`);
    // skopeo reads it through: config and layers as the manifest names them.
    execFileSync('skopeo', ['copy', '--src-tls-verify=false', `docker://${reg.host}/pushed:1`, `dir:${join(work, 'pushed-dir')}`]);
    expect(ok(d.docker(['push', `${reg.host}/pushed:1`]))).toMatch(/[0-9a-f]{12}: Layer already exists\n/);
    // --all-tags: both tags of the repository.
    const all = ok(d.docker(['push', '--all-tags', `${reg.host}/pushed`]));
    expect(all).toContain('base: digest: ');
    expect(all).toContain(`1: digest: ${digest} size: `);
    ok(d.docker(['rmi', `${reg.host}/pushed:1`, `${reg.host}/busybox:latest`]));
    ok(d.docker(['pull', `${reg.host}/pushed:1`]));
    expect(ok(d.docker(['run', '--rm', `${reg.host}/pushed:1`, 'echo', 'round trip']))).toBe('round trip\n');
  });

  it('registry-mirrors: a Docker Hub name is pulled from the mirror (and nothing but 127.0.0.1 is asked)', async () => {
    reg.seed(join(work, 'busybox_latest.tar'), 'library/busybox:latest', ['--dest-compress']);
    const dir = mkdtempSync(join(tmpdir(), 'tsd-mirror-'));
    writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ 'registry-mirrors': [`http://${reg.host}`], 'max-concurrent-downloads': 1 }));
    const mirrored = await startDaemon({ dir });
    try {
      const out = ok(mirrored.docker(['pull', 'busybox']));
      const digest = reg.digest('library/busybox:latest');
      expect(out).toContain(`latest: Pulling from library/busybox\n`);
      expect(out).toContain(`Digest: ${digest}\nStatus: Downloaded newer image for busybox:latest\ndocker.io/library/busybox:latest\n`);
      expect(JSON.parse(ok(mirrored.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', 'busybox'])))).toEqual([`busybox@${digest}`]);
      expect(ok(mirrored.docker(['run', '--rm', 'busybox', 'echo', 'mirrored']))).toBe('mirrored\n');
    } finally {
      await mirrored.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the Bearer token flow: a token server named by the registry auth.token config grants pull and push per repository', async () => {
    const tokens = await startTokenServer({ anonymous: 'grant' });
    const secured = await startRegistry({ extraConfig: tokens.config });
    try {
      const image = `${secured.host}/tokened:1`;
      ok(d.docker(['pull', `${reg.host}/busybox:latest`]));
      ok(d.docker(['tag', `${reg.host}/busybox:latest`, image]));
      // The token server runs in this process: the CLI must not block it.
      expect(ok(await dockerAsync(['push', image]))).toContain('1: digest: ');
      ok(d.docker(['rmi', image]));
      expect(ok(await dockerAsync(['pull', image]))).toContain(`Status: Downloaded newer image for ${image}\n`);
      expect(tokens.scopes).toContain('repository:tokened:pull,push');
      expect(tokens.scopes).toContain('repository:tokened:pull');
    } finally {
      await secured.stop();
      await tokens.close();
    }
  });

  it("errors as dockerd's: unknown tag, unknown repository, unreachable registry", async () => {
    expect(d.docker(['pull', `${reg.host}/busybox:nope`]).stderr).toBe(
      `Error response from daemon: manifest for ${reg.host}/busybox:nope not found: manifest unknown: manifest unknown\n`,
    );
    const r = await d.request('POST', `/images/create?fromImage=${reg.host}/nothing&tag=1`);
    expect(r.status).toBe(404);
    // distribution 2.8 answers MANIFEST_UNKNOWN for an unknown repository too.
    expect(JSON.parse(r.body).message).toBe(`manifest for ${reg.host}/nothing:1 not found: manifest unknown: manifest unknown`);
    const dead = await freePort();
    const u = d.docker(['pull', `127.0.0.1:${dead}/x:1`]);
    expect(u.code).toBe(1);
    // dockerd 20.10 resolves a tag with a HEAD (and says so).
    expect(u.stderr).toContain(`Error response from daemon: Head "http://127.0.0.1:${dead}/v2/x/manifests/1"`);
    expect(u.stderr).toContain('connection refused');
  });

  it('a pull cut mid-layer asks again from where it stopped (a Range request) after a pause, and the unpack goes on', async () => {
    const proxy = await startProxy(reg.port);
    try {
      const image = `${proxy.host}/big:1`;
      proxy.interrupt = { after: 12 * MB, mode: 'cut' };
      const out = ok(await dockerAsync(['pull', image]));
      expect(out).toMatch(/[0-9a-f]{12}: Retrying in 1 second\n/);
      expect(out).toContain(`Status: Downloaded newer image for ${image}\n`);
      // Each byte crossed once (the cut lost at most what was in flight).
      expect(proxy.sent).toBeLessThan(30 * MB + 2 * MB);
      expect(reg.log()).toMatch(/"GET \/v2\/big\/blobs\/sha256:[0-9a-f]{64} HTTP\/1\.1" 206 /);
      expect(ok(d.docker(['image', 'inspect', '--format', '{{.Size}}', image]))).toBe(`${30 * MB}\n`);
      expect(contentFiles().some((f) => f.startsWith('ingest/'))).toBe(false);
    } finally {
      await proxy.close();
    }
  });

  it('a daemon SIGKILLed mid-pull: the next pull resumes', async () => {
    const ids = ok(d.docker(['images', '-q'])).split('\n').filter(Boolean);
    if (ids.length > 0) ok(d.docker(['rmi', '-f', ...ids]));
    const proxy = await startProxy(reg.port);
    try {
      const image = `${proxy.host}/big:1`;
      proxy.interrupt = { after: 15 * MB, mode: 'stall' };
      const pulling = dockerAsync(['pull', image]);
      const deadline = Date.now() + 20_000;
      while (proxy.interrupt && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // The bytes before the stall reach the ingest (the unpack beside it may hold them back a moment).
      const ingested = () => {
        const dir = join(d.dataRoot, 'content', 'ingest');
        return readdirSync(dir).reduce((n, f) => n + (existsSync(join(dir, f, 'data')) ? statSync(join(dir, f, 'data')).size : 0), 0);
      };
      while (ingested() < 14 * MB && Date.now() < deadline + 10_000) await new Promise((r) => setTimeout(r, 20));
      await d.kill('SIGKILL');
      expect((await pulling).code).toBe(1);
      d = await startDaemon({ dir: d.dir });
      const before = proxy.sent;
      ok(await dockerAsync(['pull', image]));
      expect(proxy.sent - before).toBeLessThan(30 * MB - 10 * MB);
      expect(ok(d.docker(['image', 'inspect', '--format', '{{.Size}}', image]))).toBe(`${30 * MB}\n`);
    } finally {
      await proxy.close();
    }
  });

  it('a tampered blob is refused, naming the layer, and nothing of it is kept', () => {
    const manifest = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/small:1`], { encoding: 'utf8' })) as {
      layers: Array<{ digest: string }>;
    };
    const layer = manifest.layers[0]!.digest;
    const hex = layer.slice(7);
    const file = join(reg.dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
    const bytes = readFileSync(file);
    const middle = bytes.length >> 1;
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    const r = d.docker(['pull', `${reg.host}/small:1`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`filesystem layer verification failed for digest ${layer}`);
    expect(contentFiles().filter((f) => f.includes(hex) || f.startsWith('ingest/'))).toEqual([]);
    expect(ok(d.docker(['images', '-q', `${reg.host}/small`]))).toBe('');
    rmSync(file);
  });
});
