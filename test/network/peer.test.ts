// tsdockerd's network answers beside Debian's dockerd (20.10, API 1.41) for
// the same docker CLI commands: a user network's inspect (the same fields but
// EnableIPv4, which API 1.47 added; the same IPAM, options and labels), list
// filters, and the errors of create, rm and inspect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupWithContainers, ok, type TestDaemon } from '../helpers/daemon';
import { dockerdMissingReason, startDockerd, type Dockerd } from '../helpers/dockerd';
import { startNetDaemon } from './helpers';

const missing = dockerdMissingReason();
if (missing) console.warn(`skipped: ${missing}`);

describe.skipIf(missing !== undefined)('networks beside dockerd', () => {
  let d: TestDaemon;
  let peer: Dockerd;
  beforeAll(async () => {
    [d, peer] = await Promise.all([startNetDaemon(), startDockerd({ prefix: 'dockerd-netpeer-' })]);
  }, 120_000);
  afterAll(async () => {
    peer?.docker(['network', 'rm', 'cmpnet']);
    await peer?.stop();
    await cleanupWithContainers(d);
  });
  const both = (args: string[]) => ({ ours: d.docker(args), theirs: peer.docker(args) });

  it('inspects a user network with the same fields, IPAM, options and labels', () => {
    const args = ['network', 'create', '--subnet', '10.237.3.0/24', '--gateway', '10.237.3.1', '--label', 'a=b', '-o', 'com.docker.network.bridge.enable_icc=true', 'cmpnet'];
    ok(d.docker(args));
    ok(peer.docker(args));
    const [ours] = JSON.parse(ok(d.docker(['network', 'inspect', 'cmpnet']))) as Array<Record<string, unknown>>;
    const [theirs] = JSON.parse(peer.docker(['network', 'inspect', 'cmpnet']).stdout) as Array<Record<string, unknown>>;
    expect(Object.keys(ours!).filter((k) => k !== 'EnableIPv4')).toEqual(Object.keys(theirs!));
    for (const k of ['Name', 'Scope', 'Driver', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable', 'Ingress', 'ConfigFrom', 'ConfigOnly', 'Containers', 'Options', 'Labels']) {
      expect({ [k]: ours![k] }).toEqual({ [k]: theirs![k] });
    }
  });

  it('lists with the same filters', () => {
    for (const filter of ['type=custom', 'name=cmp', 'label=a=b', 'driver=host', 'type=builtin']) {
      const r = both(['network', 'ls', '--filter', filter, '--format', '{{.Name}} {{.Driver}} {{.Scope}}']);
      const names = (out: string) => out.trim().split('\n').filter((l) => !l.startsWith('bridge ')).sort();
      expect({ filter, out: names(r.ours.stdout) }).toEqual({ filter, out: names(r.theirs.stdout) });
    }
    // dockerd 28 (whose answers tsdocker gives) writes "invalid filter", 20.10 "Invalid filter".
    const bad = both(['network', 'ls', '--filter', 'color=red']);
    expect({ ...bad.ours, stderr: bad.ours.stderr.toLowerCase() }).toEqual({ ...bad.theirs, stderr: bad.theirs.stderr.toLowerCase() });
  });

  it('refuses as dockerd does', () => {
    for (const args of [['network', 'create', 'cmpnet'], ['network', 'rm', 'host'], ['network', 'inspect', 'nosuchnet'], ['network', 'rm', 'nosuchnet']]) {
      const r = both(args);
      expect({ args, code: r.ours.code, stderr: r.ours.stderr }).toEqual({ args, code: r.theirs.code, stderr: r.theirs.stderr });
    }
  });
});
