import { describe, expect, it } from 'vitest';
import { API_VERSION, MIN_API_VERSION, compareVersions } from '../../src/api/version';
import { checkVersion, shapeForVersion, splitVersion } from '../../src/daemon/versioning';

describe('API versions', () => {
  it('compares numerically, not as strings', () => {
    expect(compareVersions('1.9', '1.10')).toBe(-1);
    expect(compareVersions('1.41', '1.41')).toBe(0);
    expect(compareVersions('1.50', '1.41')).toBe(1);
  });
  it('splits the /vX.Y prefix off any path', () => {
    expect(splitVersion('/v1.41/containers/json?all=1')).toEqual({ version: '1.41', url: '/containers/json?all=1' });
    expect(splitVersion('/v1.41')).toEqual({ version: '1.41', url: '/' });
    expect(splitVersion('/version')).toEqual({ version: undefined, url: '/version' });
    expect(splitVersion('/volumes/v1.2')).toEqual({ version: undefined, url: '/volumes/v1.2' });
  });
  it('answers versions out of range with Docker messages', () => {
    expect(() => checkVersion('1.99')).toThrow(`client version 1.99 is too new. Maximum supported API version is ${API_VERSION}`);
    expect(() => checkVersion('1.10')).toThrow(
      `client version 1.10 is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
    expect(() => checkVersion(MIN_API_VERSION)).not.toThrow();
    expect(() => checkVersion('1.41.0')).not.toThrow();
    // Not taken for 1.41: a part beyond int64 is refused.
    expect(() => checkVersion('1.41.999999999999999999999')).toThrow(
      'invalid API version 1.41.999999999999999999999: strconv.Atoi: parsing "999999999999999999999": value out of range',
    );
    expect(() => checkVersion(API_VERSION)).not.toThrow();
  });
  it('drops fields newer than the version asked, in one place', () => {
    expect(shapeForVersion('SystemInfo', '1.41', { CDISpecDirs: [], NCPU: 2 })).toEqual({ NCPU: 2 });
    expect(shapeForVersion('SystemInfo', '1.44', { CDISpecDirs: [], NCPU: 2 })).toEqual({ CDISpecDirs: [], NCPU: 2 });
  });
  it('drops fields removed from the API for the versions after their removal', () => {
    const inspect = () => ({ Id: 'x', Container: 'c', ContainerConfig: {}, VirtualSize: 5, Size: 5 });
    expect(shapeForVersion('ImageInspect', '1.43', inspect())).toEqual(inspect());
    expect(shapeForVersion('ImageInspect', '1.44', inspect())).toEqual({ Id: 'x', Container: 'c', ContainerConfig: {}, Size: 5 });
    expect(shapeForVersion('ImageInspect', '1.45', inspect())).toEqual({ Id: 'x', Size: 5 });
    expect(shapeForVersion('ImageInspect', API_VERSION, inspect())).toEqual({ Id: 'x', Size: 5 });
  });
});
