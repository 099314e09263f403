// The distribution client's pure parts: which scheme a registry is spoken to
// with, platform choice in a manifest list, the 401 challenge, the header the
// docker CLI sends, and dockerd's progress bar string.
import { describe, expect, it } from 'vitest';
import { progressString } from '../../src/api/units';
import { challengeOf, tokenFrom } from '../../src/registry/auth';
import { RegistryClient, registryAuthOf } from '../../src/registry/client';
import { Endpoints } from '../../src/registry/endpoint';
import { parsePlatform, selectManifest } from '../../src/registry/platform';
import type { Descriptor } from '../../src/registry/types';

describe('registry endpoints', () => {
  const endpoints = new Endpoints({ insecureRegistries: ['myreg:5000', '10.1.0.0/16'], certsDir: '/nonexistent' });
  it("127.0.0.0/8, localhost, listed hosts and CIDRs try HTTPS unverified then plain HTTP; everything else (::1 too, as dockerd) verified HTTPS; Docker Hub is registry-1.docker.io", () => {
    for (const host of ['127.0.0.1:5000', 'localhost:5000', 'myreg:5000', '10.1.2.3:443']) expect(endpoints.schemesFor(host), host).toEqual(['https', 'http']);
    for (const host of ['10.2.0.1', 'quay.io', '[::1]:5000']) expect(endpoints.schemesFor(host), host).toEqual(['https']);
    endpoints.answered('127.0.0.1:5000', 'http');
    expect(endpoints.schemesFor('127.0.0.1:5000')).toEqual(['http']);
    const client = new RegistryClient({ insecureRegistries: [], mirrors: [], certsDir: '/nonexistent' });
    expect(client.endpoint('quay.io')).toBe('https://quay.io');
    expect(client.endpoint('docker.io')).toBe('https://registry-1.docker.io');
    expect(new RegistryClient({ insecureRegistries: [], mirrors: ['http://127.0.0.1:9/'], certsDir: '/nonexistent' }).endpoint('docker.io')).toBe('http://127.0.0.1:9');
  });
});

describe('platforms', () => {
  const entry = (architecture: string, variant?: string): Descriptor => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${architecture.padEnd(64, '0').slice(0, 64).replace(/[^0-9a-f]/g, 'a')}`,
    size: 1,
    platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) },
  });
  const list = [entry('arm', 'v7'), entry('arm64', 'v8'), entry('amd64')];
  it('picks os/architecture/variant; arm64 means v8; an absent platform is an error in dockerd words', () => {
    expect(selectManifest(list, parsePlatform('linux/amd64'))).toBe(list[2]);
    expect(selectManifest(list, parsePlatform('linux/arm64'))).toBe(list[1]);
    expect(selectManifest(list, parsePlatform('linux/arm/v7'))).toBe(list[0]);
    expect(() => selectManifest(list, parsePlatform('linux/arm/v6'))).toThrow('no matching manifest for linux/arm/v6 in the manifest list entries');
    expect(() => parsePlatform('linux/amd64/x/y')).toThrow('unknown operating system or architecture');
  });
});

describe('auth', () => {
  it('reads Bearer and Basic challenges, token answers, and X-Registry-Auth', () => {
    expect(challengeOf('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull' },
    });
    expect(challengeOf('Basic realm="test"')).toEqual({ scheme: 'basic', params: { realm: 'test' } });
    expect(challengeOf('Negotiate')).toBeUndefined();
    expect(tokenFrom('{"access_token":"t","expires_in":300}').token).toBe('t');
    expect(() => tokenFrom('{}')).toThrow('no token');
    const header = Buffer.from(JSON.stringify({ username: 'u', password: 'p', serveraddress: 'r' })).toString('base64url');
    expect(registryAuthOf(header)).toEqual({ username: 'u', password: 'p' });
    expect(registryAuthOf('e30=')).toEqual({});
    expect(registryAuthOf('%%%')).toBeUndefined();
  });
});

describe('progress', () => {
  it("is jsonmessage's bar and counts", () => {
    expect(progressString(1_200_000, 2_400_000)).toBe(`[${'='.repeat(25)}>${' '.repeat(25)}]    1.2MB/2.4MB`);
    expect(progressString(0, 0)).toBe('');
  });
});
