// The daemon's TLS: the server settings built from --tls/--tlsverify and the
// certificate files (dockerd's: TLS 1.2 at least, ECDHE with AES-GCM or
// ChaCha20-Poly1305 only, client certificates from the CA required under
// --tlsverify), and a gate in front of the TLS port that answers a plaintext HTTP
// request with Go's 400 instead of a dropped connection.
import { readFileSync } from 'node:fs';
import type https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { InvalidArgumentError, messageOf } from '../errors';
import type { DaemonConfig } from './config';

export type TlsOptions = https.ServerOptions;

/** go-connections' DefaultServerAcceptedCiphers (TLS 1.2), then TLS 1.3's AEAD suites (Go enables all three). */
const CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

function readPem(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`could not load ${flag} ${path}: ${messageOf(err)}`);
  }
}

/** The TLS server settings, or undefined when TLS is off; every file problem is a start error naming the file. */
export function loadTls(config: DaemonConfig): TlsOptions | undefined {
  if (!config.tls) return undefined;
  const cert = readPem('--tlscert', config.tlsCert);
  const key = readPem('--tlskey', config.tlsKey);
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(key)) {
    throw new InvalidArgumentError(
      `--tlskey ${config.tlsKey}: the private key is encrypted with a passphrase, which tsdockerd cannot ask for: give it an unencrypted key readable only by root (mode 0600)`,
    );
  }
  // allowHalfOpen: a client that half-closes (the docker CLI's CloseWrite after an attach request without stdin) still gets its output.
  const options: TlsOptions = { cert, key, minVersion: 'TLSv1.2', ciphers: CIPHERS, honorCipherOrder: true, allowHalfOpen: true };
  if (config.tlsVerify) {
    options.ca = readPem('--tlscacert', config.tlsCaCert);
    options.requestCert = true;
    options.rejectUnauthorized = true;
  }
  try {
    tls.createSecureContext(options);
  } catch (err) {
    throw new InvalidArgumentError(`could not load the TLS certificate ${config.tlsCert} and key ${config.tlsKey}: ${messageOf(err)}`);
  }
  return options;
}

const TLS_HANDSHAKE = 0x16;
const FIRST_BYTE_TIMEOUT_MS = 30_000;
const PLAINTEXT_ANSWER =
  'HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';

/**
 * Listens for `server` on host:port through a gate that looks at each
 * connection's first byte: a TLS handshake goes on to the server, anything else
 * (plaintext HTTP) gets Go's 400 answer and is closed, nothing served.
 */
export function gateTls(server: https.Server): net.Server {
  return net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy());
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      socket.setTimeout(0);
      if (chunk[0] !== TLS_HANDSHAKE) {
        socket.end(PLAINTEXT_ANSWER);
        return;
      }
      socket.unshift(chunk);
      server.emit('connection', socket);
    });
  });
}
