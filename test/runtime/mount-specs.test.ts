// The -v and --mount parser (src/runtime/mount-specs.ts) for volumes: named,
// anonymous, modes, drivers, and Docker's refusals.
import { describe, expect, it } from 'vitest';
import { parseBind, parseMount, userMounts } from '../../src/runtime/mount-specs';
import { parseVolumesFrom } from '../../src/volume/container-mounts';

describe('volume specs', () => {
  it('reads named and anonymous -v volumes with their modes and the --volume-driver', () => {
    expect(parseBind('data:/d:ro,nocopy', 'plug')).toEqual({
      kind: 'volume', name: 'data', destination: '/d', readOnly: true, mode: 'ro,nocopy', copyData: false, driver: 'plug', driverOpts: {}, labels: {},
    });
    expect(parseBind('/anon/')).toMatchObject({ kind: 'volume', name: '', destination: '/anon', readOnly: false, copyData: true });
    expect(parseBind('/host:/d:rslave')).toMatchObject({ kind: 'bind', source: '/host', propagation: 'rslave' });
  });

  it("refuses bad specs with Docker's messages", () => {
    expect(() => parseBind('data:/d:rshared')).toThrow(`invalid volume specification: 'data:/d:rshared': invalid mount config for type "volume": field BindOptions must not be specified`);
    expect(() => parseBind('/d:ro')).toThrow(`invalid volume specification: '/d:ro'`);
    expect(() => parseBind('data:/d:bogus')).toThrow('invalid mode: bogus');
    expect(() => parseBind('data:rel')).toThrow(`invalid volume specification: 'data:rel': invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute`);
    expect(() => parseMount({ Type: 'volume', Target: '/x', ReadOnly: true })).toThrow('must not set ReadOnly mode when using anonymous volumes');
    expect(() => parseMount({ Type: 'volume', Target: '/x', Source: 'v', BindOptions: {} })).toThrow('field BindOptions must not be specified');
    expect(() => userMounts({ Volumes: null }, { Binds: ['a:/d', 'b:/d'] })).toThrow('Duplicate mount point: /d');
  });

  it('reads --mount type=volume with driver, options, labels and nocopy', () => {
    expect(parseMount({ Type: 'volume', Target: '/m/', Source: 'v', VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Name: 'plug', Options: { o: '1' } } } })).toEqual({
      kind: 'volume', name: 'v', destination: '/m', readOnly: false, mode: '', copyData: false, driver: 'plug', driverOpts: { o: '1' }, labels: { a: 'b' },
    });
  });

  it('reads --volumes-from as dockerd: rw by default, no propagation or copy modes', () => {
    expect(parseVolumesFrom('c1')).toEqual({ ref: 'c1', mode: 'rw' });
    expect(parseVolumesFrom('c1:ro')).toEqual({ ref: 'c1', mode: 'ro' });
    expect(() => parseVolumesFrom('c1:rshared')).toThrow('invalid mode: rshared');
    expect(() => parseVolumesFrom('c1:nocopy')).toThrow('invalid mode: nocopy');
    expect(() => parseVolumesFrom('')).toThrow('volumes-from specification cannot be an empty string');
  });
});
