import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS, readConfigFile, resolveConfig } from '../../src/daemon/config';
import { checkHosts, parseHost } from '../../src/daemon/listeners';

const dir = mkdtempSync(join(tmpdir(), 'tsd-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(json: string): string {
  const p = join(dir, `${Math.random()}.json`);
  writeFileSync(p, json);
  return p;
}

describe('daemon configuration', () => {
  it('uses defaults when the file is missing (unless it was asked for)', () => {
    expect(readConfigFile(join(dir, 'none.json'), false)).toEqual({});
    expect(() => readConfigFile(join(dir, 'none.json'), true)).toThrow(/ENOENT|no such file/);
    expect(resolveConfig({}, {}).hosts).toEqual(DEFAULTS.hosts);
  });
  it('maps daemon.json keys and lets flags win', () => {
    const f = readConfigFile(file('{"data-root": "/from/file", "log-level": "warn", "labels": ["a=b"]}'), true);
    const c = resolveConfig({ dataRoot: '/from/flag' }, f);
    expect(c.dataRoot).toBe('/from/flag');
    expect(c.logLevel).toBe('warn');
    expect(c.labels).toEqual(['a=b']);
  });
  it('refuses unknown keys, wrong types and bad JSON with dockerd-style messages', () => {
    expect(() => readConfigFile(file('{"nope": 1, "data-root": "/x"}'), true)).toThrow(
      /the following directives don't match any configuration option: nope/,
    );
    expect(() => readConfigFile(file('{"debug": "yes"}'), true)).toThrow(/invalid value for "debug"/);
    expect(() => readConfigFile(file('{'), true)).toThrow(/unable to configure the daemon/);
    expect(() => resolveConfig({ logLevel: 'loud' as never }, {})).toThrow(/unable to parse logging level/);
  });
  it('-D implies debug logging unless a level is given', () => {
    expect(resolveConfig({ debug: true }, {}).logLevel).toBe('debug');
    expect(resolveConfig({ debug: true, logLevel: 'error' }, {}).logLevel).toBe('error');
  });
  it('parses -H hosts like dockerd', () => {
    expect(parseHost('unix:///run/x.sock')).toEqual({ kind: 'unix', path: '/run/x.sock' });
    expect(parseHost('tcp://127.0.0.1:2376')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 2376 });
    expect(parseHost('tcp://127.0.0.1')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 2375 });
    expect(() => parseHost('fd://')).toThrow(/invalid bind address format/);
    expect(() => parseHost('unix://relative')).toThrow(/invalid unix socket path/);
  });
  it('reads the TLS keys of daemon.json; "tlsverify": false is off, not "set" (moby#27105); "tls" alone verifies', () => {
    const off = resolveConfig({}, readConfigFile(file('{"tlsverify": false}'), true));
    expect([off.tls, off.tlsVerify]).toEqual([false, false]);
    const on = resolveConfig({}, readConfigFile(file('{"tlsverify": true, "tlscacert": "/ca.pem", "tlscert": "/c.pem", "tlskey": "/k.pem"}'), true));
    expect(on).toMatchObject({ tls: true, tlsVerify: true, tlsCaCert: '/ca.pem', tlsCert: '/c.pem', tlsKey: '/k.pem' });
    // As dockerd (TLSVerify defaults to TLS): "tls" alone requires client certificates, by the file or the flag.
    expect(resolveConfig({}, readConfigFile(file('{"tls": true}'), true))).toMatchObject({ tls: true, tlsVerify: true });
    expect(resolveConfig({ tls: true }, {})).toMatchObject({ tls: true, tlsVerify: true });
    expect(resolveConfig({}, readConfigFile(file('{"tls": true, "tlsverify": false}'), true))).toMatchObject({ tls: true, tlsVerify: false });
    expect(resolveConfig({ tls: true, tlsVerify: false }, {})).toMatchObject({ tls: true, tlsVerify: false });
    expect(() => readConfigFile(file('{"tlsverify": "yes"}'), true)).toThrow(/invalid value for "tlsverify"/);
  });
  it('serves plain TCP on loopback only (no address is bound by this check)', async () => {
    for (const ok of ['unix:///run/x.sock', 'tcp://127.0.0.1:2375', 'tcp://127.8.9.10:1', 'tcp://[::1]:2375', 'tcp://[::ffff:127.0.0.1]:2375', 'tcp://localhost:2375']) {
      await expect(checkHosts([ok], false), ok).resolves.toBeUndefined();
    }
    for (const open of ['tcp://0.0.0.0:2375', 'tcp://:2375', 'tcp://[::]:2375', 'tcp://10.1.2.3:2375', 'tcp://192.0.2.10:2375', 'tcp://[fe80::1]:2375']) {
      await expect(checkHosts(['unix:///run/x.sock', open], false), open).rejects.toThrow(`refusing to listen on ${open}: binding to IP address without --tlsverify is insecure`);
      // Clients must show a certificate from the CA: any address may be served.
      await expect(checkHosts(['unix:///run/x.sock', open], true), open).resolves.toBeUndefined();
    }
    await expect(checkHosts(['fd://'], false)).rejects.toThrow(/invalid bind address format/);
    await expect(checkHosts(['fd://'], true)).rejects.toThrow(/invalid bind address format/);
  });
});
