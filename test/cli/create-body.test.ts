// run/create flag parsing: the POST /containers/create request tsdocker builds
// must be the docker CLI 28.2.2's byte for byte. The expected requests in
// fixtures/docker-create-bodies.json were captured from `docker create …`
// through a logging proxy in front of a real dockerd.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enableGoFlags, goFlagErrors } from '../../src/cli/commands/containers-flags';
import { parseMount, parsePorts } from '../../src/cli/commands/containers-mounts';
import { defineCreateCommand } from '../../src/cli/commands/containers-opts';
import { createRequest } from '../../src/cli/commands/containers-run';
import { apiTimestamp, goQuote, nanoCpus, parseDuration, ramInBytes } from '../../src/cli/commands/containers-units';
import { CliError } from '../../src/cli/cli';
import { ROOT } from '../helpers/daemon';

interface Captured {
  args: string[];
  url: string;
  body: string;
}

const captured = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'docker-create-bodies.json'), 'utf8')) as Captured[];

/** The create request tsdocker would send for `create ARGS` (its URL and JSON text). */
async function request(args: string[]): Promise<{ url: string; body: string }> {
  let result: { url: string; body: string } | undefined;
  const cmd = defineCreateCommand(new Command('create').exitOverride(), false).action(
    (image: string, rest: string[], _o: unknown, self: Command) => {
      const { req } = createRequest(self, 'create', image, rest);
      const qs = new URLSearchParams(req.query as Record<string, string>).toString();
      result = { url: `/containers/create${qs ? `?${qs}` : ''}`, body: JSON.stringify(req.body) };
    },
  );
  await cmd.parseAsync(args, { from: 'user' });
  return result!;
}

describe('create request', () => {
  const saved = { cwd: process.cwd(), B: process.env['B'] };
  beforeAll(() => {
    // The fixtures' env file names B without a value: docker took it from its environment.
    process.env['B'] = 'fromenv';
    delete process.env['UNSET_IN_ENV'];
    process.chdir(ROOT);
  });
  afterAll(() => {
    process.chdir(saved.cwd);
    if (saved.B === undefined) delete process.env['B'];
    else process.env['B'] = saved.B;
  });

  it.each(captured.map((c) => [c.args.join(' '), c] as const))('is docker 28.2.2\'s for: %s', async (_name, c) => {
    expect(await request(c.args)).toEqual({ url: c.url, body: c.body });
  });

  it('reports docker\'s parse errors with exit status 125', async () => {
    const fail = async (args: string[]) => {
      try {
        await request(args);
      } catch (err) {
        expect(err).toBeInstanceOf(CliError);
        expect((err as CliError).exitCode).toBe(125);
        return (err as Error).message.split('\n')[0];
      }
      throw new Error(`no error for ${args.join(' ')}`);
    };
    expect(await fail(['--rm', '--restart', 'always', 'busybox'])).toBe('tsdocker: conflicting options: cannot specify both --restart and --rm');
    expect(await fail(['--pull', 'bogus', 'busybox'])).toBe(`tsdocker: invalid pull option: 'bogus': must be one of "always", "missing" or "never"`);
    expect(await fail(['--no-healthcheck', '--health-cmd', 'x', 'busybox'])).toBe('tsdocker: --no-healthcheck conflicts with --health-* options');
    expect(await fail(['--env-file', '/nonexistent.env', 'busybox'])).toBe('tsdocker: open /nonexistent.env: no such file or directory');
    expect(await fail(['--memory-swappiness', '101', 'busybox'])).toBe('tsdocker: invalid value: 101. Valid memory swappiness range is 0-100');
    expect(await fail(['--pid', 'bogus', 'busybox'])).toBe('tsdocker: --pid: invalid PID mode');
  });

  it('takes flags after the image as the command\'s arguments', async () => {
    const { body } = await request(['busybox', 'ls', '-l', '--rm']);
    expect(JSON.parse(body)).toMatchObject({ Cmd: ['ls', '-l', '--rm'], HostConfig: { AutoRemove: false } });
  });
});

describe('pflag syntax on commander', () => {
  const parse = async (args: string[]) => {
    const cmd = enableGoFlags(
      new Command('x').exitOverride().option('--sig-proxy').option('-t, --tty').option('-e, --env <v>', '', (v: string, p: string[] = []) => [...p, v]).argument('[rest...]').passThroughOptions(),
      false,
    ).action(() => {});
    await cmd.parseAsync(args, { from: 'user' });
    return { ...cmd.opts(), args: cmd.args };
  };
  it('reads --flag=false, -t=true and -e=value', async () => {
    expect(await parse(['--sig-proxy=false', '-t=true', '-e=A=1', '-eB=2', 'img', '--sig-proxy=true'])).toEqual({
      sigProxy: false, tty: true, env: ['A=1', 'B=2'], args: ['img', '--sig-proxy=true'],
    });
    expect(await parse(['--tty=0', '-te', 'C=3'])).toEqual({ tty: true, env: ['C=3'], args: [] });
  });
});

