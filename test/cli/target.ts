// The daemon the CLI tests drive: a fresh tsdockerd by default, or, with
// TSD_TEST_PEER_HOST, a Docker daemon instead — `dockerd` starts Debian's
// dockerd on its own temporary socket (stopped and removed afterwards), a
// `unix://…` host uses a daemon already running there. The same tests then
// show where tsdockerd and dockerd differ. Each target gets the busybox image
// imported as TEST_IMAGE.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxRootfsTar } from '../fixtures/busybox';
import { CLI, hasDocker, startDaemon, type CommandResult } from '../helpers/daemon';
import { startDockerd } from '../helpers/dockerd';

export const TEST_IMAGE = 'tsdcli-busybox:latest';

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
  timeout?: number;
}

export interface Target {
  /** `tsdockerd`, or the peer's host. */
  kind: string;
  host: string;
  dir: string;
  /** Our CLI against the target. */
  cli(args: string[], opts?: RunOptions): CommandResult;
  /** Our CLI, without blocking: for commands that wait on other commands. */
  cliAsync(args: string[], opts?: RunOptions): { pid: number; done: Promise<CommandResult> };
  /** The docker CLI against the target. */
  docker(args: string[], opts?: RunOptions): CommandResult;
  cleanup(): Promise<void>;
}

export { hasDocker };

export async function startTarget(): Promise<Target> {
  const peer = process.env['TSD_TEST_PEER_HOST'];
  const dir = mkdtempSync(join(tmpdir(), 'tsd-cli-test-'));
  let host: string;
  let stop: () => Promise<void>;
  if (!peer) {
    const d = await startDaemon();
    host = d.host;
    stop = () => d.cleanup();
  } else if (peer === 'dockerd') {
    const d = await startDockerd({ prefix: 'tsd-cli-dockerd-', namespace: 'tsd-cli-test' });
    host = d.host;
    stop = () => d.stop();
  } else {
    host = peer;
    stop = async () => {};
  }
  const env = (extra?: Record<string, string>) => ({
    ...process.env,
    TSDOCKER_HOST: host,
    DOCKER_HOST: host,
    DOCKER_CONFIG: join(dir, 'docker-config'),
    ...extra,
  });
  const run = (cmd: string, args: string[], o: RunOptions = {}): CommandResult => {
    const r = spawnSync(cmd, args, { input: o.input ?? '', encoding: 'utf8', env: env(o.env), timeout: o.timeout ?? 60_000, maxBuffer: 64 << 20 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const target: Target = {
    kind: peer ?? 'tsdockerd',
    host,
    dir,
    cli: (args, o) => run(CLI, args, o),
    cliAsync(args, o = {}) {
      const child = spawn(CLI, args, { env: env(o.env), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdin.end(o.input ?? '');
      const timer = setTimeout(() => child.kill('SIGKILL'), o.timeout ?? 60_000);
      const done = new Promise<CommandResult>((resolve) =>
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
        }),
      );
      return { pid: child.pid!, done };
    },
    docker: (args, o) => run('docker', args, o),
    async cleanup() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const imported = target.cli(['import', '-c', 'CMD ["sh"]', await busyboxRootfsTar(), TEST_IMAGE]);
  if (imported.code !== 0) {
    await target.cleanup();
    throw new Error(`importing ${TEST_IMAGE} into ${target.kind} failed: ${imported.stderr}`);
  }
  return target;
}

/** A test file's afterAll: what it made removed (removeTestObjects), then the target stopped; nothing if it never started. */
export async function endTarget(t: Target | undefined, prefix: string): Promise<void> {
  if (!t) return;
  removeTestObjects(t, prefix);
  await t.cleanup();
}

/** Removes the containers a test file made (by name prefix) and its image, leaving a shared peer as it was. */
export function removeTestObjects(t: Target, prefix: string): void {
  const names = t.cli(['ps', '-aq', '--filter', `name=${prefix}`]).stdout.split('\n').filter(Boolean);
  if (names.length) t.cli(['rm', '-f', '-v', ...names]);
  const byImage = t.cli(['ps', '-aq', '--filter', `ancestor=${TEST_IMAGE}`]).stdout.split('\n').filter(Boolean);
  if (byImage.length) t.cli(['rm', '-f', '-v', ...byImage]);
  t.cli(['rmi', '-f', TEST_IMAGE]);
}
