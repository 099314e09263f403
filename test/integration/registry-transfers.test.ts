// Against Debian's docker-registry on loopback, from the real docker CLI and
// tsdocker's: two clients pulling one image at once (one transfer per blob);
// registries over HTTPS from a CA the test makes (certs.d under the daemon's
// registry-certs-dir: the CA, then a client certificate the registry asks
// for); push mounting a layer from another repository and sending a big one
// in chunks; and, beside a real dockerd 20.10, the answers to a pull or login
// a registry refuses.
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthority, issue } from '../../src/cli/certs';
import { busyboxRootfsTar } from '../fixtures/busybox';
import { CLI, hasDocker, startDaemon, type TestDaemon } from '../helpers/daemon';
import { dockerdMissingReason, startDockerd, type Dockerd } from '../helpers/dockerd';
import { archiveOfLayers, hasRegistry, startProxy, startRegistry, startStallingProxy, type TestRegistry } from '../helpers/registry';
import { htpasswdConfig, htpasswdFile, startTokenServer } from '../helpers/registry-auth';

const MB = 1024 * 1024;
type Result = { code: number; stdout: string; stderr: string };

const skip = !hasDocker || !hasRegistry;
if (skip) console.warn('registry transfer tests skipped: they need the docker CLI, docker-registry and skopeo');

