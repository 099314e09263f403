// The daemon over TLS (issue 15): one tsdockerd serving its Unix socket and a
// --tlsverify TCP port at once, driven over TLS by the real docker CLI (version,
// images, run, run -i with piped stdin through the hijacked attach, logs, cp,
// load, run -it under a pty, exec -i); and what is refused with nothing served: no client certificate, one from
// another CA, an expired one, plaintext HTTP, TLS 1.0 and 1.1, an encrypted key, `--tls` without
// verification off loopback. Only 127.0.0.1 is used.
import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanupWithContainers, ok, refusedStart, startBusyboxDaemon, startDaemon, type CommandResult, type TestDaemon } from '../helpers/daemon';
import { freePort } from '../helpers/ports';
import { makeCerts, ping, type TestCerts } from '../helpers/tls';

let dir: string;
let certs: TestCerts;
let d: TestDaemon | undefined;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsd-tls-'));
  certs = await makeCerts(join(dir, 'certs'));
  port = await freePort();
  d = await startBusyboxDaemon({
    hosts: [`tcp://127.0.0.1:${port}`],
    args: ['--tlsverify', '--tlscacert', certs.ca, '--tlscert', certs.serverCert, '--tlskey', certs.serverKey],
  });
}, 60_000);

afterAll(async () => {
  await cleanupWithContainers(d);
  rmSync(dir, { recursive: true, force: true });
});

type Run = (args: string[], input?: string) => CommandResult;

/** The real docker CLI and ours against the TLS port, with the client certificate. */
const CLIS: Record<'docker' | 'tsdocker', Run> = {
  docker: (args, input) => d!.docker([...tlsFlags(), ...args], input === undefined ? {} : { input }),
  tsdocker: (args, input) => d!.cli([...tlsFlags(), ...args], input === undefined ? {} : { input }),
};

function tlsFlags(): string[] {
  return ['--tlsverify', '--tlscacert', certs.ca, '--tlscert', certs.clientCert, '--tlskey', certs.clientKey, '-H', `tcp://127.0.0.1:${port}`];
}

const clientTls = () => ({ ca: readFileSync(certs.ca), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) });

