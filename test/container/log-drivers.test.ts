// Log drivers through a real daemon and the real docker CLI (and ours): none
// keeps nothing and `docker logs` is refused as dockerd refuses it; local
// rotates and gzips, and `docker logs` reads what is kept, in order; the
// driver and its options are checked with dockerd's messages (taken from
// Debian's dockerd, test/helpers/dockerd.ts: the same words as moby 28).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupWithContainers, hasDocker, ok, startBusyboxDaemon, type TestDaemon } from '../helpers/daemon';
import { canRunContainers } from '../native/bundle';

const enabled = hasDocker && canRunContainers();
let d: TestDaemon;

beforeAll(async () => {
  if (!enabled) return;
  d = await startBusyboxDaemon();
}, 60_000);

afterAll(async () => {
  if (enabled) await cleanupWithContainers(d);
});

/** What `docker logs` printed, one array entry per line. */
function logLines(out: string): string[] {
  return out.split('\n').filter(Boolean);
}

describe.skipIf(!enabled)('log drivers', () => {
  it('none: run shows the output, nothing is kept, docker logs is refused with 501 as dockerd does, attach still works', async () => {
    expect(ok(d.docker(['run', '--name', 'none1', '--log-driver', 'none', 'busybox', 'echo', 'hi']))).toBe('hi\n');
    const logs = d.docker(['logs', 'none1']);
    expect(logs.code).toBe(1);
    expect(logs.stderr).toBe('Error response from daemon: configured logging driver does not support reading\n');
    expect((await d.request('GET', '/containers/none1/logs?stdout=1')).status).toBe(501);
    expect(ok(d.docker(['inspect', '-f', '{{.LogPath}}|{{json .HostConfig.LogConfig}}', 'none1']))).toBe('|{"Type":"none","Config":{}}\n');
    const dir = join(d.dataRoot, 'containers', ok(d.docker(['inspect', '-f', '{{.Id}}', 'none1'])).trim());
    expect(readdirSync(dir).filter((f) => f.includes('log'))).toEqual([]);

    ok(d.docker(['run', '-d', '--name', 'none2', '--log-driver', 'none', 'busybox', 'sh', '-c', 'sleep 1; echo late']));
    expect(ok(d.docker(['attach', 'none2']))).toBe('late\n');
    // Ours too.
    expect(d.cli(['logs', 'none1']).stderr).toContain('configured logging driver does not support reading');
  });

  it('local: rotates and gzips with a small max-size, keeps max-file files, docker logs reads them in order', () => {
    const script = 'i=1; while [ $i -le 200 ]; do echo line$i; i=$((i+1)); done';
    ok(d.docker(['run', '--name', 'local1', '--log-driver', 'local', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', script]));
    const id = ok(d.docker(['inspect', '-f', '{{.Id}}', 'local1'])).trim();
    expect(ok(d.docker(['inspect', '-f', '{{.LogPath}}|{{json .HostConfig.LogConfig}}', 'local1']))).toBe('|{"Type":"local","Config":{"max-file":"3","max-size":"1k"}}\n');
    const logDir = join(d.dataRoot, 'containers', id, 'local-logs');
    expect(statSync(logDir).mode & 0o777).toBe(0o700);
    const files = readdirSync(logDir).sort();
    expect(files).toHaveLength(3);
    expect(files.filter((f) => /^container\.log\.\d+\.gz$/.test(f))).toHaveLength(2);
    // 1k is 1000 bytes for local (go-units' FromHumanSize), as dockerd reads it.
    for (const f of files) expect(statSync(join(logDir, f)).size).toBeLessThanOrEqual(1000);

    const kept = logLines(ok(d.docker(['logs', 'local1'])));
    expect(kept.at(-1)).toBe('line200');
    const first = Number(kept[0]!.slice(4));
    expect(first).toBeGreaterThan(1);
    expect(kept).toEqual(Array.from({ length: 201 - first }, (_, i) => `line${first + i}`));
    expect(ok(d.docker(['logs', '--tail', '3', 'local1']))).toBe('line198\nline199\nline200\n');
    expect(logLines(ok(d.docker(['logs', '--tail', String(kept.length - 2), 'local1'])))).toEqual(kept.slice(2));
    const stamped = logLines(ok(d.docker(['logs', '-t', '--tail', '1', 'local1'])));
    expect(stamped[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line200$/);
    const at = stamped[0]!.split(' ')[0]!;
    expect(ok(d.docker(['logs', '--since', at, 'local1']))).toBe('line200\n');
    expect(logLines(ok(d.docker(['logs', '--until', at, 'local1']))).at(-1)).toBe('line200');
    expect(ok(d.cli(['logs', '--tail', '2', 'local1']))).toBe('line199\nline200\n');

    // Sizes and counts far beyond what a disk holds still start (the shim takes them bounded).
    expect(ok(d.docker(['run', '--log-driver', 'local', '--log-opt', 'max-size=9999999p', '--log-opt', 'max-file=99999999999', 'busybox', 'echo', 'big']))).toBe('big\n');

    // A restart goes on with the same files: the gens keep growing, max-file still holds.
    const gens = () => readdirSync(logDir).map((f) => Number(/^container\.log\.(\d+)\.gz$/.exec(f)?.[1] ?? 0));
    const before = Math.max(...gens());
    ok(d.docker(['start', '-a', 'local1']));
    expect(Math.min(...gens().filter(Boolean))).toBeGreaterThan(before);
    expect(readdirSync(logDir)).toHaveLength(3);
    expect(ok(d.docker(['logs', '--tail', '2', 'local1']))).toBe('line199\nline200\n');
  });

  it('local: docker logs -f follows a running container across rotations to its end', () => {
    const script = 'i=1; while [ $i -le 100 ]; do echo n$i; i=$((i+1)); usleep 20000; done';
    // About 8 kB in 2 s: 4 rotations to follow, and the 5 files of 2 kB kept hold it all, so a follower slowed by load loses nothing.
    ok(d.docker(['run', '-d', '--name', 'local2', '--log-driver', 'local', '--log-opt', 'max-size=2k', 'busybox', 'sh', '-c', script]));
    const followed = logLines(ok(d.docker(['logs', '-f', 'local2'])));
    expect(followed).toEqual(Array.from({ length: 100 }, (_, i) => `n${i + 1}`));
    const id = ok(d.docker(['inspect', '-f', '{{.Id}}', 'local2'])).trim();
    expect(readdirSync(join(d.dataRoot, 'containers', id, 'local-logs')).filter((f) => f.endsWith('.gz')).length).toBeGreaterThanOrEqual(3);
  });

  it("refuses unknown drivers and options at create, bad values at start, with dockerd's messages and statuses", async () => {
    const refused = (args: string[], code: number, message: string) => {
      const r = d.docker(args);
      expect(r.stderr.split('\n')[0]).toBe(message);
      expect(r.code).toBe(code);
    };
    refused(['create', '--log-driver', 'nosuch', 'busybox'], 1, 'Error response from daemon: error looking up logging plugin nosuch: plugin "nosuch" not found');
    refused(['create', '--log-driver', 'local', '--log-opt', 'foo=1', 'busybox'], 1, "Error response from daemon: unknown log opt 'foo' for log driver local");
    refused(['create', '--log-driver', 'json-file', '--log-opt', 'foo=1', 'busybox'], 1, "Error response from daemon: unknown log opt 'foo' for json-file log driver");
    refused(['create', '--log-driver', 'syslog', '--log-opt', 'bad=1', 'busybox'], 1, "Error response from daemon: unknown log opt 'bad' for syslog log driver");
    refused(['create', '--log-driver', 'local', '--log-opt', 'mode=weird', 'busybox'], 1, 'Error response from daemon: logger: logging mode not supported: weird');
    // dockerd's words on a host without the socket (as this one); else tsdocker says it lacks the driver.
    const hostLogger = (driver: string, socket: string, missing: string) =>
      `docker: Error response from daemon: failed to initialize logging driver: ${existsSync(socket) ? `the ${driver} driver is not implemented by tsdocker` : missing}`;
    refused(['run', '--log-driver', 'syslog', 'busybox', 'true'], 125, hostLogger('syslog', '/dev/log', 'Unix syslog delivery error'));
    refused(['run', '--log-driver', 'journald', 'busybox', 'true'], 125, hostLogger('journald', '/run/systemd/journal/socket', 'journald is not enabled on this host'));
    refused(['run', '--log-driver', 'local', '--log-opt', 'max-size=abc', 'busybox', 'true'], 125, "docker: Error response from daemon: failed to initialize logging driver: invalid value for max-size: abc: invalid size: 'abc'");
    refused(['run', '--log-driver', 'local', '--log-opt', 'max-file=1', 'busybox', 'true'], 125, 'docker: Error response from daemon: failed to initialize logging driver: compression cannot be enabled when max file count is 1');
    refused(['run', '--log-driver', 'local', '--log-opt', 'compress=maybe', 'busybox', 'true'], 125, 'docker: Error response from daemon: failed to initialize logging driver: error reading compress log option: strconv.ParseBool: parsing "maybe": invalid syntax');
    refused(['run', '--log-driver', 'json-file', '--log-opt', 'max-file=0', 'busybox', 'true'], 125, 'docker: Error response from daemon: failed to initialize logging driver: max-file cannot be less than 1');
    const create = await d.request('POST', '/containers/create', { Image: 'busybox', HostConfig: { LogConfig: { Type: 'nosuch' } } });
    expect(create.status).toBe(400);
    const bad = JSON.parse((await d.request('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { LogConfig: { Type: 'syslog' } } })).body) as { Id: string };
    expect((await d.request('POST', `/containers/${bad.Id}/start`)).status).toBe(500);
    // Refused before anything ran: the container can still be removed, and is not running.
    expect(ok(d.docker(['inspect', '-f', '{{.State.Running}}', bad.Id]))).toBe('false\n');
  });
});
