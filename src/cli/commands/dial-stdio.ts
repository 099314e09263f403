// `tsdocker system dial-stdio`: what a CLI that reaches this machine over ssh://
// runs here (`docker system dial-stdio`; see the README on answering as
// `docker`). It opens one connection to the daemon -H/DOCKER_HOST/the context
// names and copies bytes both ways, as docker's runDialStdio: stdin's EOF
// half-closes the connection (the daemon still answers), the daemon's EOF ends
// the command at once, without waiting for stdin (which a tty never closes).
import type { Command } from 'commander';
import type { Duplex } from 'node:stream';
import type { Cli } from '../cli';
import { CliError } from '../cli';
import { connect } from '../http';

/** Resolves once the connection is up (TLS handshake included), rejects with why not. */
function opened(conn: Duplex): Promise<void> {
  return new Promise((resolve, reject) => {
    const { TLSSocket } = process.getBuiltinModule('node:tls');
    const { Socket } = process.getBuiltinModule('node:net');
    const ready = conn instanceof TLSSocket ? 'secureConnect' : conn instanceof Socket ? 'connect' : undefined;
    // An ssh:// host's stream is writable at once (ssh.ts reports its own failures).
    if (ready === undefined) return resolve();
    const onError = (err: Error) => reject(err);
    conn.once('error', onError).once(ready, () => {
      conn.off('error', onError);
      resolve();
    });
  });
}

async function dialStdio(cli: Cli): Promise<void> {
  const { host, tls } = cli.endpoint;
  const conn = connect(host, tls);
  try {
    await opened(conn);
  } catch (err) {
    conn.destroy();
    throw new CliError(`failed to open the raw stream connection: ${(err as Error).message}`);
  }
  await new Promise<void>((resolve, reject) => {
    conn.on('error', (err) => reject(new CliError(`error while Copy (stream to stdout): ${err.message}`)));
    // stdin to the daemon; its EOF is a half-close (shutdown(SHUT_WR)), the answer still comes.
    process.stdin.on('data', (chunk: Buffer) => {
      if (!conn.write(chunk)) {
        process.stdin.pause();
        conn.once('drain', () => process.stdin.resume());
      }
    });
    process.stdin.once('end', () => conn.end());
    process.stdin.on('error', () => conn.end());
    // The daemon to stdout (synchronous on Linux pipes and files): its EOF is the end.
    conn.on('data', (chunk: Buffer) => process.stdout.write(chunk));
    conn.once('end', () => resolve());
  });
  conn.destroy();
  // stdin may still be open (a terminal, or a client that never closes it): stop reading it.
  process.stdin.destroy();
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(0);
}

/** Registers `system dial-stdio` under the `system` group. */
export function registerDialStdio(system: Command, cli: Cli): void {
  system
    // Hidden from help, as docker's: only ssh:// connection helpers run it.
    .command('dial-stdio', { hidden: true })
    .description('Proxy the stdio stream to the daemon connection. Should not be invoked manually.')
    .action(() => dialStdio(cli));
}
