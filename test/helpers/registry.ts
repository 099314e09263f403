// Debian's reference registry (`docker-registry`, distribution 2.8) on
// 127.0.0.1 on a free port, storage in a temp dir, its log (access log
// included: method, path, status, bytes sent) kept for the test to read;
// started and stopped by PID. `seed` copies a docker-archive into it with
// skopeo, the independent client.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/** A port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitListening(host: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://${host}/v2/`);
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('docker-registry did not start');
}

export async function startRegistry(opts: { extraConfig?: string } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
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
      `  addr: ${host}`,
      opts.extraConfig ?? '',
    ].join('\n'),
  );
  const logPath = join(dir, 'registry.log');
  const fd = openSync(logPath, 'a');
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitListening(host, child);
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
