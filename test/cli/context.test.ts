// `tsdocker context` against the docker CLI's own store, in a temporary HOME: a
// context created by either CLI is listed, inspected and used by the other, with
// the same output; `context use` switches both CLIs between two daemons.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startDaemon, type CommandResult, type TestDaemon } from '../helpers/daemon';

let home: string;
let a: TestDaemon | undefined;
let b: TestDaemon | undefined;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'tsd-context-home-'));
  [a, b] = await Promise.all([startDaemon(), startDaemon()]);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.cleanup(), b?.cleanup()]);
  rmSync(home, { recursive: true, force: true });
});

// No DOCKER_HOST: the context decides.
const env = () => ({ HOME: home, DOCKER_CONFIG: '', DOCKER_HOST: '', TSDOCKER_HOST: '' });
const tsdocker = (args: string[]): CommandResult => a!.cli(args, { env: env() });
const docker = (args: string[]): CommandResult => a!.docker(args, { env: env() });
const rootDir = (run: (args: string[]) => CommandResult, ...flags: string[]) => ok(run([...flags, 'info', '-f', '{{.DockerRootDir}}'])).trim();

describe('context', () => {
  it('creates contexts either CLI reads, listed and inspected alike', () => {
    const created = tsdocker(['context', 'create', 'ctx-a', '--description', 'daemon a', '--docker', `host=${a!.host}`]);
    expect([created.stdout, created.stderr]).toEqual(['ctx-a\n', 'Successfully created context "ctx-a"\n']);
    expect(docker(['context', 'create', 'ctx-b', '--description', 'daemon b', '--docker', `host=${b!.host}`]).code).toBe(0);
    // The default contexts differ (each CLI's own default socket): the others are listed alike.
    const listed = (run: (args: string[]) => CommandResult) =>
      ok(run(['context', 'ls', '--format', '{{.Name}}|{{.Description}}|{{.DockerEndpoint}}|{{.Current}}'])).split('\n').filter((l) => !l.startsWith('default|'));
    expect(listed(tsdocker)).toEqual(listed(docker));
    expect(listed(tsdocker)).toContain(`ctx-b|daemon b|${b!.host}|false`);
    expect(ok(tsdocker(['context', 'ls'])).split('\n')[0]).toMatch(/^NAME +DESCRIPTION +DOCKER ENDPOINT +ERROR$/);
    expect(ok(tsdocker(['context', 'ls', '-q']))).toBe('default\nctx-a\nctx-b\n');
    for (const name of ['ctx-a', 'ctx-b']) expect(ok(tsdocker(['context', 'inspect', name]))).toBe(ok(docker(['context', 'inspect', name])));
  });

  it('switches both CLIs between two daemons', () => {
    expect(rootDir(tsdocker, '--context', 'ctx-a')).toBe(a!.dataRoot);
    expect(rootDir(tsdocker, '--context', 'ctx-b')).toBe(b!.dataRoot);
    expect(tsdocker(['context', 'use', 'ctx-b']).stderr).toBe('Current context is now "ctx-b"\n');
    expect(rootDir(tsdocker)).toBe(b!.dataRoot);
    expect(rootDir(docker)).toBe(b!.dataRoot);
    expect(docker(['context', 'use', 'ctx-a']).code).toBe(0);
    expect(rootDir(tsdocker)).toBe(a!.dataRoot);
    expect(ok(tsdocker(['context', 'ls', '--format', '{{.Name}} {{.Current}}']))).toContain('ctx-a true\n');
  });

  it('exports and imports contexts in the docker CLI’s archive format, either way', () => {
    const withTls = join(home, 'certs');
    ok(tsdocker(['tls', 'init', '--dir', withTls, '--name', 'ctx-tls', '--host', 'tcp://127.0.0.1:2376']));
    const fromDocker = join(home, 'from-docker.tar');
    const fromUs = join(home, 'from-us.tar');
    expect(docker(['context', 'export', 'ctx-tls', fromDocker]).code).toBe(0);
    expect(tsdocker(['context', 'export', 'ctx-tls', fromUs]).stderr).toBe(`Written file "${fromUs}"\n`);
    const imported = tsdocker(['context', 'import', 'imported-by-us', fromDocker]);
    expect([imported.stdout, imported.stderr]).toEqual(['imported-by-us\n', 'Successfully imported context "imported-by-us"\n']);
    expect(docker(['context', 'import', 'imported-by-docker', fromUs]).code).toBe(0);
    // Everything but the storage paths (named after each context) is the original's.
    const inspected = (name: string) => ok(docker(['context', 'inspect', name])).replace(new RegExp(name, 'g'), 'NAME').replace(/"(MetadataPath|TLSPath)": "[^"]*"/g, '');
    expect(inspected('imported-by-us')).toBe(inspected('ctx-tls'));
    expect(inspected('imported-by-docker')).toBe(inspected('ctx-tls'));
    const notTar = join(home, 'not-a.tar');
    writeFileSync(notTar, 'not a tar archive\n');
    const refused = tsdocker(['context', 'import', 'broken', notTar]);
    expect([refused.code, refused.stderr]).toEqual([1, `${notTar}: not a context export: Unexpected end of data\n`]);
    ok(tsdocker(['context', 'rm', 'ctx-tls', 'imported-by-us', 'imported-by-docker']));
  });

  it('removes contexts, not the current one without -f', () => {
    const inUse = tsdocker(['context', 'rm', 'ctx-a']);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toContain('context "ctx-a" is in use, set -f flag to force remove');
    expect(ok(tsdocker(['context', 'rm', '-f', 'ctx-a', 'ctx-b']))).toBe('ctx-a\nctx-b\n');
    expect(ok(docker(['context', 'ls', '-q']))).toBe('default\n');
    const gone = tsdocker(['--context', 'ctx-a', 'ps']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/context "ctx-a": context not found/);
  });
});
