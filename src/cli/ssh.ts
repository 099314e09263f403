// ssh:// hosts, as the docker CLI's connection helper dials them: each
// connection is `ssh [-l user] [-p port] -o ConnectTimeout=30 -T -- host
// 'docker system dial-stdio'` (the remote `docker` must be tsdocker or docker
// ≥ 18.09), its stdin and stdout one byte stream to the remote daemon. Unlike
// the docker CLI, which pays a new ssh connection (handshake, authentication)
// for every HTTP connection, one invocation of ours shares one: the first ssh
// becomes an OpenSSH ControlMaster on a socket in a private directory, and
// later connections (a hijacked attach, a streamed body) are sessions over it.
// ControlPersist lets the master outlive the first session by a few seconds,
// so closing one connection never cuts another; it exits on its own.
import type { ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import { CliError } from './cli-error';

export interface SshSpec {
  user?: string;
  host: string;
  port?: string;
  /** The remote daemon's socket path, when the URL names one. */
  path?: string;
}

/** Parses ssh://[user@]host[:port][/socket/path] as the docker CLI does (no password, query or fragment). */
export function parseSshUrl(value: string): SshSpec {
  const invalid = (why: string) => new CliError(`ssh host connection is not valid: invalid SSH URL: ${why}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`parse ${JSON.stringify(value)}: invalid URL`);
  }
  if (url.password !== '') throw invalid('plain-text password is not supported');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw invalid('hostname is empty');
  if (url.search !== '') throw invalid(`query parameters are not allowed: ${JSON.stringify(url.search.slice(1))}`);
  if (url.hash !== '') throw invalid(`fragments are not allowed: ${JSON.stringify(url.hash.slice(1))}`);
  const spec: SshSpec = { host };
  if (url.username !== '') spec.user = decodeURIComponent(url.username);
  if (url.port !== '') spec.port = url.port;
  if (url.pathname.replace(/\//g, '') !== '') spec.path = decodeURIComponent(url.pathname);
  return spec;
}

/** POSIX shell quoting, only where needed (the remote command goes through the user's shell). */
function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** ssh's arguments for one connection: the docker CLI's, with the multiplexing options first when given. */
export function sshArgs(spec: SshSpec, mux: string[] = []): string[] {
  const remote = spec.path ? ['docker', '--host', `unix://${spec.path}`, 'system', 'dial-stdio'] : ['docker', 'system', 'dial-stdio'];
  return [
    ...mux,
    '-o', 'ConnectTimeout=30',
    '-T',
    ...(spec.user !== undefined ? ['-l', spec.user] : []),
    ...(spec.port !== undefined ? ['-p', spec.port] : []),
    '--', spec.host,
    remote.map(quote).join(' '),
  ];
}

const STDERR_KEPT = 4096;

/** The ssh command ended before the remote side answered: docker's "has exited with" error. */
export class CommandExitError extends Error {}

/**
 * A child process's stdin and stdout as one duplex stream (docker's commandconn):
 * end() closes its stdin, so the remote side sees EOF on that direction only;
 * destroy() closes both and ends the process. When the command exits before
 * the other side has said anything, the stream fails with its status and stderr.
 */
export class CommandConn extends Duplex {
  private stderr = '';
  private received = false;

  constructor(
    private readonly child: ChildProcess,
    private readonly args: string[],
  ) {
    super({ allowHalfOpen: true });
    const { stdin, stdout, stderr } = child;
    if (!stdin || !stdout || !stderr) throw new Error('CommandConn needs the child’s stdin, stdout and stderr piped');
    stdout.on('data', (chunk: Buffer) => {
      this.received = true;
      if (!this.push(chunk)) stdout.pause();
    });
    // An EOF before any answer waits for the exit status: a failed ssh is an error, not an empty answer (docker's handleEOF).
    let exited = false;
    let eof = false;
    const finish = () => {
      if (!exited || !eof || this.destroyed) return;
      const { exitCode: code, signalCode: signal } = child;
      if (this.received || code === 0) this.push(null);
      else this.destroy(this.exitError(signal ? `signal: ${signal}` : `exit status ${code}`));
    };
    stdout.on('end', () => {
      eof = true;
      if (this.received) this.push(null);
      else finish();
    });
    stderr.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-STDERR_KEPT)));
    stdin.on('error', () => undefined);
    child.on('error', (err) => this.destroy(err));
    child.on('exit', () => {
      exited = true;
      // stderr's last bytes come with the pipes' close, just after.
      stderr.once('close', finish);
      if (stderr.closed) finish();
    });
  }

  private exitError(status: string): CommandExitError {
    return new CommandExitError(
      `command [${this.args.join(' ')}] has exited with ${status}, make sure the URL is valid, and tsdocker (or Docker 18.09 or later) is installed on the remote host: stderr=${this.stderr}`,
    );
  }

  override _read(): void {
    this.child.stdout?.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.child.stdin!.write(chunk, callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.child.stdin!.end(callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.child.stdin?.destroy();
    this.child.stdout?.destroy();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    callback(err);
  }
}

/** The private directory of this invocation's ControlMaster socket, made on first use and removed at exit. */
let controlDir: string | undefined;

function muxOptions(): string[] {
  const { mkdtempSync, rmSync } = process.getBuiltinModule('node:fs');
  const { join } = process.getBuiltinModule('node:path');
  if (controlDir === undefined) {
    const { tmpdir } = process.getBuiltinModule('node:os');
    // mkdtemp makes it 0700: only this user reaches the master's socket.
    const dir = mkdtempSync(join(tmpdir(), 'tsdocker-ssh-'));
    controlDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return ['-o', 'ControlMaster=auto', '-o', `ControlPath=${join(controlDir, 'master')}`, '-o', 'ControlPersist=2'];
}

/** A new connection to the daemon behind an ssh:// host. */
export function dialSsh(host: string): CommandConn {
  const spec = parseSshUrl(host);
  const args = sshArgs(spec, process.env['TSDOCKER_SSH_MUX'] === '0' ? [] : muxOptions());
  const { spawn } = process.getBuiltinModule('node:child_process');
  const child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  return new CommandConn(child, ['ssh', ...args]);
}
