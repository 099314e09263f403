// Supervision with the real docker CLI against tsdockerd: restart policies
// (on-failure:N stops after N restarts, always until the user stops it) and
// health checks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, cleanupWithContainers, startBusyboxDaemon, type TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
beforeAll(async () => {
  d = await startBusyboxDaemon();
}, 60_000);
afterAll(() => cleanupWithContainers(d));

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const inspect = (name: string, format: string): string => ok(d.docker(['inspect', '-f', format, name])).trim();

describe('restart policies', () => {
  it('on-failure:2 restarts twice, then leaves the container exited', async () => {
    const r = d.docker(['run', '--name', 'of', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'echo run; exit 1']);
    expect(r.code).toBe(1);
    await until(() => inspect('of', '{{.RestartCount}} {{.State.Status}}') === '2 exited');
    // Each run logged once; the count stays at 2.
    await new Promise((res) => setTimeout(res, 1000));
    expect(inspect('of', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}')).toBe('2 exited 1');
    expect(ok(d.docker(['logs', 'of']))).toBe('run\nrun\nrun\n');
  });

  it('always restarts a container that exits 0, until docker stop', async () => {
    ok(d.docker(['run', '-d', '--name', 'al', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.2']));
    await until(() => Number(inspect('al', '{{.RestartCount}}')) >= 2);
    ok(d.docker(['stop', '-t', '1', 'al']));
    const count = inspect('al', '{{.RestartCount}}');
    await new Promise((res) => setTimeout(res, 800));
    expect(inspect('al', '{{.RestartCount}} {{.State.Running}} {{.State.Restarting}}')).toBe(`${count} false false`);
  });

  it('refuses a restart policy with AutoRemove as dockerd does', async () => {
    const r = await d.request('POST', '/v1.50/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ message: "can't create 'AutoRemove' container with restart policy" });
  });
});

describe('health checks', () => {
  it('become healthy, show in ps, and turn unhealthy after Retries failures', async () => {
    ok(d.docker(['run', '-d', '--name', 'hc', '--health-cmd', 'test -e /tmp/ok', '--health-interval', '300ms', '--health-retries', '2', 'busybox', 'sh', '-c', 'touch /tmp/ok; sleep 100']));
    await until(() => inspect('hc', '{{.State.Health.Status}}') === 'healthy');
    expect(ok(d.docker(['ps', '--filter', 'name=hc', '--format', '{{.Status}}']))).toMatch(/^Up .* \(healthy\)\n$/);
    ok(d.docker(['exec', 'hc', 'rm', '/tmp/ok']));
    await until(() => inspect('hc', '{{.State.Health.Status}}') === 'unhealthy');
    expect(Number(inspect('hc', '{{.State.Health.FailingStreak}}'))).toBeGreaterThanOrEqual(2);
    expect(Number(inspect('hc', '{{len .State.Health.Log}}'))).toBeLessThanOrEqual(5);
    expect(inspect('hc', '{{(index .State.Health.Log 0).ExitCode}}')).toMatch(/^[01]$/);
    ok(d.docker(['rm', '-f', 'hc']));
  });

  it('reports a probe that times out', async () => {
    ok(d.docker(['run', '-d', '--name', 'hto', '--health-cmd', 'sleep 5', '--health-interval', '200ms', '--health-timeout', '300ms', '--health-retries', '1', 'busybox', 'sleep', '100']));
    await until(() => inspect('hto', '{{.State.Health.Status}}') === 'unhealthy');
    expect(inspect('hto', '{{(index .State.Health.Log 0).ExitCode}} {{(index .State.Health.Log 0).Output}}')).toBe('-1 Health check exceeded timeout (0.3s)');
    ok(d.docker(['rm', '-f', 'hto']));
  });
});
