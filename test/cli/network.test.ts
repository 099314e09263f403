// `tsdocker network …` and the real docker CLI 28 side by side against one
// Debian dockerd peer: the same commands give the same output, errors and exit
// status (IDs masked; a command that changes state runs once per CLI on its own
// network). Needs no tsdockerd networking.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it as plainIt } from 'vitest';
import { busyboxRootfsTar } from '../fixtures/busybox';
import { CLI, cleanupWithContainers, ok, startBusyboxDaemon, type TestDaemon } from '../helpers/daemon';
import { dockerdMissingReason, startDockerd, type Dockerd } from '../helpers/dockerd';
import { itWithDockerd as it, succeeded } from '../helpers/peer';

interface Run { code: number; stdout: string; stderr: string }

let peer: Dockerd | undefined;
const tag = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const name = (n: string) => `tsdn-${tag}-${n}`;

function ours(args: string[], input?: string): Run {
  const r = spawnSync(CLI, args, {
    encoding: 'utf8', input,
    env: { ...process.env, DOCKER_HOST: peer!.host, DOCKER_CONFIG: join(peer!.dir, 'docker-config') },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** docker's output in tsdocker's words, IDs masked. */
function norm(r: Run, names: Array<[string, string]> = []): Run {
  const fix = (s: string) => {
    let out = s.replace(/\bdocker\b/g, 'tsdocker').replace(/[0-9a-f]{64}/g, '<ID>').replace(/\b[0-9a-f]{12}\b/g, '<id>');
    for (const [from, to] of names) out = out.split(from).join(to);
    return out;
  };
  return { code: r.code, stdout: fix(r.stdout), stderr: fix(r.stderr) };
}

/** Both CLIs, the same read-only command. */
function same(args: string[], input?: string): Run {
  const theirs = norm(peer!.docker(args, input === undefined ? undefined : { input }));
  expect(norm(ours(args, input)), args.join(' ')).toEqual(theirs);
  return theirs;
}

/** Both CLIs, a state-changing command: docker's on `a`, ours on `b` (the name masked as X). */
function pair(build: (n: string) => string[], a: string, b: string): Run {
  const theirs = norm(peer!.docker(build(a)), [[a, 'X']]);
  expect(norm(ours(build(b)), [[b, 'X']]), build(b).join(' ')).toEqual(theirs);
  return theirs;
}

beforeAll(async () => {
  if (dockerdMissingReason()) return;
  peer = await startDockerd({ prefix: 'dockerd-net-' });
  succeeded(peer.docker(['import', '-c', 'CMD ["/bin/sh"]', await busyboxRootfsTar(), 'busybox:latest']), 'import');
});

afterAll(async () => {
  if (!peer) return;
  // Networks are bridges on the host: remove every one this file made before stopping dockerd.
  peer.docker(['rm', '-f', name('c1'), name('c2')]);
  const left = peer.docker(['network', 'ls', '-q', '--filter', `name=tsdn-${tag}`]).stdout.split('\n').filter(Boolean);
  if (left.length) peer.docker(['network', 'rm', ...left]);
  await peer.stop();
});

describe('tsdocker network against dockerd, beside the docker CLI', () => {
  it('creates, lists, inspects and removes networks as docker does', () => {
    expect(pair((n) => ['network', 'create', n], name('a1'), name('b1')).code).toBe(0);
    const full = (n: string) => {
      const k = n === name('a2') ? 0 : 1;
      return ['network', 'create', '--subnet', `10.213.${k}.0/24`, '--gateway', `10.213.${k}.1`, '--ip-range', `10.213.${k}.128/25`, '--internal', '--label', 'x=1',
        '-o', `com.docker.network.bridge.name=tsdn${tag.slice(0, 6)}${k}`, '--attachable', n];
    };
    expect(pair(full, name('a2'), name('b2')).code).toBe(0);
    same(['network', 'ls']);
    same(['network', 'ls', '--no-trunc']);
    same(['network', 'ls', '-q']);
    same(['network', 'ls', '--filter', `name=tsdn-${tag}`, '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}} {{.IPv6}} {{.Labels}} {{.CreatedAt}}']);
    same(['network', 'ls', '--filter', 'label=x=1', '--format', 'json']);
    same(['network', 'ls', '--filter', 'driver=null', '--format', 'table {{.ID}}\t{{.Name}}']);
    same(['network', 'ls', '-f', 'bogus=1']);
    same(['network', 'ls', 'extra']);
    same(['network', 'inspect', name('a1'), name('b2')]);
    same(['network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Internal}} {{json .Labels}}', name('a2'), 'host']);
    same(['network', 'inspect', name('a1'), `${name('nope')}`]);
    same(['network', 'inspect']);
    same(['network', 'create', name('a1')]);
    same(['network', 'create']);
    same(['network', 'create', '--gateway', '10.1.1.1', name('z')]);
    same(['network', 'create', '--subnet', 'bogus', name('z')]);
    same(['network', 'rm', name('nope')]);
    same(['network', 'rm', '-f', name('nope')]);
    same(['network', 'rm']);
    pair((n) => ['network', 'rm', n, name('nope')], name('a1'), name('b1'));
  });

  it('connects and disconnects containers as docker does', () => {
    for (const [n, c] of [[name('a3'), name('c1')], [name('b3'), name('c2')]] as const) {
      succeeded(peer!.docker(['network', 'create', n]), 'create');
      succeeded(peer!.docker(['create', '--name', c, '--network', 'none', 'busybox']), 'container');
    }
    same(['network', 'connect', name('a3'), name('c1')]);
    same(['network', 'connect', name('a3'), name('nope')]);
    same(['network', 'connect', name('a3')]);
    same(['network', 'disconnect', name('a3'), name('c1')]);
    succeeded(peer!.docker(['network', 'disconnect', 'none', name('c1')]), 'disconnect none');
    succeeded(peer!.docker(['network', 'disconnect', 'none', name('c2')]), 'disconnect none');
    const connect = (c: string) => ['network', 'connect', '--alias', 'web', '--ip', '10.250.0.9', name('a3'), c];
    const theirs = norm(peer!.docker(connect(name('c1'))));
    expect(norm(ours(connect(name('c2'))))).toEqual(theirs);
    same(['network', 'ls', '-q']);
    const disc = (c: string) => ['network', 'disconnect', '-f', name('a3'), c];
    expect(norm(ours(disc(name('c2'))))).toEqual(norm(peer!.docker(disc(name('c1')))));
  });

  it('prunes as docker does', () => {
    for (const n of [name('p1'), name('p2')]) succeeded(peer!.docker(['network', 'create', '--label', `p=${n}`, n]), 'create');
    same(['network', 'prune', '--filter', `label=p=${name('p1')}`], 'n\n');
    pair((n) => ['network', 'prune', '-f', '--filter', `label=p=${n}`], name('p1'), name('p2'));
    same(['network', 'prune', 'x']);
  });
});

describe('tsdocker network against tsdockerd, beside the docker CLI', () => {
  let d: TestDaemon | undefined;
  beforeAll(async () => {
    d = await startBusyboxDaemon();
  });
  afterAll(async () => {
    await cleanupWithContainers(d);
  });

  /** Both CLIs against tsdockerd, the same command. */
  function both(args: string[], input?: string): Run {
    const theirs = norm(d!.docker(args, input === undefined ? undefined : { input }));
    expect(norm(d!.cli(args, input === undefined ? undefined : { input })), args.join(' ')).toEqual(theirs);
    return theirs;
  }

  plainIt('shows the same networks, errors and changes', () => {
    const n = (x: string) => `tsdn-${tag}-${x}`;
    expect(norm(d!.cli(['network', 'create', '--label', 'k=v', n('t1')])).stdout).toBe('<ID>\n');
    expect(norm(d!.docker(['network', 'create', '--internal', n('t2')])).stdout).toBe('<ID>\n');
    both(['network', 'ls']);
    both(['network', 'ls', '--no-trunc', '--format', '{{.ID}} {{.Name}} {{.Driver}} {{.Scope}} {{.Internal}} {{.IPv6}} {{.Labels}}']);
    both(['network', 'ls', '--filter', 'label=k=v', '-q']);
    both(['network', 'ls', '--format', 'json']);
    both(['network', 'inspect', n('t1'), 'bridge', 'host', 'none']);
    both(['network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Internal}} {{json .Labels}} {{range .IPAM.Config}}{{.Subnet}}{{end}}', n('t2')]);
    both(['network', 'inspect', n('nope')]);
    both(['network', 'create', n('t1')]);
    both(['network', 'rm', n('nope')]);
    ok(d!.docker(['create', '--name', n('c'), '--network', n('t1'), 'busybox']));
    both(['network', 'connect', n('t2'), n('nope')]);
    expect(d!.cli(['network', 'connect', '--alias', 'al', n('t2'), n('c')]).code).toBe(0);
    const nets = JSON.parse(both(['container', 'inspect', '-f', '{{json .NetworkSettings.Networks}}', n('c')]).stdout) as Record<string, { Aliases: string[] | null }>;
    expect(nets[n('t2')]!.Aliases).toEqual(['al']);
    expect(d!.cli(['network', 'disconnect', n('t2'), n('c')]).code).toBe(0);
    both(['network', 'disconnect', n('t2'), n('c')]);
    ok(d!.docker(['rm', n('c')]));
    expect(d!.cli(['network', 'rm', n('t1'), n('t2')])).toMatchObject({ code: 0, stdout: `${n('t1')}\n${n('t2')}\n` });
    both(['network', 'prune', '-f']);
  });
});