describe('value syntaxes', () => {
  it('parses sizes as go-units RAMInBytes', () => {
    expect(ramInBytes('64m')).toBe(64 * 1024 * 1024);
    expect(ramInBytes('1.5g')).toBe(1.5 * 1024 ** 3);
    expect(ramInBytes('10 kb')).toBe(10240);
    expect(ramInBytes('512')).toBe(512);
    expect(ramInBytes('1GiB')).toBe(1024 ** 3);
    expect(() => ramInBytes('1x')).toThrow("invalid suffix: 'x'");
    expect(() => ramInBytes('m')).toThrow("invalid size: 'm'");
  });
  it('parses Go durations, --cpus and timestamps', () => {
    expect(parseDuration('1m30s')).toBe(90e9);
    expect(parseDuration('500ms')).toBe(5e8);
    expect(parseDuration('-1.5h')).toBe(-5400e9);
    expect(() => parseDuration('5')).toThrow('missing unit');
    expect(nanoCpus('1.5')).toBe(1.5e9);
    expect(() => nanoCpus('1.0000000001')).toThrow('value is too precise');
    expect(apiTimestamp('10m', 1_000_000_000_000)).toBe(String(1_000_000_000 - 600));
    expect(apiTimestamp('2020-01-01T00:00:00Z')).toBe('1577836800.000000000');
    expect(apiTimestamp('1577836800.5')).toBe('1577836800.5');
    expect(() => apiTimestamp('bogus')).toThrow('failed to parse value as time or duration: "bogus"');
  });
  it('quotes as Go\'s strconv.Quote', () => {
    expect(goQuote(`sh -c 'echo "a\tb"…'`)).toBe(`"sh -c 'echo \\"a\\tb\\"…'"`);
    expect(goQuote('\x01\x7f')).toBe('"\\x01\\x7f"');
  });
  it('parses --mount and --publish with docker\'s errors', () => {
    expect(parseMount('type=bind,src=/a,dst=/b,ro')).toEqual({ Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true });
    expect(parseMount('dst=/v,"volume-label=a=b,c"')).toEqual({ Type: 'volume', Target: '/v', VolumeOptions: { Labels: { a: 'b,c' } } });
    expect(() => parseMount('type=bind,src=/a')).toThrow('target is required');
    expect(() => parseMount('type=tmpfs,dst=/t,bind-propagation=shared')).toThrow("cannot mix 'bind-*' options with mount type 'tmpfs'");
    expect(() => parseMount('type=bind,dst=/t,bogus=1')).toThrow("unexpected key 'bogus' in 'bogus=1'");
    expect(parsePorts(['80', '8080-8081:90-91', '[::1]:53:53/udp'], ['7000'])).toEqual({
      exposed: { '53/udp': {}, '7000/tcp': {}, '80/tcp': {}, '90/tcp': {}, '91/tcp': {} },
      bindings: {
        '53/udp': [{ HostIp: '::1', HostPort: '53' }],
        '80/tcp': [{ HostIp: '', HostPort: '' }],
        '90/tcp': [{ HostIp: '', HostPort: '8080' }],
        '91/tcp': [{ HostIp: '', HostPort: '8081' }],
      },
    });
    expect(() => parsePorts(['1-2:3-5'], [])).toThrow('invalid ranges specified for container and host Ports: 3-5 and 1-2');
  });
});

describe('network flags', () => {
  /** The first line of the error tsdocker gives for `create ARGS`. */
  async function failure(args: string[]): Promise<string> {
    let written = '';
    const cmd = goFlagErrors(defineCreateCommand(new Command('create').exitOverride(), false)).action(
      (image: string, rest: string[], _o: unknown, self: Command) => void createRequest(self, 'create', image, rest),
    );
    cmd.configureOutput({ writeErr: (t) => (written += t) });
    try {
      await cmd.parseAsync(args, { from: 'user' });
    } catch (err) {
      return (written || (err as Error).message).split('\n')[0]!;
    }
    throw new Error(`no error for ${args.join(' ')}`);
  }

  it('refuses what docker 28 refuses, with its messages', async () => {
    const cases: Array<[string, string]> = [
      ['--dns bogus', 'invalid argument "bogus" for "--dns" flag: IP address is not correctly formatted: bogus'],
      ['--dns ::1%eth0', 'invalid argument "::1%eth0" for "--dns" flag: IP address is not correctly formatted: ::1%eth0'],
      ['--link a:b:c', 'invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c'],
      ['--add-host bogus', 'invalid argument "bogus" for "--add-host" flag: bad format for add-host: "bogus"'],
      ['--add-host h:notip', 'invalid argument "h:notip" for "--add-host" flag: invalid IP address in add-host: "notip"'],
      ['--add-host a:b:1.1.1.1', 'invalid argument "a:b:1.1.1.1" for "--add-host" flag: invalid IP address in add-host: "b:1.1.1.1"'],
      ['--dns-search bad_domain', 'invalid argument "bad_domain" for "--dns-search" flag: bad_domain is not a valid domain'],
      ['--network name=n1,bogus=1', 'invalid argument "name=n1,bogus=1" for "--network" flag: invalid field key bogus'],
      ['--network alias=x', 'invalid argument "alias=x" for "--network" flag: network name/id is not specified'],
      ['--mac-address zz', 'tsdocker: zz is not a valid mac address'],
      ['--network-alias x', 'tsdocker: network-scoped aliases are only supported for user-defined networks'],
      ['--network n1 --network host', 'tsdocker: conflicting options: cannot attach both user-defined and non-user-defined network-modes'],
      ['--network n1 --net n1', 'tsdocker: network "n1" is specified multiple times'],
      ['--network name=n1,alias=x --network-alias y', 'tsdocker: conflicting options: cannot specify both --network-alias and per-network alias'],
      ['--network name=n1,ip=1.1.1.1 --ip 2.2.2.2', 'tsdocker: conflicting options: cannot specify both --ip and per-network IPv4 address'],
      ['--network name=n1,mac-address=zz', 'tsdocker: zz is not a valid mac address'],
    ];
    for (const [args, message] of cases) expect(await failure([...args.split(' '), 'busybox']), args).toContain(message);
  });
});
