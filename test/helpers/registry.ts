// Debian's reference registry (`docker-registry`, distribution 2.8) on
// 127.0.0.1 on a free port, storage in a temp dir, its log (access log
// included: method, path, status, bytes sent) kept for the test to read;
// started and stopped by PID. `seed` copies a docker-archive into it with
// skopeo, the independent client.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

export const hasRegistry = spawnSync('docker-registry', ['--version']).status === 0 && spawnSync('skopeo', ['--version']).status === 0;

export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  port: number;
  dir: string;
  /** What the registry logged so far. */
  log(): string;
  /** `skopeo copy [args] docker-archive:<archive> docker://<host>/<name>`. */
  seed(archive: string, name: string, args?: string[]): void;
  /** `skopeo inspect`'s manifest digest of `<host>/<name>`. */
  digest(name: string, args?: string[]): string;
  stop(): Promise<void>;
}

function accepts(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, ip.replace(/^\[|\]$/g, ''), () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function waitListening(ip: string, port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}`);
    if (await accepts(ip, port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('docker-registry did not start');
}

export interface RegistryOptions {
  extraConfig?: string;
  /** The address to listen on: 127.0.0.1 (default) or [::1] (which dockerd and tsdockerd treat as a secure registry). */
  ip?: string;
  /** Serve HTTPS with this certificate; `clientCa` makes it require client certificates from that CA. */
  tls?: { cert: string; key: string; clientCa?: string };
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-registry-'));
  const port = await freePort();
  const ip = opts.ip ?? '127.0.0.1';
  const host = `${ip}:${port}`;
  const tls = opts.tls
    ? ['  tls:', `    certificate: ${opts.tls.cert}`, `    key: ${opts.tls.key}`, ...(opts.tls.clientCa ? ['    clientcas:', `      - ${opts.tls.clientCa}`] : [])]
    : [];
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: info',
      '  accesslog:',
      '    disabled: false',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: "${host}"`,
      ...tls,
      opts.extraConfig ?? '',
    ].join('\n'),
  );
  const logPath = join(dir, 'registry.log');
  const fd = openSync(logPath, 'a');
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitListening(ip, port, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const skopeo = (args: string[]) => {
    const r = spawnSync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  return {
    host,
    port,
    dir,
    log: () => readFileSync(logPath, 'utf8'),
    seed: (archive, name, args = []) => void skopeo(['copy', '--dest-tls-verify=false', ...args, `docker-archive:${archive}`, `docker://${host}/${name}`]),
    digest: (name, args = []) => (JSON.parse(skopeo(['inspect', '--tls-verify=false', ...args, `docker://${host}/${name}`])) as { Digest: string }).Digest,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid!, 'SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A TCP proxy to the registry that counts the bytes it sends back and, when
 * told, cuts or stalls the connection after so many bytes of one answer.
 */
export interface Proxy {
  host: string;
  sent: number;
  /** Cut (close) or stall (stop forwarding) once this many bytes went back. */
  interrupt?: { after: number; mode: 'cut' | 'stall' };
  close(): Promise<void>;
}

export async function startProxy(target: number): Promise<Proxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  const proxy: Proxy = { host: `127.0.0.1:${port}`, sent: 0, close: async () => {} };
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const cut = proxy.interrupt;
      if (cut && proxy.sent + chunk.length > cut.after) {
        proxy.interrupt = undefined;
        if (cut.mode === 'cut') {
          // What was forwarded reaches the daemon before the end (destroy would drop it).
          upstream.destroy();
          client.end();
        } else {
          upstream.pause();
        }
        return;
      }
      proxy.sent += chunk.length;
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  proxy.close = () => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return proxy;
}

/** A docker-archive (`docker save`'s older layout) of the layer tars given, base first, named `name`: for `seed`. */
export function archiveOfLayers(dir: string, name: string, layerTars: string[]): string {
  const work = mkdtempSync(join(dir, 'archive-'));
  const layers = layerTars.map((tar, i) => {
    copyFileSync(tar, join(work, `layer${i}.tar`));
    return `layer${i}.tar`;
  });
  const diffIds = layers.map((l) => `sha256:${createHash('sha256').update(readFileSync(join(work, l))).digest('hex')}`);
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  writeFileSync(join(work, 'config.json'), JSON.stringify({ architecture: arch, os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds }, history: [] }));
  writeFileSync(join(work, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: [name], Layers: layers }]));
  const archive = join(dir, `${name.replace(/[:/]/g, '_')}.archive.tar`);
  spawnSync('tar', ['-C', work, '-cf', archive, 'config.json', 'manifest.json', ...layers]);
  rmSync(work, { recursive: true, force: true });
  return archive;
}

/**
 * An HTTP proxy to the registry that holds back the body of one blob after
 * its first `after` bytes until `release()`: a layer whose download is
 * stalled while the others go on.
 */
export interface StallingProxy {
  host: string;
  /** The blob whose body is held. */
  stall: { digest: string; after: number } | undefined;
  /** Resolves once the held blob's body is being held. */
  holding: Promise<void>;
  release(): void;
  close(): Promise<void>;
}

export async function startStallingProxy(target: number): Promise<StallingProxy> {
  const port = await freePort();
  let released!: () => void;
  const gate = new Promise<void>((resolve) => (released = resolve));
  let held!: () => void;
  const proxy: StallingProxy = { host: `127.0.0.1:${port}`, stall: undefined, holding: new Promise((r) => (held = r)), release: () => released(), close: async () => {} };
  const server = createHttpServer((req, res) => {
    const up = httpRequest({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      const stall = proxy.stall;
      if (!stall || !req.url?.endsWith(`/blobs/${stall.digest}`) || req.method !== 'GET') {
        answer.pipe(res);
        return;
      }
      let sent = 0;
      answer.on('data', (chunk: Buffer) => {
        if (sent >= stall.after) return;
        const part = chunk.subarray(0, stall.after - sent);
        sent += part.length;
        res.write(part);
        if (sent < stall.after) return;
        answer.pause();
        held();
        void gate.then(() => {
          res.write(chunk.subarray(part.length));
          answer.removeAllListeners('data');
          answer.pipe(res);
          answer.resume();
        });
      });
      answer.on('end', () => {
        if (sent < stall.after) res.end();
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  proxy.close = () => {
    released();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return proxy;
}
