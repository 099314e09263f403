// A container's lifecycle at its edges: a SIGKILL kill returns only once the
// container is dead and recorded so (scripts run `docker kill x && docker rm
// x`); an export holds the container's lock while it reads the rootfs; restore
// removes what a crash left that no record owns, and nothing a record owns.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupWithContainers, ok, startBusyboxDaemon, startDaemon, type TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
beforeAll(async () => {
  d = await startBusyboxDaemon();
}, 60_000);
afterAll(() => cleanupWithContainers(d));

const json = <T>(body: string): T => JSON.parse(body) as T;

describe('kill', () => {
  it('returns from a SIGKILL only once inspect says exited (50 times)', async () => {
    const created = await d.request('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none' } });
    const { Id } = json<{ Id: string }>(created.body);
    for (let i = 0; i < 50; i++) {
      expect((await d.request('POST', `/v1.41/containers/${Id}/start`)).status).toBe(204);
      expect((await d.request('POST', `/v1.41/containers/${Id}/kill`)).status).toBe(204);
      const { State } = json<{ State: { Running: boolean; Status: string; ExitCode: number } }>((await d.request('GET', `/v1.41/containers/${Id}/json`)).body);
      expect([i, State.Status, State.Running, State.ExitCode]).toEqual([i, 'exited', false, 137]);
    }
    expect((await d.request('DELETE', `/v1.41/containers/${Id}`)).status).toBe(204);
  });
});

describe('export', () => {
  it("holds the container's lock until its tar is read: a start waits for it", async () => {
    ok(d.docker(['create', '--name', 'exp', '--network', 'none', 'busybox', 'sleep', '1000']));
    // The tar (busybox's 1 MB and more) outgrows the socket buffers: the export cannot finish while nobody reads.
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ socketPath: d.socket, path: '/v1.41/containers/exp/export' }, resolve).on('error', reject);
    });
    res.pause();
    let started = false;
    const start = d.request('POST', '/v1.41/containers/exp/start').then((r) => {
      started = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 700));
    expect(started).toBe(false);
    res.resume();
    await new Promise((r) => res.on('end', r));
    expect((await start).status).toBe(204);
    ok(d.docker(['rm', '-f', 'exp']));
  });
});
