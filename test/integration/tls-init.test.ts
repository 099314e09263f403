// `tsdocker tls init` and `tls renew` in a temporary HOME: the files and their
// modes, the certificates' names, the daemon flags it prints (a daemon started
// with exactly them), and the docker context it writes in the docker CLI's
// format, used by the real docker CLI with `--context`.
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startDaemon, type TestDaemon } from '../helpers/daemon';
import { freePort } from '../helpers/ports';

let home: string;
let dir: string;
let port: number;
let d: TestDaemon | undefined;
let printed: string;
const env = () => ({ HOME: home, DOCKER_CONFIG: '', DOCKER_HOST: '' });

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'tsd-tls-home-'));
  dir = join(home, 'certs');
  port = await freePort();
  d = await startDaemon();
  printed = ok(d.cli(['tls', 'init', '--dir', dir, '--host', `tcp://127.0.0.1:${port}`, '--name', 'remote', '--san', 'localhost', '--san', '127.0.0.1'], { env: env() }));
}, 60_000);

afterAll(async () => {
  await d?.cleanup();
  rmSync(home, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;
/** Where the docker CLI keeps a context: its directories are named by the SHA-256 of its name. */
const contextDir = (kind: 'meta' | 'tls', name: string) => join(home, '.docker', 'contexts', kind, createHash('sha256').update(name).digest('hex'));

describe('tls init', () => {
  it('writes the keys 0600 in a 0700 directory, with the server certificate for the given names', () => {
    expect(mode(dir)).toBe(0o700);
    for (const key of ['ca-key.pem', 'server-key.pem', 'key.pem']) expect(mode(join(dir, key)), key).toBe(0o600);
    const server = new X509Certificate(readFileSync(join(dir, 'server-cert.pem')));
    expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.pem')));
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(new X509Certificate(readFileSync(join(dir, 'cert.pem'))).verify(ca.publicKey)).toBe(true);
    expect(ca.ca).toBe(true);
  });

  it('refuses to replace an existing CA without --force', () => {
    const again = d!.cli(['tls', 'init', '--dir', dir], { env: env() });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${join(dir, 'ca-key.pem')} exists`);
  });

  it('writes a docker context that the docker CLI lists and uses against a daemon started with the printed flags', async () => {
    expect(JSON.parse(readFileSync(join(contextDir('meta', 'remote'), 'meta.json'), 'utf8'))).toMatchObject({
      Name: 'remote',
      Endpoints: { docker: { Host: `tcp://127.0.0.1:${port}`, SkipTLSVerify: false } },
    });
    expect(mode(join(contextDir('tls', 'remote'), 'docker'))).toBe(0o700);
    for (const file of ['ca.pem', 'cert.pem', 'key.pem']) expect(mode(join(contextDir('tls', 'remote'), 'docker', file)), file).toBe(0o600);
    const ls = ok(d!.docker(['context', 'ls', '--format', '{{.Name}} {{.DockerEndpoint}}'], { env: env() }));
    expect(ls).toContain(`remote tcp://127.0.0.1:${port}`);
    const flags = /tsdockerd -H unix:\/\/\/run\/tsdocker.sock -H tcp:\/\/0\.0\.0\.0:(\d+) (--tlsverify --tlscacert \S+ --tlscert \S+ --tlskey \S+)\n/.exec(printed);
    expect(flags, printed).not.toBeNull();
    expect(Number(flags![1])).toBe(port);
    const remote = await startDaemon({ hosts: [`tcp://127.0.0.1:${port}`], args: flags![2]!.split(' ') });
    try {
      expect(ok(remote.docker(['--context', 'remote', 'version', '-f', '{{.Server.Os}}'], { env: env() })).trim()).toBe('linux');
      expect(ok(remote.cli(['--context', 'remote', 'version', '-f', '{{.Server.Os}}'], { env: env() })).trim()).toBe('linux');
      expect(ok(remote.cli(['ps', '-q'], { env: { ...env(), DOCKER_CONTEXT: 'remote' } }))).toBe('');
      // docker context use: config.json's currentContext, read by both CLIs.
      expect(remote.docker(['context', 'use', 'remote'], { env: env() }).code).toBe(0);
      expect(ok(remote.cli(['info', '-f', '{{.OSType}}'], { env: env() })).trim()).toBe('linux');
      expect(remote.docker(['context', 'use', 'default'], { env: env() }).code).toBe(0);
      const both = remote.cli(['--context', 'remote', '-H', remote.host, 'ps'], { env: env() });
      expect([both.code, both.stderr]).toEqual([1, 'conflicting options: either specify --host or --context, not both\n']);
      const missing = remote.cli(['--context', 'nowhere', 'ps'], { env: env() });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/context "nowhere": context not found/);
      // renew: new certificates from the same CA, the context follows; the running daemon still knows the CA.
      const before = readFileSync(join(dir, 'cert.pem'), 'utf8');
      expect(ok(d!.cli(['tls', 'renew', '--dir', dir, '--name', 'remote'], { env: env() }))).toContain('Renewed');
      expect(readFileSync(join(dir, 'cert.pem'), 'utf8')).not.toBe(before);
      expect(new X509Certificate(readFileSync(join(dir, 'server-cert.pem'))).subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
      expect(ok(remote.docker(['--context', 'remote', 'ps', '-q'], { env: env() }))).toBe('');
    } finally {
      await remote.cleanup();
    }
  }, 60_000);
});
