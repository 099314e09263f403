// Published ports on the CLI and API edges, in docker's words: -p parsing
// errors (captured from docker CLI 28.2.2), `docker port`'s ordering (Go's
// sortorder.NaturalLess), and the bindings dockerd's bridge driver programs
// from ExposedPorts + PortBindings + PublishAllPorts.
import { describe, expect, it } from 'vitest';
import { exposedPorts, portBindings, validatePortBindings } from '../../src/api/ports';
import { naturalCompare } from '../../src/cli/commands/containers-ops';
import { parsePorts } from '../../src/cli/commands/containers-mounts';

describe('-p / --publish', () => {
  it('refuses what docker refuses, with its messages', () => {
    const cases: Array<[string, string]> = [
      ['abc', 'invalid containerPort: abc'],
      ['8080:abc', 'invalid containerPort: abc'],
      ['1.2.3:80:80', 'invalid IP address: 1.2.3'],
      ['8000-8002:80-81', 'invalid ranges specified for container and host Ports: 80-81 and 8000-8002'],
      ['70000:80', 'invalid hostPort: 70000'],
      ['80/foo', 'invalid proto: foo'],
      ['published=8080', 'no port specified: 8080:/tcp<empty>'],
      ['8080:', 'no port specified: 8080:<empty>'],
    ];
    for (const [spec, message] of cases) expect(() => parsePorts([spec], []), spec).toThrow(message);
  });
  it('takes the long form and IPv6 host addresses', () => {
    expect(parsePorts(['target=80,published=8080,protocol=udp', '[::1]:8443:443', '127.0.0.1::81'], []).bindings).toEqual({
      '80/udp': [{ HostIp: '', HostPort: '8080' }],
      '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '443/tcp': [{ HostIp: '::1', HostPort: '8443' }],
    });
  });
});

describe('docker port ordering', () => {
  it('sorts as sortorder.NaturalLess: digits before other bytes, numbers by value', () => {
    const lines = ['80/tcp -> [::]:8080', '443/tcp -> [::1]:8443', '80/tcp -> 0.0.0.0:8080', '9001/tcp -> 0.0.0.0:9001', '53/udp -> 127.0.0.1:5353', '9000/tcp -> 0.0.0.0:9000'];
    expect([...lines].sort(naturalCompare)).toEqual([
      '53/udp -> 127.0.0.1:5353', '80/tcp -> 0.0.0.0:8080', '80/tcp -> [::]:8080', '443/tcp -> [::1]:8443', '9000/tcp -> 0.0.0.0:9000', '9001/tcp -> 0.0.0.0:9001',
    ]);
    expect(['a010', 'a10', 'a9', 'a'].sort(naturalCompare)).toEqual(['a', 'a9', 'a10', 'a010']);
  });
});

describe('HostConfig.PortBindings', () => {
  it('is checked as dockerd 20.10 checks it (400 "invalid port specification")', () => {
    const bad: Array<[Record<string, Array<{ HostIp?: string; HostPort?: string }> | null>, string]> = [
      [{ 'abc/tcp': [{ HostPort: '80' }] }, 'invalid port specification: "abc"'],
      [{ '80/tcp': [{ HostPort: 'abc' }] }, 'invalid port specification: "abc"'],
      [{ '80-90/tcp': [{ HostPort: '80' }] }, 'invalid port specification: "80-90"'],
      [{ '99999/tcp': [{ HostPort: '80' }] }, 'invalid port specification: "99999"'],
      [{ '80/tcp': [{ HostPort: '99999' }] }, 'invalid port specification: "99999"'],
      [{ '80/tcp': [{ HostPort: '-1' }] }, 'invalid port specification: "-1"'],
      [{ '80/tcp': [{ HostPort: '9000-8000' }] }, 'invalid port specification: "9000-8000"'],
      // Beyond dockerd (it fails these at start): refused at create.
      [{ '80/tcp': [{ HostIp: 'notip', HostPort: '80' }] }, 'invalid IP address: notip'],
      [{ '80/foo': [{ HostPort: '80' }] }, 'invalid proto: foo'],
    ];
    for (const [PortBindings, message] of bad) expect(() => validatePortBindings({ PortBindings }), message).toThrow(message);
    const good: Array<Record<string, Array<{ HostIp?: string; HostPort?: string }> | null>> = [{ '80/tcp': [{ HostPort: '8000-8010' }] }, { '80/tcp': null }, { '0/tcp': [{ HostPort: '0' }] }, { '': [{ HostPort: '80' }] }];
    for (const PortBindings of good) {
      expect(() => validatePortBindings({ PortBindings })).not.toThrow();
    }
  });

  it('programs every exposed port in nat.Sort order, its bindings, an ephemeral one under -P', () => {
    const exposed = { '90/tcp': {}, '53/udp': {}, '53/tcp': {}, '8080/tcp': {} };
    const hc = { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '18080' }], '7/udp': [{ HostPort: '7000-7010' }] }, PublishAllPorts: true };
    expect(exposedPorts(exposed, hc)).toEqual(['7/udp', '53/tcp', '53/udp', '90/tcp', '8080/tcp']);
    expect(portBindings(exposed, hc)).toEqual([
      { protocol: 'udp', containerPort: 7, hostIp: '', hostPort: 7000, hostPortEnd: 7010 },
      { protocol: 'tcp', containerPort: 53, hostIp: '', hostPort: 0 },
      { protocol: 'udp', containerPort: 53, hostIp: '', hostPort: 0 },
      { protocol: 'tcp', containerPort: 90, hostIp: '', hostPort: 0 },
      { protocol: 'tcp', containerPort: 8080, hostIp: '127.0.0.1', hostPort: 18080 },
    ]);
    expect(portBindings(exposed, { ...hc, PublishAllPorts: false })).toHaveLength(2);
  });
});
