// Certificates for a daemon reached over mutual TLS: one CA, a server certificate
// for the names and addresses clients dial, and a client certificate, all ECDSA
// P-256 (what dockerd and the docker CLI accept), made with Node's WebCrypto and
// @peculiar/x509 rather than a shell-out to openssl.
import { createPrivateKey, KeyObject, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface PemPair {
  cert: string;
  key: string;
}

export interface Authority extends PemPair {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
}

function keyPem(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A positive 128-bit serial number (RFC 5280 wants it unique and positive). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function validity(days: number, start = new Date()): { notBefore: Date; notAfter: Date } {
  // A minute back: a client whose clock is slightly behind still accepts a fresh certificate.
  const notBefore = new Date(start.getTime() - 60_000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + days * DAY_MS) };
}

/** Quotes a value for an X.500 name (RFC 4514 escaping of the few special characters). */
function commonName(value: string): string {
  return `CN=${value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)}`;
}

export async function createAuthority(name: string, days: number): Promise<Authority> {
  const keys = await newKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: commonName(name),
    ...validity(days),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, keys, cert: certificate.toString('pem') + '\n', key: keyPem(keys.privateKey) };
}

/** Reads back a CA written by createAuthority (for renewals). */
export async function loadAuthority(certPem: string, keyPem: string): Promise<Authority> {
  const certificate = new x509.X509Certificate(certPem);
  const privateKey = createPrivateKey(keyPem).toCryptoKey(ALGORITHM, false, ['sign']);
  const publicKey = await certificate.publicKey.export(ALGORITHM, ['verify']);
  return { certificate, keys: { privateKey, publicKey }, cert: certPem, key: keyPem };
}

export type Usage = 'server' | 'client';

/** A leaf certificate signed by `ca`, valid `days` from `start`: a server one names its DNS names and IPs in its SANs. */
export async function issue(ca: Authority, usage: Usage, subject: string, sans: readonly string[], days: number, start?: Date): Promise<PemPair> {
  const keys = await newKeys();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.certificate),
  ];
  if (sans.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(sans.map((v) => ({ type: isIP(v) ? 'ip' : 'dns', value: v }))));
  }
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: commonName(subject),
    issuer: ca.certificate.subject,
    ...validity(days, start),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions,
  });
  return { cert: certificate.toString('pem') + '\n', key: keyPem(keys.privateKey) };
}

/** When a PEM certificate stops being valid. */
export function expiry(certPem: string): Date {
  return new x509.X509Certificate(certPem).notAfter;
}

/** The DNS names and IP addresses a certificate is for (its subjectAltName). */
export function sansOf(certPem: string): string[] {
  const names = new X509Certificate(certPem).subjectAltName ?? '';
  return names.split(', ').flatMap((entry) => {
    const match = /^(?:DNS|IP Address):(.+)$/.exec(entry);
    return match ? [match[1]!] : [];
  });
}