describe.each(['docker', 'tsdocker'] as const)('the %s CLI over --tlsverify', (cli) => {
  const run = CLIS[cli];

  it('serves version and images over TLS and the Unix socket at once', () => {
    expect(ok(run(['version', '-f', '{{.Server.Os}}'])).trim()).toBe('linux');
    expect(ok(run(['images', '--format', '{{.Repository}}:{{.Tag}}']))).toContain('busybox:latest');
    expect(ok(d!.docker(['version', '-f', '{{.Server.Os}}'])).trim()).toBe('linux');
    expect(d!.logs()).not.toMatch(/listening on plain TCP without TLS/);
    expect(d!.logs()).toContain('"tls":"client certificates from the CA required"');
  });

  it('runs containers and execs, with piped stdin through the hijacked attach, and reads their logs', () => {
    expect(ok(run(['run', '--rm', 'busybox', 'echo', 'over tls']))).toBe('over tls\n');
    expect(ok(run(['run', '-i', '--rm', 'busybox', 'sh', '-c', 'tr a-z A-Z'], 'piped through tls\n'))).toBe('PIPED THROUGH TLS\n');
    ok(run(['run', '-d', '--name', `${cli}-sleeper`, 'busybox', 'sleep', '600']));
    expect(ok(run(['exec', '-i', `${cli}-sleeper`, 'sh', '-c', 'tr a-z A-Z'], 'exec through tls\n'))).toBe('EXEC THROUGH TLS\n');
    const logged = run(['run', '--name', `${cli}-logged`, 'busybox', 'sh', '-c', 'echo one; echo two >&2']);
    expect([logged.code, logged.stdout, logged.stderr]).toEqual([0, 'one\n', 'two\n']);
    const logs = run(['logs', `${cli}-logged`]);
    expect([logs.code, logs.stdout, logs.stderr]).toEqual([0, 'one\n', 'two\n']);
  }, 60_000);

  it('runs -it under a pty (script(1)), the exit status coming back', () => {
    const binary = cli === 'docker' ? 'docker' : CLI;
    const line = [binary, ...tlsFlags(), 'run', '-it', '--rm', 'busybox', 'sh', '-c', 'tty; echo in a tty; exit 3'].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', line, '/dev/null'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, DOCKER_CONFIG: join(d!.dir, 'docker-config') } });
    // Without \r and the echoed ^@ that lands anywhere: our CLI leaves the local terminal's ONLCR on (\r\r\n), over the
    // Unix socket as well (not a TLS matter).
    expect(r.stdout.replace(/\r|\^@/g, '')).toMatch(/\/dev\/pts\/\d+\nin a tty\n/);
    expect(r.status).toBe(3);
  }, 40_000);

  it('runs exec -it under a pty (script(1)), the exit status coming back', () => {
    const binary = cli === 'docker' ? 'docker' : CLI;
    const name = `${cli}-tty-sleeper`;
    ok(run(['run', '-d', '--name', name, 'busybox', 'sleep', '600']));
    const line = [binary, ...tlsFlags(), 'exec', '-it', name, 'sh', '-c', 'tty; echo in an exec tty; exit 4'].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', line, '/dev/null'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, DOCKER_CONFIG: join(d!.dir, 'docker-config') } });
    expect(r.stdout.replace(/\r|\^@/g, '')).toMatch(/\/dev\/pts\/\d+\nin an exec tty\n/);
    expect(r.status).toBe(4);
  }, 40_000);

  it('survives stdin that keeps coming after the exec’s process has exited (the input is dropped)', () => {
    const name = `${cli}-stdin-sleeper`;
    ok(run(['run', '-d', '--name', name, 'busybox', 'sleep', '600']));
    const r = spawnSync('sh', ['-c', `yes 'more input' | head -c 8000000 | "$0" "$@" exec -i ${name} true`, cli === 'docker' ? 'docker' : CLI, ...tlsFlags()], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, DOCKER_CONFIG: join(d!.dir, 'docker-config') },
    });
    expect(r.status).toBe(0);
    expect(ok(run(['version', '-f', '{{.Server.Os}}'])).trim()).toBe('linux');
    expect(d!.logs()).not.toContain('Unhandled');
  }, 40_000);

  it('streams logs -f and events until the container ends', () => {
    const started = Math.floor(Date.now() / 1000);
    const id = ok(run(['run', '-d', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.2; done'])).trim();
    expect(ok(run(['logs', '-f', id]))).toBe('line 1\nline 2\nline 3\n');
    const events = ok(run(['events', '--since', String(started), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', `container=${id}`, '--format', '{{.Action}}']));
    expect(events.split('\n')).toEqual(expect.arrayContaining(['start', 'die']));
  }, 40_000);

  it('copies files both ways and loads an image', () => {
    const file = join(dir, `${cli}-copied.txt`);
    writeFileSync(file, `copied over tls by ${cli}\n`);
    ok(run(['create', '--name', `${cli}-cpbox`, 'busybox']));
    ok(run(['cp', file, `${cli}-cpbox:/copied.txt`]));
    ok(run(['cp', `${cli}-cpbox:/copied.txt`, join(dir, `${cli}-back.txt`)]));
    expect(readFileSync(join(dir, `${cli}-back.txt`), 'utf8')).toBe(`copied over tls by ${cli}\n`);

    const archive = join(dir, `${cli}-image.tar`);
    ok(d!.docker(['tag', 'busybox', `${cli}-reloaded:1`]));
    ok(d!.docker(['save', '-o', archive, `${cli}-reloaded:1`]));
    ok(d!.docker(['rmi', `${cli}-reloaded:1`]));
    expect(ok(run(['load', '-i', archive]))).toContain(`Loaded image: ${cli}-reloaded:1`);
    expect(ok(run(['images', '-q', `${cli}-reloaded:1`])).trim()).not.toBe('');
  }, 60_000);
});

describe('the tsdocker CLI’s TLS settings', () => {
  it('takes DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as the docker CLI does', () => {
    const env = { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs.dir };
    expect(ok(d!.cli(['version', '-f', '{{.Server.Os}}'], { env })).trim()).toBe('linux');
    expect(ok(d!.docker(['version', '-f', '{{.Server.Os}}'], { env })).trim()).toBe('linux');
  });

  it('warns when the client certificate expires within 30 days', async () => {
    // Its own CA: the daemon refuses it after the warning, which comes first.
    const soon = await makeCerts(join(dir, 'soon'), 2);
    const r = d!.cli(['--tlsverify', '--tlscacert', certs.ca, '--tlscert', soon.clientCert, '--tlskey', soon.clientKey, '-H', `tcp://127.0.0.1:${port}`, 'version', '-f', '{{.Server.Os}}']);
    expect(r.stderr).toMatch(new RegExp(`^WARNING: the client certificate ${soon.clientCert} expires on \\S+: renew it with 'tsdocker tls renew'\n`));
  });

  it('dials the TLS daemon for system dial-stdio (the remote end of an ssh:// host)', async () => {
    const child = spawn(CLI, [...tlsFlags(), 'system', 'dial-stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdin.write('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
    expect(await exited).toBe(0);
    child.stdin.destroy();
    expect(out).toMatch(/^HTTP\/1.1 200 OK\r\n[\s\S]*\r\n\r\nOK$/);
  });

  it('fails, serving nothing, without TLS', () => {
    const plain = d!.cli(['-H', `tcp://127.0.0.1:${port}`, 'ps']);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toContain('Client sent an HTTP request to an HTTPS server.');
  });
});

describe('refused with nothing served', () => {
  it('answers a client with the CA’s certificate over TLS 1.2 (the baseline of the refusals below)', async () => {
    const r = await ping(port, { ...clientTls(), maxVersion: 'TLSv1.2' });
    expect(r.error).toBeUndefined();
    expect(r.data).toMatch(/^HTTP\/1.1 200 OK/);
  });

  it('refuses a client without a certificate', async () => {
    const r = await ping(port, { ca: readFileSync(certs.ca) });
    expect(r.data).toBe('');
    expect(r.error).toMatch(/certificate required|handshake failure/);
    const noCert = d!.docker(['--tls', '--tlscacert', certs.ca, '-H', `tcp://127.0.0.1:${port}`, 'version']);
    expect(noCert.code).not.toBe(0);
  });

  it.each([
    ['from another CA', 'stranger', /unknown ca|socket disconnected before secure TLS connection/],
    ['from the CA, expired', 'expired', /certificate expired|socket disconnected before secure TLS connection/],
  ] as const)('refuses a certificate %s, to node:tls and both CLIs', async (_what, which, alert) => {
    const [certFile, keyFile] = which === 'stranger' ? [certs.strangerCert, certs.strangerKey] : [certs.expiredCert, certs.expiredKey];
    const client = { ca: readFileSync(certs.ca), cert: readFileSync(certFile), key: readFileSync(keyFile) };
    // TLS 1.3 finishes the client's side of the handshake before the daemon checks the certificate: nothing comes back.
    expect((await ping(port, client)).data).toBe('');
    const r = await ping(port, { ...client, maxVersion: 'TLSv1.2' });
    expect(r.data).toBe('');
    // Node checks the chain after OpenSSL's handshake and may drop the connection without an alert.
    expect(r.error).toMatch(alert);
    const flags = ['--tlsverify', '--tlscacert', certs.ca, '--tlscert', certFile, '--tlskey', keyFile, '-H', `tcp://127.0.0.1:${port}`, 'version', '-f', '{{.Server.Os}}'];
    for (const cli of [d!.docker(flags), d!.cli(flags)]) {
      expect(cli.code).not.toBe(0);
      expect(cli.stdout).not.toContain('linux');
    }
    if (which === 'expired') expect(d!.cli(flags).stderr).toMatch(/^WARNING: the client certificate \S+ expired on /);
  });

  it('answers plaintext HTTP with Go’s 400, not the API', async () => {
    const r = await ping(port);
    expect(r.data).toMatch(/^HTTP\/1.0 400 Bad Request/);
    expect(r.data).toContain('Client sent an HTTP request to an HTTPS server.');
    const cli = d!.docker(['-H', `tcp://127.0.0.1:${port}`, 'version', '-f', '{{.Server.Os}}']);
    expect(cli.code).not.toBe(0);
    expect(cli.stdout).not.toContain('linux');
  });

  it.each(['TLSv1', 'TLSv1.1'] as const)('refuses %s', async (version) => {
    // SECLEVEL=0 lets this client offer the old protocol: the refusal must come from the daemon.
    const r = await ping(port, { ...clientTls(), minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' });
    expect(r.data).toBe('');
    expect(r.error).toMatch(/alert protocol version/);
  });
});

describe('TLS settings checked at start', () => {
  it('refuses an encrypted private key with a clear message', () => {
    const encrypted = join(dir, 'encrypted-key.pem');
    const key = createPrivateKey(readFileSync(certs.serverKey));
    writeFileSync(encrypted, key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }), { mode: 0o600 });
    const r = refusedStart(['--tlsverify', '--tlscacert', certs.ca, '--tlscert', certs.serverCert, '--tlskey', encrypted]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--tlskey ${encrypted}: the private key is encrypted with a passphrase`);
  });

  it('names a missing certificate file', () => {
    const r = refusedStart(['--tls', '--tlscert', join(dir, 'nope.pem'), '--tlskey', certs.serverKey]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`could not load --tlscert ${join(dir, 'nope.pem')}`);
  });

  it('refuses TLS without client certificates (--tlsverify=false) off loopback: anyone could connect', () => {
    // 192.0.2.0/24 is TEST-NET-1: refused before anything is bound.
    const r = refusedStart(['-H', 'tcp://192.0.2.10:23760', '--tls', '--tlsverify=false', '--tlscert', certs.serverCert, '--tlskey', certs.serverKey]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refusing to listen on tcp://192.0.2.10:23760: binding to IP address without --tlsverify is insecure');
  });

  it('reads a bad boolean for --tlsverify= as an error', () => {
    const r = refusedStart(['--tls', '--tlsverify=maybe', '--tlscert', certs.serverCert, '--tlskey', certs.serverKey]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('invalid boolean value "maybe"');
  });

  it('serves "tls": true, "tlsverify": false on loopback: encrypted, no client certificate asked, dockerd’s warning', async () => {
    const tlsPort = await freePort();
    const configDir = mkdtempSync(join(tmpdir(), 'tsd-tls-only-'));
    writeFileSync(join(configDir, 'daemon.json'), JSON.stringify({ tls: true, tlsverify: false, tlscert: certs.serverCert, tlskey: certs.serverKey }));
    const only = await startDaemon({ dir: configDir, hosts: [`tcp://127.0.0.1:${tlsPort}`] });
    try {
      const r = await ping(tlsPort, { ca: readFileSync(certs.ca) });
      expect(r.error).toBeUndefined();
      expect(r.data).toMatch(/^HTTP\/1.1 200 OK/);
      expect(ok(only.docker(['--tls', '--tlscacert', certs.ca, '-H', `tcp://127.0.0.1:${tlsPort}`, 'version', '-f', '{{.Server.Os}}'])).trim()).toBe('linux');
      expect(only.logs()).toContain('Binding to IP address without --tlsverify is insecure');
      expect(only.logs()).toContain('"tls":"encryption only"');
    } finally {
      await only.cleanup();
      rmSync(configDir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('--tls alone, and the certificates reloaded on SIGHUP', () => {
  let live: TestDaemon | undefined;
  let livePort: number;
  let other: TestCerts;
  const liveDir = () => join(dir, 'live');
  const files = () => ({ ca: join(liveDir(), 'ca.pem'), cert: join(liveDir(), 'server-cert.pem'), key: join(liveDir(), 'server-key.pem') });
  /** Puts `from`'s CA and server certificate and key where the daemon reads them. */
  const install = (from: TestCerts) => {
    mkdirSync(liveDir(), { recursive: true, mode: 0o700 });
    copyFileSync(from.ca, files().ca);
    copyFileSync(from.serverCert, files().cert);
    copyFileSync(from.serverKey, files().key);
  };
  const client = (from: TestCerts) => ({ ca: readFileSync(from.ca), cert: readFileSync(from.clientCert), key: readFileSync(from.clientKey) });
  /** Sends SIGHUP and waits for the daemon to log `message` once more than before. */
  const hangUp = async (message: string) => {
    const before = live!.logs().split(message).length;
    live!.process.kill('SIGHUP');
    for (let i = 0; i < 200 && live!.logs().split(message).length === before; i++) await new Promise((r) => setTimeout(r, 25));
    expect(live!.logs().split(message).length).toBe(before + 1);
  };

  beforeAll(async () => {
    other = await makeCerts(join(dir, 'other-ca'));
    install(certs);
    livePort = await freePort();
    // --tls without --tlsverify: dockerd's TLSVerify defaults to TLS, so client certificates are required.
    live = await startDaemon({ hosts: [`tcp://127.0.0.1:${livePort}`], args: ['--tls', '--tlscacert', files().ca, '--tlscert', files().cert, '--tlskey', files().key] });
  }, 30_000);

  afterAll(async () => {
    await live?.cleanup();
  });

  it('requires client certificates under --tls alone, as dockerd', async () => {
    expect(live!.logs()).toContain('"tls":"client certificates from the CA required"');
    expect((await ping(livePort, { ca: readFileSync(certs.ca), maxVersion: 'TLSv1.2' })).data).toBe('');
    expect((await ping(livePort, client(certs))).data).toMatch(/^HTTP\/1.1 200 OK/);
  });

  it('serves new connections with the new CA, certificate and key after SIGHUP', async () => {
    install(other);
    await hangUp('TLS certificates reloaded');
    expect((await ping(livePort, client(other))).data).toMatch(/^HTTP\/1.1 200 OK/);
    // The old CA neither trusts the new server certificate nor is trusted for client certificates any more.
    const old = await ping(livePort, client(certs));
    expect(old.data).toBe('');
    expect(old.error).toBeDefined();
  });

  it('keeps the certificates in use when a new file does not load, and says so', async () => {
    writeFileSync(files().key, '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
    await hangUp('TLS certificates not reloaded; the old ones stay in use');
    expect((await ping(livePort, client(other))).data).toMatch(/^HTTP\/1.1 200 OK/);
    expect(live!.process.exitCode).toBeNull();
  });
});
