// `Mounts` of a container as inspect, GET /containers/json and `docker ps
// --format '{{.Mounts}}'` show it, next to Debian's dockerd: every bind and
// --mount tmpfs with Type, Source, Destination, Mode, RW and Propagation.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { busyboxRootfsTar } from '../fixtures/busybox';
import { cleanupWithContainers, httpRequest, ok, startBusyboxDaemon, type TestDaemon } from '../helpers/daemon';
import { dockerdMissingReason, startDockerd, type Dockerd } from '../helpers/dockerd';
import { itWithDockerd, succeeded } from '../helpers/peer';

const host = mkdtempSync(join(tmpdir(), 'tsd-mounts-'));
const [a, b, c] = ['a', 'b', 'c'].map((n) => join(host, n));
for (const dir of [a, b, c]) mkdirSync(dir!);

/** Every kind of mount inspect lists, and --tmpfs, which dockerd leaves out. */
const RUN_ARGS = [
  '-v', `${a}:/x`,
  '-v', `${b}:/y:ro`,
  '-v', `${a}:/z:ro,rslave`,
  '--mount', `type=bind,source=${c},target=/m,readonly,bind-propagation=rshared`,
  '--mount', `type=bind,source=${c},target=/n`,
  '--tmpfs', '/t',
  '--mount', 'type=tmpfs,target=/u,tmpfs-size=1m',
  '--mount', 'type=tmpfs,target=/w,readonly',
];

let d: TestDaemon | undefined;
let peer: Dockerd | undefined;

beforeAll(async () => {
  d = await startBusyboxDaemon();
  if (dockerdMissingReason()) return;
  peer = await startDockerd({ prefix: 'dockerd-mounts-' });
  succeeded(peer.docker(['import', '-c', 'CMD ["sh"]', await busyboxRootfsTar(), 'busybox:latest']), 'dockerd import');
}, 120_000);

afterAll(async () => {
  await cleanupWithContainers(d);
  await peer?.stop();
  rmSync(host, { recursive: true, force: true });
});

interface Point {
  Destination: string;
}
const byDestination = <T extends Point>(m: T[]): T[] => [...m].sort((x, y) => (x.Destination < y.Destination ? -1 : 1));

async function listed(socket: string, name: string): Promise<Point[]> {
  const r = await httpRequest(socket, 'GET', `/v1.41/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ name: [name] }))}`);
  expect(r.status).toBe(200);
  const [c] = JSON.parse(r.body) as Array<{ Mounts: Point[] }>;
  return byDestination(c!.Mounts);
}

async function inspected(socket: string, name: string): Promise<Point[]> {
  const r = await httpRequest(socket, 'GET', `/v1.41/containers/${name}/json`);
  expect(r.status).toBe(200);
  return byDestination((JSON.parse(r.body) as { Mounts: Point[] }).Mounts);
}

/** ps's MOUNTS cell, its items sorted (dockerd lists them in Go map order). */
const psMounts = (stdout: string): string => stdout.trim().split(',').sort().join(',');

describe('Mounts', () => {
  const bind = (Source: string, Destination: string, Mode: string, RW: boolean, Propagation: string) => ({ Type: 'bind', Source, Destination, Mode, RW, Propagation });
  const tmpfs = (Destination: string, RW: boolean) => ({ Type: 'tmpfs', Source: '', Destination, Mode: '', RW, Propagation: '' });
  const EXPECTED = [
    bind(c!, '/m', '', false, 'rshared'),
    bind(c!, '/n', '', true, 'rprivate'),
    tmpfs('/u', true),
    tmpfs('/w', false),
    bind(a!, '/x', '', true, 'rprivate'),
    bind(b!, '/y', 'ro', false, 'rprivate'),
    bind(a!, '/z', 'ro,rslave', false, 'rslave'),
  ];

  itWithDockerd('inspect and GET /containers/json list every bind and --mount as dockerd does', async () => {
    ok(d!.docker(['create', '--name', 'mnt', '--network', 'none', ...RUN_ARGS, 'busybox', 'sleep', '600']));
    succeeded(peer!.docker(['create', '--name', 'mnt', '--network', 'none', ...RUN_ARGS, 'busybox', 'sleep', '600']), 'dockerd create');
    expect(await inspected(d!.socket, 'mnt')).toEqual(EXPECTED);
    expect(await inspected(d!.socket, 'mnt')).toEqual(await inspected(peer!.socket, 'mnt'));
    expect(await listed(d!.socket, 'mnt')).toEqual(EXPECTED);
    expect(await listed(d!.socket, 'mnt')).toEqual(await listed(peer!.socket, 'mnt'));
  });

  itWithDockerd("ps --format '{{.Mounts}}' shows the sources as docker's does", () => {
    for (const trunc of [[], ['--no-trunc']]) {
      const args = ['ps', '-a', '--filter', 'name=mnt', ...trunc, '--format', '{{.Mounts}}'];
      const theirs = psMounts(succeeded(peer!.docker(args), 'dockerd ps'));
      expect(psMounts(ok(d!.docker(args)))).toBe(theirs);
      expect(psMounts(ok(d!.cli(args)))).toBe(theirs);
    }
  });

  itWithDockerd('ps --filter volume= matches a mount destination or source as dockerd does', () => {
    const names = (run: (args: string[]) => { code: number; stdout: string; stderr: string }, value: string) =>
      succeeded(run(['ps', '-a', '--filter', `volume=${value}`, '--format', '{{.Names}}']), `ps --filter volume=${value}`).split('\n').filter(Boolean).sort();
    for (const value of ['/x', '/u', c!, '/t', '/nowhere', a!.slice(0, -1)]) {
      const theirs = names((args) => peer!.docker(args), value);
      expect(names((args) => d!.docker(args), value), value).toEqual(theirs);
    }
    expect(names((args) => d!.docker(args), '/m')).toEqual(['mnt']);
    expect(names((args) => d!.docker(args), '/t')).toEqual([]);
  });

  itWithDockerd('a running container lists its mounts the same', async () => {
    const args = ['run', '-d', '--name', 'mntrun', '--network', 'none', '-v', `${a}:/x:ro`, '--mount', 'type=tmpfs,target=/u', '--tmpfs', '/t', 'busybox', 'sleep', '600'];
    ok(d!.docker(args));
    succeeded(peer!.docker(args), 'dockerd run');
    expect(await inspected(d!.socket, 'mntrun')).toEqual([tmpfs('/u', true), bind(a!, '/x', 'ro', false, 'rprivate')]);
    expect(await inspected(d!.socket, 'mntrun')).toEqual(await inspected(peer!.socket, 'mntrun'));
    peer!.docker(['rm', '-f', 'mntrun']);
  });
});
