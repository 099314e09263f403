// A private OpenSSH server for the ssh:// tests and bench: Debian's sshd on
// 127.0.0.1:<free port> with its own host key, config and authorized_keys
// (root, key only), never the system's sshd, stopped by PID. Every session runs
// through a ForceCommand wrapper in the test's directory that puts a `docker`
// linked to our tsdocker first in PATH and points it at the test daemon, as a
// remote machine with tsdocker installed would (README: "Reaching tsdockerd
// over ssh://"). The clients reach it through an `ssh` wrapper in `clientPath`
// that adds the test's key and known_hosts (ssh reads ~/.ssh from the password
// database, not $HOME, so an environment variable cannot point it elsewhere).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

export const SSHD = '/usr/sbin/sshd';

export interface TestSshd {
  port: number;
  dir: string;
  /** `ssh://root@127.0.0.1:PORT` */
  url: string;
  /** PATH for a client: the `ssh` wrapper first. */
  clientPath: string;
  /** What sshd logged so far. */
  logs(): string;
  stop(): Promise<void>;
}

/** Why sshd cannot be used here, or undefined when it can. */
export function sshdMissingReason(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (apt-get install openssh-server)`;
  if (spawnSync('ssh-keygen', ['-?']).error) return 'ssh-keygen is not installed (openssh-client)';
  if (process.getuid?.() !== 0) return 'sshd must start as root to log root in';
  return undefined;
}

function keygen(file: string): string {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tsdocker-test', '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

function script(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o700 });
  chmodSync(path, 0o700);
}

/** Waits until sshd accepts connections on the port (or exits). */
async function waitListening(port: number, child: ChildProcess, logs: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${logs()}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`sshd did not listen on ${port}: ${logs()}`);
}

/** Starts sshd whose sessions reach the daemon on `daemonSocket` with `cli` (bin/tsdocker) as the remote `docker`. */
export async function startSshd(daemonSocket: string, cli: string): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-sshd-'));
  const port = await freePort();
  const hostKey = keygen(join(dir, 'host_key'));
  const clientKey = keygen(join(dir, 'id_ed25519'));
  writeFileSync(join(dir, 'authorized_keys'), `${clientKey}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`, { mode: 0o600 });

  // The remote side: `docker` is our tsdocker, talking to the test daemon.
  mkdirSync(join(dir, 'remote-bin'), { mode: 0o700 });
  symlinkSync(cli, join(dir, 'remote-bin', 'docker'));
  script(
    join(dir, 'session.sh'),
    `#!/bin/sh\nPATH=${join(dir, 'remote-bin')}:/usr/sbin:/usr/bin:/sbin:/bin\nDOCKER_HOST=unix://${daemonSocket}\nexport PATH DOCKER_HOST\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`,
  );
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_key')}`, `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'AuthenticationMethods publickey', 'PasswordAuthentication no',
      'KbdInteractiveAuthentication no', 'PermitRootLogin prohibit-password', 'AllowUsers root', 'UsePAM no',
      // The test directory lies under /tmp (world-writable): the path checks would refuse the keys file.
      'StrictModes no', `ForceCommand ${join(dir, 'session.sh')}`, 'MaxSessions 64', 'MaxStartups 64', 'LogLevel VERBOSE', '',
    ].join('\n'),
    { mode: 0o600 },
  );

  // The client side: the test's key and known_hosts, nothing from ~/.ssh.
  mkdirSync(join(dir, 'client-bin'), { mode: 0o700 });
  writeFileSync(
    join(dir, 'ssh_config'),
    [
      'Host *', `  IdentityFile ${join(dir, 'id_ed25519')}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '  GlobalKnownHostsFile /dev/null', '  StrictHostKeyChecking yes', '  BatchMode yes', '  LogLevel ERROR', '',
    ].join('\n'),
    { mode: 0o600 },
  );
  script(join(dir, 'client-bin', 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F ${join(dir, 'ssh_config')} "$@"\n`);

  // sshd's privilege-separation directory (Debian's sshd refuses to start without it; the package's unit makes it).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  // Its log goes to a file, not a pipe: a test blocked in spawnSync reads no pipe, and an sshd whose stderr is full stops answering.
  const logFile = join(dir, 'sshd.log');
  const child = spawn(SSHD, ['-D', '-E', logFile, '-f', join(dir, 'sshd_config')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const logs = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitListening(port, child, logs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, dir, url: `ssh://root@127.0.0.1:${port}`, clientPath: `${join(dir, 'client-bin')}:${process.env['PATH'] ?? ''}`, logs, stop };
}
