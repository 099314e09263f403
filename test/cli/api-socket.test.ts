// run/create --use-api-socket through both CLIs against one tsdockerd: the
// daemon's socket in the container, and the client's credentials copied in
// (auths alone, 0600, DOCKER_CONFIG pointing there) as the docker CLI does;
// nothing copied without credentials (tested in parity-cases.ts) or when the
// container names its own DOCKER_CONFIG.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasDocker, startTarget, TEST_IMAGE, type Target } from './target';

let t: Target;
let env: Record<string, string>;
beforeAll(async () => {
  if (!hasDocker) return;
  t = await startTarget();
  const config = join(t.dir, 'with-creds');
  mkdirSync(config);
  // Two registries, out of order (Go's encoder sorts them), one with a field the copy leaves out.
  writeFileSync(join(config, 'config.json'), JSON.stringify({ auths: { 'reg.example:5000': { auth: 'dTI6cDI=' }, '127.0.0.1:5999': { auth: 'dXNlcjpwYXNz', email: 'x@y' } }, psFormat: 'x' }));
  env = { DOCKER_CONFIG: config };
}, 60_000);
afterAll(async () => {
  await t?.cleanup();
});

describe.skipIf(!hasDocker)('--use-api-socket as the docker CLI does it (skipped where it is not installed)', () => {
  it.each([
    [['run', '--rm', '--use-api-socket', TEST_IMAGE, 'sh', '-c', 'cat $DOCKER_CONFIG/config.json; echo; echo $DOCKER_CONFIG; stat -c "%a %s %Y" $DOCKER_CONFIG/config.json; test -S /var/run/docker.sock && echo socket']],
    [['run', '--rm', '--use-api-socket', '-e', 'DOCKER_CONFIG=/mine', TEST_IMAGE, 'sh', '-c', 'ls /run/secrets; echo $DOCKER_CONFIG']],
  ])('%j', (args) => {
    const theirs = t.docker(args, { env });
    expect(theirs.stdout).toContain(args.includes('-e') ? '/mine' : '"auths"');
    expect(t.cli(args, { env })).toEqual(theirs);
  });

  it('refused for an endpoint that is not a Unix socket, in docker words and status', () => {
    const tcp = { env: { ...env, DOCKER_HOST: 'tcp://127.0.0.1:1', TSDOCKER_HOST: 'tcp://127.0.0.1:1' } };
    for (const command of ['run', 'create']) {
      const theirs = t.docker([command, '--use-api-socket', TEST_IMAGE, 'true'], tcp);
      expect(theirs.code).toBe(command === 'run' ? 125 : 1);
      const ours = t.cli([command, '--use-api-socket', TEST_IMAGE, 'true'], tcp);
      expect({ ...ours, stderr: ours.stderr.replaceAll('tsdocker', 'docker') }).toEqual(theirs);
    }
  });
});