describe.skipIf(skip)('registry transfers', () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let dir: string;
  let certsDir: string;
  const ok = (r: Result) => {
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
    return r.stdout;
  };

  /** The docker CLI (or tsdocker's, `cmd` = CLI) without blocking this process (a proxy or token server may run in it). */
  const run = (cmd: string, args: string[], daemonHost = d.host): Promise<Result> =>
    new Promise((resolve) => {
      const env = { ...process.env, DOCKER_HOST: daemonHost, TSDOCKER_HOST: '', DOCKER_CONFIG: join(dir, daemonHost === d.host ? 'config-ours' : 'config-peer') };
      execFile(cmd, args, { env, encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
      );
    });

  /** A rootfs tar holding one file of `size` random bytes. */
  const randomRootfs = (name: string, size: number): string => {
    const root = join(dir, name);
    mkdirSync(root);
    writeFileSync(join(root, 'blob'), execFileSync('head', ['-c', String(size), '/dev/urandom'], { maxBuffer: 64 * MB }));
    const tar = join(dir, `${name}.tar`);
    execFileSync('tar', ['-C', root, '-cf', tar, 'blob']);
    return tar;
  };

  const removeAll = () => {
    const ids = ok(d.docker(['images', '-q'])).split('\n').filter(Boolean);
    if (ids.length > 0) ok(d.docker(['rmi', '-f', ...new Set(ids)]));
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsd-regx-'));
    certsDir = join(dir, 'certs.d');
    mkdirSync(certsDir);
    writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ 'registry-certs-dir': certsDir }));
    d = await startDaemon({ dir });
    reg = await startRegistry();
    ok(d.docker(['import', '-c', 'CMD ["sh"]', await busyboxRootfsTar(), `${reg.host}/busybox:latest`]));
    ok(d.docker(['push', `${reg.host}/busybox:latest`]));
    ok(d.docker(['import', '-c', 'CMD ["sh"]', randomRootfs('big', 30 * MB), `${reg.host}/big:1`]));
  });
  afterAll(async () => {
    await d?.cleanup();
    await reg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('push: a big layer goes in chunks (PATCH with Content-Range), skopeo reads the same digest; a layer another repository of the registry holds is mounted, not sent', async () => {
    const out = ok(d.docker(['push', `${reg.host}/big:1`]));
    const digest = reg.digest('big:1');
    expect(out).toContain(`1: digest: ${digest} size: `);
    const patches = reg.log().match(/"PATCH \/v2\/big\/blobs\/uploads\/[0-9a-f-]+\?_state=[^ ]+ HTTP\/1\.1" 202 /g) ?? [];
    expect(patches.length).toBe(2); // 30 MB in 16 MB chunks
    // The pushed image comes back whole.
    removeAll();
    ok(d.docker(['pull', `${reg.host}/big:1`]));
    expect(ok(d.docker(['image', 'inspect', '--format', '{{.Size}}', `${reg.host}/big:1`]))).toBe(`${30 * MB}\n`);
    // A cross-repository mount: busybox's layer is in the registry's busybox repository.
    ok(d.docker(['pull', `${reg.host}/busybox:latest`]));
    ok(d.docker(['tag', `${reg.host}/busybox:latest`, `${reg.host}/copy:1`]));
    const copied = ok(await run(CLI, ['push', `${reg.host}/copy:1`]));
    expect(copied).toMatch(/[0-9a-f]{12}: Mounted from busybox\n/);
    expect(reg.log()).toMatch(/"POST \/v2\/copy\/blobs\/uploads\/\?mount=sha256%3A[0-9a-f]{64}&from=busybox HTTP\/1\.1" 201 /);
    // One upload: the image config (dockerd sends it too); the layer was not sent.
    expect(reg.log().match(/"PUT \/v2\/copy\/blobs\/uploads\//g)?.length).toBe(1);
    expect(reg.digest('copy:1')).toBe(reg.digest('busybox:latest'));
  });

  it('a mount from a registry with token auth asks one token for both repositories (push to the target, pull from the source)', async () => {
    const tokens = await startTokenServer({ anonymous: 'grant' });
    const tokened = await startRegistry({ extraConfig: tokens.config });
    try {
      ok(d.docker(['pull', `${reg.host}/busybox:latest`]));
      ok(d.docker(['tag', `${reg.host}/busybox:latest`, `${tokened.host}/first:1`]));
      ok(d.docker(['tag', `${reg.host}/busybox:latest`, `${tokened.host}/second:1`]));
      ok(await run('docker', ['push', `${tokened.host}/first:1`]));
      expect(ok(await run('docker', ['push', `${tokened.host}/second:1`]))).toMatch(/[0-9a-f]{12}: Mounted from first\n/);
      expect(tokens.scopes).toContain('repository:first:pull');
      expect(tokened.log()).toMatch(/"POST \/v2\/second\/blobs\/uploads\/\?mount=sha256%3A[0-9a-f]{64}&from=first HTTP\/1\.1" 201 /);
    } finally {
      await tokened.stop();
      await tokens.close();
    }
  });

  it('layers are fetched and unpacked in parallel: while the base layer is held back mid-download, the layers above it are unpacked; only the chain waits for it', async () => {
    const tars = ['par0', 'par1', 'par2'].map((n, i) => randomRootfs(n, (i === 0 ? 4 : 2) * MB));
    reg.seed(archiveOfLayers(dir, 'parallel:1', tars), 'parallel:1', ['--dest-compress']);
    const manifest = (await (await fetch(`http://${reg.host}/v2/parallel/manifests/1`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } })).json()) as {
      layers: Array<{ digest: string }>;
    };
    const ids = manifest.layers.map((l) => l.digest.slice(7, 19));
    const proxy = await startStallingProxy(reg.port);
    proxy.stall = { digest: manifest.layers[0]!.digest, after: MB };
    try {
      const lines: Array<{ id?: string; status?: string; error?: string }> = [];
      const done = new Promise<void>((resolve, reject) => {
        const req = http.request({ socketPath: d.host.replace(/^unix:\/\//, ''), method: 'POST', path: `/images/create?fromImage=${proxy.host}/parallel&tag=1` }, (res) => {
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            buf += c;
            for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
              lines.push(JSON.parse(buf.slice(0, i)) as (typeof lines)[number]);
              buf = buf.slice(i + 1);
            }
          });
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      });
      await proxy.holding;
      const seen = (id: string, status: string) => lines.some((l) => l.id === id && l.status === status);
      const deadline = Date.now() + 60_000;
      while (!(seen(ids[1]!, 'Extracting') && seen(ids[2]!, 'Extracting')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(seen(ids[1]!, 'Extracting') && seen(ids[2]!, 'Extracting'), JSON.stringify(lines)).toBe(true);
      expect(seen(ids[0]!, 'Download complete')).toBe(false);
      expect(lines.filter((l) => l.status === 'Pull complete')).toEqual([]);
      proxy.release();
      await done;
      expect(lines.filter((l) => l.status === 'Pull complete').map((l) => l.id)).toEqual(ids);
      expect(lines.at(-1)?.status).toBe(`Status: Downloaded newer image for ${proxy.host}/parallel:1`);
      expect(ok(d.docker(['image', 'inspect', '--format', '{{.Size}}', `${proxy.host}/parallel:1`]))).toBe(`${8 * MB}\n`);
    } finally {
      await proxy.close();
    }
  });

  it('Ctrl-C on docker pull stops the transfer, keeping what it verified: the next pull asks for the rest with a Range request', async () => {
    removeAll();
    const manifest = (await (await fetch(`http://${reg.host}/v2/big/manifests/1`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } })).json()) as {
      layers: Array<{ digest: string }>;
    };
    const layer = manifest.layers[0]!.digest;
    const proxy = await startStallingProxy(reg.port);
    proxy.stall = { digest: layer, after: 5 * MB };
    try {
      const image = `${proxy.host}/big:1`;
      const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(dir, 'config-ours') };
      const cli = spawn('docker', ['pull', image], { env, stdio: 'ignore' });
      const exited = new Promise((resolve) => cli.once('exit', resolve));
      await proxy.holding;
      process.kill(cli.pid!, 'SIGINT');
      await exited;
      proxy.release(); // had the pull gone on, it would now finish the layer
      const ranges = () => reg.log().split(`"GET /v2/big/blobs/${layer} HTTP/1.1" 206 `).length - 1;
      const before = ranges();
      const again = ok(await run('docker', ['pull', image]));
      expect(again).toContain(`Status: Downloaded newer image for ${image}\n`);
      expect(ranges() - before).toBe(1);
      expect(ok(d.docker(['image', 'inspect', '--format', '{{.Size}}', image]))).toBe(`${30 * MB}\n`);
    } finally {
      await proxy.close();
    }
  });

  it('two clients pulling the same image at once (the docker CLI twice, and tsdocker through another name of the registry) all succeed, and the layer crosses the network once', async () => {
    removeAll();
    const proxy = await startProxy(reg.port);
    try {
      const manifest = (await (await fetch(`http://${reg.host}/v2/big/manifests/1`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } })).json()) as {
        layers: Array<{ digest: string }>;
      };
      const layer = manifest.layers[0]!.digest;
      const gets = () => reg.log().split(`"GET /v2/big/blobs/${layer} HTTP/1.1" 200 `).length - 1;
      const before = gets();
      const results = await Promise.all([
        run('docker', ['pull', `${reg.host}/big:1`]),
        run('docker', ['pull', `${reg.host}/big:1`]),
        run(CLI, ['pull', `${proxy.host}/big:1`]),
      ]);
      for (const r of results) ok(r);
      expect(results.map((r) => r.stdout).join('')).not.toContain('locked');
      expect(gets() - before).toBe(1);
      for (const image of [`${reg.host}/big:1`, `${proxy.host}/big:1`]) {
        expect(ok(d.docker(['image', 'inspect', '--format', '{{.Size}}', image]))).toBe(`${30 * MB}\n`);
      }
    } finally {
      await proxy.close();
    }
  });

  // [::1] is a secure registry to dockerd and tsdockerd (127.0.0.0/8 is not): the HTTPS tests need IPv6 on lo.
  const noIpv6 = !/inet6 ::1\//.test(spawnSync('ip', ['-6', 'addr', 'show', 'lo'], { encoding: 'utf8' }).stdout ?? '');
  if (noIpv6) console.warn('HTTPS registry test skipped: lo has no ::1 (IPv6 disabled)');
  it.skipIf(noIpv6)('a registry over HTTPS from a test CA: refused until certs.d holds its CA; one that asks for a client certificate takes the client.cert/client.key pair there', async () => {
    const ca = await createAuthority('registry test CA', 2);
    const server = await issue(ca, 'server', 'localhost', ['::1'], 2);
    const client = await issue(ca, 'client', 'client', [], 2);
    const pki = join(dir, 'pki');
    mkdirSync(pki);
    const file = (name: string, text: string) => {
      writeFileSync(join(pki, name), text, { mode: 0o600 });
      return join(pki, name);
    };
    const tls = { cert: file('server.pem', server.cert), key: file('server-key.pem', server.key) };
    // [::1] is no insecure registry (dockerd's default is 127.0.0.0/8 only): its certificate is checked.
    const secure = await startRegistry({ ip: '[::1]', tls });
    const mutual = await startRegistry({ ip: '[::1]', tls: { ...tls, clientCa: file('ca.pem', ca.cert) } });
    try {
      const image = `${secure.host}/secure:1`;
      ok(d.docker(['pull', `${reg.host}/busybox:latest`]));
      ok(d.docker(['tag', `${reg.host}/busybox:latest`, image]));
      const refused = d.docker(['push', image]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`Head "https://${secure.host}/v2/secure/blobs/`);
      expect(refused.stderr).toContain('x509: certificate signed by unknown authority');
      const hostDir = join(certsDir, secure.host);
      mkdirSync(hostDir);
      writeFileSync(join(hostDir, 'ca.crt'), ca.cert);
      expect(ok(d.docker(['push', image]))).toContain('1: digest: ');
      ok(d.docker(['rmi', image]));
      expect(ok(d.docker(['pull', image]))).toContain(`Status: Downloaded newer image for ${image}\n`);
      expect(ok(d.docker(['run', '--rm', image, 'echo', 'over https']))).toBe('over https\n');

      const mimage = `${mutual.host}/mutual:1`;
      ok(d.docker(['tag', `${reg.host}/busybox:latest`, mimage]));
      const mdir = join(certsDir, mutual.host);
      mkdirSync(mdir);
      writeFileSync(join(mdir, 'ca.crt'), ca.cert);
      const noCert = d.cli(['push', mimage]);
      expect(noCert.code).toBe(1);
      expect(noCert.stderr).toContain(`"https://${mutual.host}/v2/mutual/blobs/`);
      writeFileSync(join(mdir, 'client.cert'), client.cert);
      // A certificate without its key is refused by name, as dockerd does.
      expect(d.cli(['push', mimage]).stderr).toContain('missing key client.key for client certificate client.cert. CA certificates must use the extension .crt');
      writeFileSync(join(mdir, 'client.key'), client.key, { mode: 0o600 });
      expect(ok(d.cli(['push', mimage]))).toContain('1: digest: ');
      ok(d.docker(['rmi', mimage]));
      expect(ok(d.cli(['pull', mimage]))).toContain(`Status: Downloaded newer image for ${mimage}\n`);
    } finally {
      await secure.stop();
      await mutual.stop();
    }
  });

  const missing = dockerdMissingReason();
  it.skipIf(missing !== undefined)(`a registry that wants credentials: pull and login answer as dockerd 20.10 does (status and message) ${missing ?? ''}`, async () => {
    const peer: Dockerd = await startDockerd();
    const basic = await startRegistry({ extraConfig: htpasswdConfig(htpasswdFile(dir, 'tester', 's3cret')) });
    const deny = await startTokenServer({ anonymous: 'deny', users: { tester: 's3cret' } });
    const empty = await startTokenServer({ anonymous: 'empty', users: { tester: 's3cret' } });
    const denying = await startRegistry({ extraConfig: deny.config });
    const emptying = await startRegistry({ extraConfig: empty.config });
    /** The pull's status and message straight from the API. */
    const rawPull = (socket: string, image: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const req = http.request({ socketPath: socket, method: 'POST', path: `/v1.41/images/create?fromImage=${encodeURIComponent(image)}&tag=1` }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      for (const r of [basic, denying, emptying]) {
        const image = `${r.host}/private`;
        const ours = await run('docker', ['pull', `${image}:1`]);
        const theirs = await run('docker', ['pull', `${image}:1`], peer.host);
        expect(ours.code).toBe(1);
        expect([ours.code, ours.stderr]).toEqual([theirs.code, theirs.stderr]);
        expect(await rawPull(d.host.replace(/^unix:\/\//, ''), image)).toBe(await rawPull(peer.socket, image));
        const login = ['login', '-u', 'tester', '-p', 'wrong', r.host];
        const ourLogin = await run('docker', login);
        const theirLogin = await run('docker', login, peer.host);
        expect(ourLogin.code).toBe(1);
        expect([ourLogin.code, ourLogin.stderr]).toEqual([theirLogin.code, theirLogin.stderr]);
      }
      // A push of a tag neither daemon has: the same lines.
      const push = ['push', `${basic.host}/absent:1`];
      const [ourPush, theirPush] = [await run('docker', push), await run('docker', push, peer.host)];
      expect(ourPush.code).toBe(1);
      expect(ourPush).toEqual(theirPush);
    } finally {
      await peer.stop();
      for (const r of [basic, denying, emptying]) await r.stop();
      await deny.close();
      await empty.close();
    }
  });
});
