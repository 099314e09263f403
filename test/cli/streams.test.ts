// The byte-level pieces of attach/exec/logs: Docker's 8-byte stream frames,
// the detach key sequence, docker's ps formatting helpers and inspect's JSON
// indentation.
import { describe, expect, it } from 'vitest';
import { displayablePorts, filterArgs } from '../../src/cli/commands/containers-list';
import { indentJson } from '../../src/cli/commands/containers-ops';
import { startErrorStatus } from '../../src/cli/commands/containers-run';
import { StdDemuxer, StreamError } from '../../src/cli/stdcopy';
import { DetachDetector, parseDetachKeys } from '../../src/cli/tty';

const frame = (stream: number, payload: string) => {
  const body = Buffer.from(payload);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
};

describe('stdcopy demultiplexer', () => {
  it('splits frames to stdout and stderr, whatever the chunking', () => {
    const stream = Buffer.concat([frame(1, 'out1\n'), frame(2, 'err\n'), frame(0, ''), frame(1, 'out2 ' + 'x'.repeat(70_000))]);
    for (const size of [1, 3, 7, 8, 9, 4096, stream.length]) {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const demux = new StdDemuxer((b) => out.push(Buffer.from(b)), (b) => err.push(Buffer.from(b)));
      for (let i = 0; i < stream.length; i += size) demux.push(stream.subarray(i, i + size));
      expect(Buffer.concat(out).toString()).toBe('out1\nout2 ' + 'x'.repeat(70_000));
      expect(Buffer.concat(err).toString()).toBe('err\n');
    }
  });
  it('raises the daemon\'s system-error frame', () => {
    const demux = new StdDemuxer(() => {}, () => {});
    const f = frame(3, 'exec failed');
    demux.push(f.subarray(0, 10));
    expect(() => demux.push(f.subarray(10))).toThrow(new StreamError('exec failed'));
  });
});

describe('detach keys', () => {
  it('parses moby/term key specs', () => {
    expect([...parseDetachKeys('ctrl-p,ctrl-q')]).toEqual([16, 17]);
    expect([...parseDetachKeys('ctrl-x,y')]).toEqual([24, 121]);
    expect([...parseDetachKeys('ctrl-@,ctrl-_,DEL,a')]).toEqual([0, 31, 127, 97]);
    expect(() => parseDetachKeys('ctrl-xx')).toThrow("Unknown character: 'ctrl-xx'");
  });
  it('holds back a partial sequence and releases it when broken', () => {
    const d = new DetachDetector(Buffer.from([16, 17]));
    expect(d.feed(Buffer.from('ab\x10'))).toEqual({ forward: Buffer.from('ab'), detach: false });
    expect(d.feed(Buffer.from('c'))).toEqual({ forward: Buffer.from('\x10c'), detach: false });
    expect(d.feed(Buffer.from('\x10\x10'))).toEqual({ forward: Buffer.from('\x10'), detach: false });
    expect(d.feed(Buffer.from('\x11rest'))).toEqual({ forward: Buffer.from(''), detach: true });
  });
});

describe('docker formatting helpers', () => {
  it('groups ports as DisplayablePorts', () => {
    expect(
      displayablePorts([
        { PrivatePort: 81, Type: 'tcp' },
        { PrivatePort: 80, Type: 'tcp' },
        { IP: '0.0.0.0', PrivatePort: 443, PublicPort: 8443, Type: 'tcp' },
        { IP: '::', PrivatePort: 443, PublicPort: 8443, Type: 'tcp' },
        { IP: '127.0.0.1', PrivatePort: 53, PublicPort: 53, Type: 'udp' },
      ]),
    ).toBe('127.0.0.1:53->53/udp, 80-81/tcp, 0.0.0.0:8443->443/tcp, [::]:8443->443/tcp');
  });
  it('writes filters as docker\'s JSON', () => {
    expect(filterArgs(['name=b', 'label=x=1', 'name=a'])).toBe('{"label":{"x=1":true},"name":{"a":true,"b":true}}');
    expect(filterArgs([])).toBeUndefined();
  });
  it('indents the daemon\'s JSON as Go\'s json.Indent, escapes kept', () => {
    expect(indentJson('[{"a":[],"b":{},"c":"x\\u003c\\"y","d":[1,{"e":null}]}]')).toBe(
      '[\n    {\n        "a": [],\n        "b": {},\n        "c": "x\\u003c\\"y",\n        "d": [\n            1,\n            {\n                "e": null\n            }\n        ]\n    }\n]',
    );
  });
  it('maps start errors to docker\'s exit statuses', () => {
    expect(startErrorStatus('Error response from daemon: exec: "x": executable file not found in $PATH')).toBe(127);
    expect(startErrorStatus('exec: "/etc": permission denied: unknown')).toBe(126);
    expect(startErrorStatus('No such image: x')).toBe(125);
  });
});
