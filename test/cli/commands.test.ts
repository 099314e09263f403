// The commands the CLI lacked (stats, events, pause, unpause, update, commit,
// their `container`/`system` forms), an unknown command's message and exit
// status, and the TLS flags being read: each compared with the docker CLI's
// output against the same daemon where the output is deterministic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../helpers/daemon';
import { endTarget, hasDocker, startTarget, TEST_IMAGE, type Target } from './target';

const P = 'tsdcli-cmd-';
let t: Target;
beforeAll(async () => {
  t = await startTarget();
});
afterAll(() => endTarget(t, P));

/** docker's text with our program's name. */
const ours = (s: string) => s.replaceAll('docker', 'tsdocker');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('unknown commands', () => {
  it.each([['nosuchcmd'], ['container', 'nosuch'], ['system', 'nosuch'], ['image', 'nosuch']])('%s %s: docker message, exit 1', (...args) => {
    const r = t.cli(args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const expected = `tsdocker: unknown command: tsdocker ${args.join(' ')}\n`;
    expect(r.stderr.startsWith(expected), r.stderr).toBe(true);
    if (hasDocker) expect(r).toEqual({ ...t.docker(args), stderr: ours(t.docker(args).stderr) });
  });
});

describe('TLS flags', () => {
  // Over TLS: test/integration/tls.test.ts. Here: the settings are read, not ignored, as by the docker CLI (even for a Unix socket).
  it.each([[['--tlsverify', '--tlscacert', '/nonexistent/ca.pem']], [['--tls', '--tlscert', '/nonexistent/cert.pem', '--tlskey', '/nonexistent/key.pem']]])('%j names the file it cannot read', (flags) => {
    const r = t.cli([...flags, 'ps']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    // The CA first, as docker reads it whenever TLS is on (here the config directory's default one, missing too).
    expect(r.stderr).toMatch(/^Failed to initialize: unable to resolve docker endpoint: open \S+\/ca\.pem: no such file or directory\n$/);
    if (hasDocker) expect(r).toEqual(t.docker([...flags, 'ps']));
  });

  it('DOCKER_TLS_VERIFY reads the CA from DOCKER_CERT_PATH', () => {
    const r = t.cli(['ps'], { env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Failed to initialize: unable to resolve docker endpoint: open /nonexistent/ca.pem: no such file or directory\n');
    if (hasDocker) expect(r).toEqual(t.docker(['ps'], { env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent' } }));
  });
});

describe('pause, unpause, update, commit', () => {
  it('pause and unpause print the names, fail on a missing one with exit 1', () => {
    ok(t.cli(['run', '-d', '--name', `${P}p`, TEST_IMAGE, 'sleep', '300']));
    expect(t.cli(['pause', `${P}p`, `${P}nosuch`])).toEqual({ code: 1, stdout: `${P}p\n`, stderr: `Error response from daemon: No such container: ${P}nosuch\n` });
    expect(ok(t.cli(['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', `${P}p`]))).toBe('paused true\n');
    expect(ok(t.cli(['container', 'unpause', `${P}p`]))).toBe(`${P}p\n`);
    expect(ok(t.cli(['inspect', '-f', '{{.State.Status}}', `${P}p`]))).toBe('running\n');
    if (hasDocker) expect(t.cli(['unpause', `${P}p`])).toEqual(t.docker(['unpause', `${P}p`]));
  });

  it('update sets resources and the restart policy; no flag is an error', () => {
    expect(ok(t.cli(['update', '-m', '64m', '--memory-swap', '128m', '--cpus', '0.5', '--pids-limit', '50', '--restart', 'on-failure:3', `${P}p`]))).toBe(`${P}p\n`);
    const hc = ok(t.cli(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', `${P}p`]));
    expect(hc).toBe(`${64 << 20} ${128 << 20} 500000000 50 on-failure:3\n`);
    const none = t.cli(['update', `${P}p`]);
    expect(none).toEqual({ code: 1, stdout: '', stderr: 'you must provide one or more flags when using this command\n' });
    if (hasDocker) {
      expect(none).toEqual(t.docker(['update', `${P}p`]));
      expect(t.cli(['container', 'update', '-c', '512', `${P}nosuch`])).toEqual(t.docker(['container', 'update', '-c', '512', `${P}nosuch`]));
    }
  });

  it('commit prints the new image ID, with changes, message and author', () => {
    const id = ok(t.cli(['commit', '-c', 'ENV COMMITTED=yes', '-m', 'from tsdocker', '-a', 'tester', `${P}p`, `${P}img:v1`])).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const img = ok(t.cli(['image', 'inspect', '-f', '{{.Id}} {{.Comment}} {{.Author}} {{index .Config.Env 0}}', `${P}img:v1`]));
    expect(img).toBe(`${id} from tsdocker tester COMMITTED=yes\n`);
    expect(ok(t.cli(['container', 'commit', '--pause=false', `${P}p`]))).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const missing = t.cli(['commit', `${P}nosuch`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`Error response from daemon: No such container: ${P}nosuch\n`);
    if (hasDocker) expect(missing).toEqual(t.docker(['commit', `${P}nosuch`]));
    ok(t.cli(['rmi', `${P}img:v1`]));
  });
});

describe('stats', () => {
  it('--no-stream prints docker\'s table and JSON for named containers', () => {
    const table = ok(t.cli(['stats', '--no-stream', `${P}p`])).split('\n');
    expect(table[0]).toMatch(/^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
    expect(table[1]).toMatch(new RegExp(`^[0-9a-f]{12} +${P}p +\\d+\\.\\d\\d% +[\\d.]+[KMG]?i?B / [\\d.]+[KMG]?i?B +\\d+\\.\\d\\d% +\\S+ / \\S+ +\\S+ / \\S+ +1$`));
    const format = '{{.Container}} {{.Name}} {{.ID}} {{.PIDs}} {{.NetIO}}';
    const line = ok(t.cli(['container', 'stats', '--no-stream', '--no-trunc', '--format', format, `${P}p`]));
    expect(line).toMatch(new RegExp(`^${P}p ${P}p [0-9a-f]{64} 1 [\\d.]+[kMG]?B / [\\d.]+[kMG]?B\\n$`));
    const json = JSON.parse(ok(t.cli(['stats', '--no-stream', '--format', 'json', `${P}p`]))) as Record<string, string>;
    expect(Object.keys(json)).toEqual(['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']);
    if (hasDocker) {
      // NET I/O moves between two calls (the bridge floods its ports' multicast to every container): compared without it.
      const fixed = '{{.Container}} {{.Name}} {{.ID}} {{.PIDs}}';
      const both = ['container', 'stats', '--no-stream', '--no-trunc', '--format', fixed, `${P}p`];
      expect(ok(t.cli(both))).toBe(t.docker(both).stdout);
      const theirs = JSON.parse(t.docker(['stats', '--no-stream', '--format', 'json', `${P}p`]).stdout) as Record<string, string>;
      expect(Object.keys(json)).toEqual(Object.keys(theirs));
    }
  });

  it('fails like docker for a missing container', () => {
    const r = t.cli(['stats', '--no-stream', `${P}nosuch`]);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `Error response from daemon: No such container: ${P}nosuch\n` });
    if (hasDocker) expect(r).toEqual(t.docker(['stats', '--no-stream', `${P}nosuch`]));
  });

  it('without names lists the running containers (-a: all), by 12-character ID', () => {
    ok(t.cli(['create', '--name', `${P}created`, TEST_IMAGE, 'true']));
    const running = ok(t.cli(['stats', '--no-stream', '--format', '{{.Container}} {{.Name}}']));
    expect(running).toContain(`${P}p\n`);
    expect(running).not.toContain(`${P}created`);
    expect(running.split('\n')[0]).toMatch(/^[0-9a-f]{12} /);
    expect(ok(t.cli(['stats', '-a', '--no-stream', '--format', '{{.Name}}']))).toContain(`${P}created\n`);
  });

  it('streams: redraws the table in place (cursor home, lines erased, rest cleared) every 500 ms', async () => {
    const run = t.cliAsync(['stats', `${P}p`]);
    await sleep(2500);
    process.kill(run.pid, 'SIGINT');
    const r = await run.done;
    const frames = r.stdout.split('\x1b[H').slice(1);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    for (const frame of frames) {
      expect(frame.endsWith(' \x1b[K\n\x1b[J')).toBe(true);
      const lines = frame.split('\n');
      expect(lines[0]).toMatch(/^CONTAINER ID +NAME +CPU % .* \x1b\[K$/);
      expect(lines[1]).toMatch(new RegExp(`^[0-9a-f]{12} +${P}p +\\d+\\.\\d\\d% .* \\x1b\\[K$`));
    }
  });
});

describe('events', () => {
  it('prints past events as docker does, with --since/--until, --filter and --format', async () => {
    ok(t.cli(['pause', `${P}p`]));
    ok(t.cli(['unpause', `${P}p`]));
    // `--until 0s` is now in whole seconds (docker's GetTimestamp truncates too): let the unpause's second pass.
    await sleep(1010 - (Date.now() % 1000));
    const args = ['--since', '5m', '--until', '0s', '--filter', `container=${P}p`, '--filter', 'event=pause', '--filter', 'event=unpause'];
    const text = ok(t.cli(['events', ...args]));
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.at(-1)).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}(Z|[+-]\\d\\d:\\d\\d) container unpause [0-9a-f]{64} \\(image=${TEST_IMAGE.replace(':latest', '(:latest)?')}, name=${P}p\\)$`));
    const formatted = ok(t.cli(['system', 'events', ...args, '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']));
    expect(formatted.trimEnd().split('\n').slice(-2)).toEqual([`container pause ${P}p`, `container unpause ${P}p`]);
    const json = ok(t.cli(['events', ...args, '--format', 'json'])).trimEnd().split('\n');
    expect(JSON.parse(json.at(-1)!)).toMatchObject({ Type: 'container', Action: 'unpause', Actor: { Attributes: { name: `${P}p` } } });
    if (hasDocker) {
      // The same events, printed the same way (--until makes both end at once).
      const until = String(Math.floor(Date.now() / 1000));
      const same = ['--since', '5m', '--until', until, '--filter', `container=${P}p`];
      expect(t.cli(['events', ...same])).toEqual(t.docker(['events', ...same]));
      expect(t.cli(['events', ...same, '--format', 'json'])).toEqual(t.docker(['events', ...same, '--format', 'json']));
    }
  });

  it('streams new events until interrupted', async () => {
    const run = t.cliAsync(['events', '--filter', `container=${P}p`, '--format', '{{.Action}}']);
    await sleep(700);
    ok(t.cli(['pause', `${P}p`]));
    ok(t.cli(['unpause', `${P}p`]));
    await sleep(500);
    process.kill(run.pid, 'SIGINT');
    const r = await run.done;
    expect(r.stdout).toBe('pause\nunpause\n');
  });
});
