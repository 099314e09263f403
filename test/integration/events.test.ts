// GET /events end to end with the real docker CLI 28.2.2 against a real
// tsdockerd: past events with --since/--until (also after a daemon restart:
// the ring is on disk), a live stream with --filter, filters, --format, and
// Docker's message shape, including image events.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMessage } from '../../src/api/types';
import { busyboxRootfsTar } from '../fixtures/busybox';
import { ok, startDaemon, type TestDaemon } from '../helpers/daemon';

let dir: string;
let d: TestDaemon;
let rootfs: string;
beforeAll(async () => {
  rootfs = await busyboxRootfsTar();
  dir = mkdtempSync(join(tmpdir(), 'tsd-events-'));
  d = await startDaemon({ dir });
  ok(d.docker(['import', '-c', 'CMD ["sh"]', '-c', 'LABEL tier=base', rootfs, 'busybox:latest']));
}, 60_000);
afterAll(async () => {
  if (d) {
    const ids = d.docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
    if (ids.length) d.docker(['rm', '-f', ...ids]);
    await d.cleanup();
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * The docker CLI sends --since/--until durations as whole unix seconds, so, as
 * with dockerd, `--until 0s` covers events up to the start of this second:
 * wait for the next one before asking.
 */
async function nextSecond(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
}

function pastEvents(args: string[] = []): EventMessage[] {
  const out = ok(d.docker(['events', '--since', '5m', '--until', '0s', '--format', '{{json .}}', ...args]));
  return out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as EventMessage);
}

describe('docker events', () => {
  it('lists the past events of a container with --since/--until, in order', async () => {
    const id = ok(d.docker(['run', '-d', '--name', 'ev1', '-l', 'app=web', 'busybox', 'true'])).trim();
    ok(d.docker(['wait', id]));
    ok(d.docker(['rm', id]));
    await nextSecond();
    const mine = pastEvents().filter((e) => e.Actor.ID === id);
    expect(mine.map((e) => e.Action)).toEqual(['create', 'start', 'die', 'destroy']);
    const start = mine[1]!;
    expect(start).toMatchObject({
      Type: 'container',
      scope: 'local',
      status: 'start',
      id,
      from: 'busybox',
      // Labels include the image's, as the container's config merges them.
      Actor: { ID: id, Attributes: { name: 'ev1', image: 'busybox', app: 'web', tier: 'base' } },
    });
    expect(start.time).toBe(Math.floor(start.timeNano / 1e9));
    expect(Math.abs(start.time - Date.now() / 1000)).toBeLessThan(60);
    expect(mine[2]!.Actor.Attributes['exitCode']).toBe('0');
  });

  it('prints docker’s default line format', () => {
    const out = ok(d.docker(['events', '--since', '5m', '--until', '0s', '--filter', 'container=ev1', '--filter', 'event=start']));
    expect(out).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) container start [0-9a-f]{64} \(app=web, image=busybox, name=ev1, tier=base\)\n$/);
  });

  it('filters by type, event, container name, image, label and id prefix', async () => {
    const id = ok(d.docker(['create', '--name', 'ev2', '-l', 'app=db', 'busybox', 'true'])).trim();
    ok(d.docker(['rm', id]));
    await nextSecond();
    const actions = (args: string[]) => pastEvents(args).map((e) => `${e.Type}:${e.Action}:${e.Actor.Attributes['name']}`);
    expect(actions(['--filter', 'container=ev2'])).toEqual(['container:create:ev2', 'container:destroy:ev2']);
    expect(actions(['--filter', `container=${id.slice(0, 8)}`, '--filter', 'event=destroy'])).toEqual(['container:destroy:ev2']);
    expect(actions(['--filter', 'label=app=db'])).toEqual(['container:create:ev2', 'container:destroy:ev2']);
    expect(actions(['--filter', 'label=app', '--filter', 'event=create'])).toEqual(['container:create:ev1', 'container:create:ev2']);
    expect(actions(['--filter', 'type=image'])).toEqual([`image:import:${pastEvents(['--filter', 'type=image'])[0]!.Actor.ID}`]);
    expect(actions(['--filter', 'image=busybox', '--filter', 'event=create'])).toEqual(['container:create:ev1', 'container:create:ev2']);
    // ev1's run: its default bridge endpoint joined at start and left at exit.
    expect(actions(['--filter', 'type=network'])).toEqual(['network:connect:bridge', 'network:disconnect:bridge']);
    expect(actions(['--filter', 'volume=x'])).toEqual([]);
  });

  it('publishes image events like dockerd: the image ID as actor, its labels, name', async () => {
    ok(d.docker(['tag', 'busybox', 'other:1']));
    ok(d.docker(['rmi', 'other:1']));
    await nextSecond();
    const imageId = ok(d.docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).trim();
    const events = pastEvents(['--filter', 'type=image']);
    expect(events.map((e) => e.Action)).toEqual(['import', 'tag', 'untag']);
    for (const e of events) expect(e).toMatchObject({ id: imageId, status: e.Action, Actor: { ID: imageId, Attributes: { tier: 'base' } } });
    expect(events.map((e) => e.Actor.Attributes['name'])).toEqual([imageId, 'other:1', imageId]);
    expect(pastEvents(['--filter', 'image=other', '--filter', 'type=image']).map((e) => e.Action)).toEqual(['tag']);
  });

  it('streams live events until interrupted', async () => {
    const child = spawn('docker', ['events', '--filter', 'type=container', '--format', '{{.Action}} {{.Actor.Attributes.name}}'], {
      env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(dir, 'docker-config') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      // The subscription is in place once the daemon counts the listener.
      await until(async () => JSON.parse((await d.request('GET', '/info')).body).NEventsListener === 1);
      ok(d.docker(['image', 'tag', 'busybox', 'ignored:1']));
      ok(d.docker(['run', '--rm', '--name', 'live1', 'busybox', 'true']));
      await until(async () => out.includes('destroy live1'));
      const lines = out.split('\n').filter(Boolean);
      expect(lines.indexOf('create live1')).toBeLessThan(lines.indexOf('start live1'));
      expect(lines.indexOf('start live1')).toBeLessThan(lines.indexOf('die live1'));
      expect(out).not.toContain('ignored');
    } finally {
      child.kill('SIGTERM');
    }
    await until(async () => JSON.parse((await d.request('GET', '/info')).body).NEventsListener === 0);
  }, 30_000);

  it('ends a stream at a future --until', async () => {
    const t0 = Date.now();
    const untilSec = (Date.now() + 1500) / 1000;
    const r = await d.request('GET', `/v1.50/events?since=${Math.floor(t0 / 1000) - 300}&until=${untilSec.toFixed(3)}&filters=${encodeURIComponent('{"container":{"ev1":true},"event":{"start":true}}')}`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    const lines = r.body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as EventMessage);
    expect(lines.map((e) => `${e.Action} ${e.Actor.Attributes['name']}`)).toEqual(['start ev1']);
  });

  it('refuses until before since and bad timestamps with 400', async () => {
    const r = await d.request('GET', '/events?since=200&until=100');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).message).toBe('`since` time (200) cannot be after `until` time (100)');
    expect((await d.request('GET', '/events?since=abc')).status).toBe(400);
    const cli = d.docker(['events', '--since', '1m', '--until', '2m']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('cannot be after `until` time');
  });

  it('keeps the events across a daemon restart', async () => {
    const before = pastEvents();
    expect(before.some((e) => e.Action === 'start' && e.Actor.Attributes['name'] === 'ev1')).toBe(true);
    await d.kill('SIGTERM');
    d = await startDaemon({ dir });
    const after = pastEvents();
    expect(after.slice(0, before.length)).toEqual(before);
    const id = ok(d.docker(['run', '-d', '--name', 'ev3', 'busybox', 'true'])).trim();
    ok(d.docker(['wait', id]));
    await nextSecond();
    const starts = pastEvents(['--filter', 'event=start']).map((e) => e.Actor.Attributes['name']);
    expect(starts).toEqual(expect.arrayContaining(['ev1', 'live1', 'ev3']));
    expect(starts.indexOf('ev1')).toBeLessThan(starts.indexOf('ev3'));
  }, 60_000);
});

async function until(cond: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
