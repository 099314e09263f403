// Restart policies with the real docker CLI against tsdockerd: on-failure:N
// stops after N restarts, always keeps restarting until the user stops it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar } from '../fixtures/busybox';
import { startDaemon, type CommandResult, type TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
beforeAll(async () => {
  const rootfs = await busyboxRootfsTar();
  d = await startDaemon();
  ok(d.docker(['import', '-c', 'CMD ["sh"]', rootfs, 'busybox:latest']));
}, 60_000);
afterAll(async () => {
  if (!d) return;
  d.docker(['rm', '-f', ...d.docker(['ps', '-aq']).stdout.split('\n').filter(Boolean)]);
  await d.cleanup();
});

function ok(r: CommandResult): string {
  expect(r.stderr, r.stderr).toBe('');
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

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
