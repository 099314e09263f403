// ssh:// (issue 15): the real docker CLI and ours reach a tsdockerd through an
// OpenSSH server this file starts on 127.0.0.1 (test/helpers/sshd.ts), whose
// sessions run `docker system dial-stdio` with our tsdocker as `docker`. Also
// `system dial-stdio` itself: the bytes both ways and the half-close, and one
// ssh connection shared by all the connections of one invocation of our CLI.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanupWithContainers, ok, startBusyboxDaemon, type CommandResult, type TestDaemon } from '../helpers/daemon';
import { sshdMissingReason, startSshd, type TestSshd } from '../helpers/sshd';

const missing = sshdMissingReason();
if (missing) console.warn(`ssh:// tests skipped: ${missing}`);

let d: TestDaemon | undefined;
let sshd: TestSshd | undefined;

beforeAll(async () => {
  if (missing) return;
  d = await startBusyboxDaemon();
  sshd = await startSshd(d.socket, CLI);
}, 60_000);

afterAll(async () => {
  await sshd?.stop();
  await cleanupWithContainers(d);
});

/** The client's environment: the test's ssh first in PATH, and no DOCKER_HOST that could reach the daemon directly. */
function sshEnv(): Record<string, string> {
  return { PATH: sshd!.clientPath, DOCKER_HOST: 'unix:///nonexistent/ssh-test.sock' };
}

const CLIS = {
  docker: (args: string[], input?: string): CommandResult => d!.docker(['-H', sshd!.url, ...args], { env: sshEnv(), ...(input === undefined ? {} : { input }) }),
  tsdocker: (args: string[], input?: string): CommandResult => d!.cli(['-H', sshd!.url, ...args], { env: sshEnv(), ...(input === undefined ? {} : { input }) }),
};

/** The ssh connections sshd accepted so far (one "Accepted publickey" line each). */
const accepted = () => (sshd!.logs().match(/Accepted publickey for root/g) ?? []).length;

describe.skipIf(missing !== undefined).each(['docker', 'tsdocker'] as const)('the %s CLI over ssh://', (cli) => {
  const run = (args: string[], input?: string) => CLIS[cli](args, input);

  it('lists, runs --rm, and reads logs through sshd', () => {
    expect(ok(run(['version', '-f', '{{.Server.Os}}'])).trim()).toBe('linux');
    expect(ok(run(['run', '--rm', 'busybox', 'echo', 'over ssh']))).toBe('over ssh\n');
    const id = ok(run(['run', '-d', '--name', `${cli}-ssh-logged`, 'busybox', 'sh', '-c', 'echo out; echo err >&2'])).trim();
    ok(run(['wait', id]));
    const logs = run(['logs', `${cli}-ssh-logged`]);
    expect([logs.code, logs.stdout, logs.stderr]).toEqual([0, 'out\n', 'err\n']);
    expect(ok(run(['ps', '-a', '--format', '{{.Names}}'])).split('\n')).toContain(`${cli}-ssh-logged`);
    // Seen by the daemon itself: the containers are its own.
    expect(ok(d!.docker(['ps', '-a', '--format', '{{.Names}}'])).split('\n')).toContain(`${cli}-ssh-logged`);
  }, 60_000);

  it('pipes stdin through the hijacked attach, with the half-close', () => {
    expect(ok(run(['run', '-i', '--rm', 'busybox', 'sh', '-c', 'tr a-z A-Z'], 'piped over ssh\n'))).toBe('PIPED OVER SSH\n');
  }, 40_000);

  it('runs -it under a pty (script(1)), the exit status coming back', () => {
    const binary = cli === 'docker' ? 'docker' : CLI;
    const line = [binary, '-H', sshd!.url, 'run', '-it', '--rm', 'busybox', 'sh', '-c', 'tty; echo in a tty; exit 3'].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', line, '/dev/null'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...sshEnv(), DOCKER_CONFIG: join(d!.dir, 'docker-config') } });
    expect(r.stdout.replace(/\r|\^@/g, '')).toMatch(/\/dev\/pts\/\d+\nin a tty\n/);
    expect(r.status).toBe(3);
  }, 40_000);

  it('gives back the exit status of run', () => {
    const r = run(['run', '--rm', 'busybox', 'sh', '-c', 'exit 7']);
    expect(r.code).toBe(7);
  }, 40_000);
});

describe.skipIf(missing !== undefined)('the tsdocker CLI’s ssh connection', () => {
  it('makes one ssh connection for all the requests of a run (attach, create, start, wait on their own streams)', () => {
    const before = accepted();
    expect(ok(CLIS.tsdocker(['run', '--rm', 'busybox', 'echo', 'one connection']))).toBe('one connection\n');
    expect(accepted() - before).toBe(1);
  }, 40_000);

  it('reaches the daemon through a context whose host is ssh://, in both CLIs', () => {
    const created = d!.cli(['context', 'create', 'over-ssh', '--docker', `host=${sshd!.url}`], { env: sshEnv() });
    expect(created.code, created.stderr).toBe(0);
    for (const run of [d!.cli, d!.docker]) {
      expect(ok(run(['--context', 'over-ssh', 'version', '-f', '{{.Server.Os}}'], { env: sshEnv() })).trim()).toBe('linux');
    }
  }, 40_000);

  it('passes the URL’s socket path on to the remote side (docker --host unix://PATH system dial-stdio), in both CLIs', () => {
    for (const run of [d!.cli, d!.docker]) {
      const r = run(['-H', `${sshd!.url}/nonexistent/remote.sock`, 'ps'], { env: sshEnv() });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/has exited with exit status 1, .*stderr=failed to open the raw stream connection: .*\/nonexistent\/remote\.sock/s);
    }
    expect(ok(CLIS.tsdocker(['version', '-f', '{{.Server.Os}}'])).trim()).toBe('linux');
  }, 40_000);

  it('says what went wrong when ssh cannot connect', () => {
    const r = d!.cli(['-H', 'ssh://root@127.0.0.1:1', 'ps'], { env: sshEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error during connect: command \[ssh .*\] has exited with exit status 255, .*stderr=.*Connection refused/s);
  });

  it('refuses a password in the URL as the docker CLI does', () => {
    const r = d!.cli(['-H', 'ssh://root:secret@127.0.0.1', 'ps'], { env: sshEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ssh host connection is not valid: invalid SSH URL: plain-text password is not supported');
  });
});

describe.skipIf(missing !== undefined)('tsdocker system dial-stdio', () => {
  it('carries an HTTP exchange both ways and ends at the daemon’s EOF, stdin still open', async () => {
    const child = spawn(CLI, ['-H', `unix://${d!.socket}`, 'system', 'dial-stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdin.write('GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n');
    child.stdin.write('GET /version HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
    // stdin is never closed: the daemon's close after the second answer ends the command.
    expect(await exited).toBe(0);
    child.stdin.destroy();
    expect(out).toMatch(/^HTTP\/1.1 200 OK\r\n[\s\S]*\r\n\r\nOK/);
    expect(out).toContain('"ApiVersion"');
  });

  it('takes DOCKER_HOST, and fails as docker does when nothing listens', () => {
    const r = spawnSync(CLI, ['system', 'dial-stdio'], { input: '', encoding: 'utf8', env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/dial.sock' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^failed to open the raw stream connection: .*ENOENT/);
  });
});
