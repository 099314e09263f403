import { describe, expect, test } from 'vitest';
import {
  familiarString,
  parseDockerRef,
  parseImageLookup,
  parseNormalizedNamed,
  referenceString,
  repoTagReference,
} from '../../src/api/reference';

const D = `sha256:${'a'.repeat(64)}`;

describe('normalization', () => {
  test.each([
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['a/b', 'docker.io/a/b:latest', 'a/b:latest'],
    ['docker.io/library/a/b', 'docker.io/library/a/b:latest', 'library/a/b:latest'],
    ['localhost/a', 'localhost/a:latest', 'localhost/a:latest'],
    ['localhost:5000/a/b:tag', 'localhost:5000/a/b:tag', 'localhost:5000/a/b:tag'],
    ['127.0.0.1:5000/tr/bb', '127.0.0.1:5000/tr/bb:latest', '127.0.0.1:5000/tr/bb:latest'],
    ['example.com/x', 'example.com/x:latest', 'example.com/x:latest'],
    ['[::1]:5000/x:y', '[::1]:5000/x:y', '[::1]:5000/x:y'],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`, `busybox@${D}`],
    [`busybox:1@${D}`, `docker.io/library/busybox@${D}`, `busybox@${D}`],
    ['a__b/c-d.e---f', 'docker.io/a__b/c-d.e---f:latest', 'a__b/c-d.e---f:latest'],
  ])('%s', (input, full, familiar) => {
    const ref = parseDockerRef(input);
    expect(referenceString(ref)).toBe(full);
    expect(familiarString(ref)).toBe(familiar);
  });
});

describe('errors', () => {
  test.each([
    ['Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
    ['a/Busybox:tag', 'invalid reference format: repository name (a/Busybox) must be lowercase'],
    ['busybox:', 'invalid reference format'],
    ['busy box', 'invalid reference format'],
    ['-x', 'invalid reference format'],
    ['x:-tag', 'invalid reference format'],
    ['a//b', 'invalid reference format'],
    ['', 'invalid reference format'],
    ['a'.repeat(64), `invalid repository name (${'a'.repeat(64)}), cannot specify 64-byte hexadecimal strings`],
    ['x:' + 't'.repeat(129), 'invalid reference format'],
    ['busybox@sha256:abc', 'invalid reference format'],
    [`busybox@sha256:${'a'.repeat(63)}`, 'invalid checksum digest format'],
  ])('%j', (input, message) => {
    expect(() => parseNormalizedNamed(input)).toThrow(message);
    try {
      parseNormalizedNamed(input);
    } catch (err) {
      expect((err as { code: string }).code).toBe('INVALID_ARGUMENT');
    }
  });
  test('name too long', () => {
    expect(() => parseNormalizedNamed(`a/${'b'.repeat(260)}`)).toThrow('repository name must not be more than 255 characters');
  });
});

describe('image IDs and lookups', () => {
  test('full IDs', () => {
    expect(parseImageLookup('f'.repeat(64))).toEqual({ kind: 'id', id: `sha256:${'f'.repeat(64)}` });
    expect(parseImageLookup(`sha256:${'f'.repeat(64)}`)).toEqual({ kind: 'id', id: `sha256:${'f'.repeat(64)}` });
  });
  test('short prefixes are names that may also be IDs', () => {
    const l = parseImageLookup('abc123');
    expect(l.kind).toBe('named');
    expect(l.kind === 'named' && l.idPrefix).toBe('abc123');
    const s = parseImageLookup('sha256:abc1');
    expect(s.kind === 'named' && s.idPrefix).toBe('abc1');
    const n = parseImageLookup('busybox');
    expect(n.kind === 'named' && n.idPrefix).toBeUndefined();
  });
  test('tag endpoint: normalized repo arrives, familiar shown', () => {
    const r = repoTagReference('docker.io/library/bbtr', '1');
    expect(familiarString(r)).toBe('bbtr:1');
    expect(familiarString(repoTagReference('bbtr', ''))).toBe('bbtr:latest');
    expect(() => repoTagReference(`bb@${D}`, '')).toThrow('refusing to create a tag with a digest reference');
    expect(() => repoTagReference('bb', 'bad tag')).toThrow('invalid tag format');
  });
});
