// Certificates and raw TLS exchanges for the TLS tests: a CA with server and client
// certificates written to a directory (by the same code as `tsdocker tls init`), and a
// one-request client over node:tls or plain TCP that reports what came back.
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { createAuthority, issue } from '../../src/cli/certs';

export interface TestCerts {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from the CA, expired yesterday. */
  expiredCert: string;
  expiredKey: string;
  /** A client certificate from another CA. */
  strangerCert: string;
  strangerKey: string;
}

/** Writes a CA, server, client and stranger certificates to `dir`, valid `days` (short: the CLI warns under 30). */
export async function makeCerts(dir: string, days = 365): Promise<TestCerts> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = await createAuthority('tsdocker test CA', days);
  const server = await issue(ca, 'server', 'localhost', ['localhost', '127.0.0.1'], days);
  const client = await issue(ca, 'client', 'client', [], days);
  const stranger = await issue(await createAuthority('another CA', days), 'client', 'client', [], days);
  const expired = await issue(ca, 'client', 'client', [], 1, new Date(Date.now() - 2 * 86_400_000));
  const files: Record<string, string> = {
    'ca.pem': ca.cert,
    'server-cert.pem': server.cert,
    'server-key.pem': server.key,
    'cert.pem': client.cert,
    'key.pem': client.key,
    'expired-cert.pem': expired.cert,
    'expired-key.pem': expired.key,
    'stranger-cert.pem': stranger.cert,
    'stranger-key.pem': stranger.key,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o600 });
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server-cert.pem'),
    serverKey: join(dir, 'server-key.pem'),
    clientCert: join(dir, 'cert.pem'),
    clientKey: join(dir, 'key.pem'),
    expiredCert: join(dir, 'expired-cert.pem'),
    expiredKey: join(dir, 'expired-key.pem'),
    strangerCert: join(dir, 'stranger-cert.pem'),
    strangerKey: join(dir, 'stranger-key.pem'),
  };
}

export interface Exchange {
  /** Everything the server sent back. */
  data: string;
  error?: string;
}

const PING = 'GET /_ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';

/** One GET /_ping over TLS (`options` says how) or, with `options` undefined, over plain TCP. */
export function ping(port: number, options?: tls.ConnectionOptions): Promise<Exchange> {
  return new Promise((resolve) => {
    let data = '';
    let error: string | undefined;
    const socket = options
      ? tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...options }, () => socket.write(PING))
      : net.connect(port, '127.0.0.1', () => socket.write(PING));
    socket.setTimeout(10_000, () => socket.destroy(new Error('timeout')));
    socket.on('data', (d: Buffer) => (data += d.toString()));
    socket.on('error', (err) => (error = err.message));
    socket.on('close', () => resolve(error === undefined ? { data } : { data, error }));
  });
}
