// The daemon and the CLI run on a maintained Node LTS (22 or later, as
// package.json's engines say), whatever node the host has: bin/ starts them on
// the one the install pins, and the native addons load in it.
import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, ROOT, startDaemon, type TestDaemon } from '../helpers/daemon';

const MIN_MAJOR = 22;
let d: TestDaemon;
beforeAll(async () => {
  d = await startDaemon();
});
afterAll(async () => {
  await d?.cleanup();
});

const major = (version: string): number => Number(/^v?(\d+)\./.exec(version)?.[1]);

describe('runtime', () => {
  it('engines asks for a maintained LTS', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${MIN_MAJOR}`);
  });

  it('runs the daemon and the CLI on the same LTS Node, 22 or later', () => {
    const [client, server] = ok(d.cli(['version', '--format', '{{.Client.GoVersion}} {{.Server.GoVersion}}'])).trim().split(' ');
    expect(client).toBe(server);
    expect(major(client!.replace(/^node/, ''))).toBeGreaterThanOrEqual(MIN_MAJOR);
  });

  it("gives the daemon's Node zlib's zstd (pulls of zstd layers need it) and a release line with an LTS name", () => {
    const node = readlinkSync(`/proc/${d.process.pid}/exe`);
    const r = spawnSync(node, ['-p', "typeof require('zlib').createZstdDecompress + ' ' + Boolean(process.release.lts)"], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('function true');
  });

  it('loads better-sqlite3 and the native addon in that Node', () => {
    const node = readlinkSync(`/proc/${d.process.pid}/exe`);
    const script = "new (require('better-sqlite3'))(':memory:').close(); require('./native/build/Release/tsd_native.node')";
    const r = spawnSync(node, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
