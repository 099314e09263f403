// Signals as the docker CLI 28 takes them (its behaviour observed against
// the same daemon): attach without the signal proxy (--sig-proxy=false, or a
// TTY container with --no-stdin) holds SIGTERM until the third, then ends
// with "got 3 SIGTERM/SIGINTs, forcefully exiting" and exit 1, the container
// untouched; exec ended by SIGTERM exits 0 at once, its process living on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../helpers/daemon';
import { endTarget, startTarget, TEST_IMAGE, type Target } from './target';

const P = 'tsdcli-sig-';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let t: Target;
beforeAll(async () => {
  t = await startTarget();
  ok(t.cli(['run', '-d', '--name', `${P}plain`, TEST_IMAGE, 'sleep', '600']));
  ok(t.cli(['run', '-d', '-t', '--name', `${P}tty`, TEST_IMAGE, 'sleep', '600']));
});
afterAll(() => endTarget(t, P));

describe('signals', () => {
  it.each([[['--sig-proxy=false', `${P}plain`]], [['--no-stdin', `${P}tty`]]])('attach %j needs three SIGTERMs', async (args) => {
    const run = t.cliAsync(['attach', ...args], { timeout: 20_000 });
    await sleep(1500);
    for (let i = 0; i < 3; i++) {
      process.kill(run.pid, 'SIGTERM');
      await sleep(300);
    }
    expect(await run.done).toEqual({ code: 1, stdout: '', stderr: '\ngot 3 SIGTERM/SIGINTs, forcefully exiting\n' });
    expect(ok(t.cli(['inspect', '-f', '{{.State.Running}}', args[1]!]))).toBe('true\n');
  });

  it('exec -i ended by SIGTERM exits 0 at once; its process lives on', async () => {
    const run = t.cliAsync(['exec', '-i', `${P}plain`, 'sh', '-c', 'cat; sleep 30'], { timeout: 20_000 });
    await sleep(1500);
    process.kill(run.pid, 'SIGTERM');
    expect(await run.done).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(ok(t.cli(['exec', `${P}plain`, 'ps', '-o', 'args']))).toContain('sleep 30');
  });
});
