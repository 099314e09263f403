// tsd-shim end to end: stdio pipes and pty, attach, json-file log and rotation,
// exit records, error propagation; with tsd-runtime and with runc underneath.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shimPath } from '../../src/native/paths';
import { readExitFile, ShimError, startShim, type ShimAttach } from '../../src/native/shim-client';
import { canRunContainers, makeRootfs, rt, runcInstalled } from './bundle';
import { alive, waitFor } from './procs';
import { Shims } from './shims';

const haveRunc = runcInstalled();
const enabled = canRunContainers() && existsSync(shimPath());

let dir: string;
let cgParent: string;
let shims: Shims;

beforeAll(() => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'tsd-shim-'));
  cgParent = `/tsdshimtest-${process.pid}`;
  shims = new Shims(dir, makeRootfs(join(dir, 'rootfs-holder')), cgParent, 's');
});

afterAll(async () => {
  if (!enabled) return;
  await shims.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function collect(a: ShimAttach): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  a.stdout.on('data', (b: Buffer) => (out += b.toString()));
  a.stderr.on('data', (b: Buffer) => (err += b.toString()));
  return { out: () => out, err: () => err };
}

function logEntries(file: string): Array<{ log: string; stream: string; time: string }> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
}

const SCRIPT = 'echo out1; echo err1 >&2; read x; echo "got $x"; cat; echo done; exit 3';

describe.skipIf(!enabled)('tsd-shim', () => {
  for (const runtime of ['tsd', 'runc'] as const) {
    it.skipIf(runtime === 'runc' && !haveRunc)(`owns stdio, log and exit status (${runtime})`, async () => {
      const c = await shims.launch({ args: ['sh', '-c', SCRIPT] }, { stdin: true, ...(runtime === 'runc' ? { runtime: 'runc' as const } : {}) });
      expect(await c.client.state()).toMatchObject({ id: c.id, pid: c.pid, status: 'created' });
      const shimPid = Number(readFileSync(join(c.stateDir, 'shim.pid'), 'utf8'));
      // Daemonized: its own session, not our child.
      const stat = readFileSync(`/proc/${shimPid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      expect(Number(stat[3])).toBe(shimPid); // session id
      expect(Number(stat[1])).not.toBe(process.pid);
      expect(Number(readFileSync(`/proc/${shimPid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)![1])).toBeLessThanOrEqual(2048);

      const a = await c.client.attach({ stdin: true, stdout: true, stderr: true });
      const got = collect(a);
      await c.client.start();
      expect((await c.client.state()).status).toBe('running');
      // The end of an attach without stdin-once only ends its input: `cat` reads on.
      a.stdin!.end('hello\n');
      await waitFor(() => got.out().includes('got hello'));
      const once = await c.client.attach({ stdin: true, stdinOnce: true, stdout: false, stderr: false });
      once.stdin!.end('more input\n');
      const exit = await a.exit;
      expect(exit).toMatchObject({ id: c.id, pid: c.pid, exitCode: 3, signal: 0, oomKilled: false });
      expect(got.out()).toBe('out1\ngot hello\nmore input\ndone\n');
      expect(got.err()).toBe('err1\n');
      expect(await c.client.wait()).toEqual(exit);
      expect(readExitFile(c.stateDir)).toEqual(exit);
      expect(await c.client.state()).toMatchObject({ status: 'stopped', exitCode: 3, exitedAt: exit!.exitedAt });

      const entries = logEntries(c.logFile);
      // stdout and stderr are separate pipes: their relative order is not defined.
      expect(entries.filter((e) => e.stream === 'stdout').map((e) => e.log)).toEqual(['out1\n', 'got hello\n', 'more input\n', 'done\n']);
      expect(entries.filter((e) => e.stream === 'stderr').map((e) => e.log)).toEqual(['err1\n']);
      for (const e of entries) expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
      expect(readFileSync(c.logFile, 'utf8').split('\n').find((l) => l.includes('out1'))).toMatch(/^\{"log":"out1\\n","stream":"stdout","time":"[^"]+"\}$/);
      // The runtime's record is gone, and with it the cgroup.
      const st = rt(runtime, c.runtimeRoot, ['state', c.id]);
      expect(st.status).not.toBe(0);
      expect(existsSync(`/sys/fs/cgroup/pids${cgParent}/${c.id}`)).toBe(false);
      // A late attach gets the exit at once.
      const late = await c.client.attach({ stdout: true });
      expect(await late.exit).toEqual(exit);
      await c.client.shutdown();
      await waitFor(() => !alive(shimPid));
      expect(existsSync(join(c.stateDir, 'shim.sock'))).toBe(false);
    });
  }

  it('reports a missing executable with status 127 and no shim left', async () => {
    const err = await shims.launch({ args: ['nope'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShimError);
    expect((err as ShimError).exitCode).toBe(127);
    expect((err as ShimError).message).toBe('exec: "nope": executable file not found in $PATH');
  });

  it('kills, refuses SHUTDOWN while running, records 128+signal', async () => {
    const c = await shims.launch({ args: ['sleep', '1000'] });
    await c.client.start();
    await expect(c.client.shutdown()).rejects.toThrow(/running/);
    await expect(c.client.resize(10, 10)).rejects.toThrow(/no terminal/);
    await c.client.kill('SIGKILL');
    const exit = await c.client.wait();
    expect(exit).toMatchObject({ exitCode: 137, signal: 9 });
    await expect(c.client.kill('TERM')).rejects.toThrow(/not running/);
    await expect(c.client.start()).rejects.toThrow();
  });

  it('serves a pty: output, resize, stdin', async () => {
    const c = await shims.launch({ args: ['sh', '-c', 'tty; stty size; read x; echo "got $x"'], terminal: true }, { stdin: true });
    await c.client.resize(33, 120);
    const a = await c.client.attach({ stdin: true, stdout: true });
    const got = collect(a);
    await c.client.start();
    await waitFor(() => got.out().includes('33 120'));
    a.stdin!.write('hi\n');
    const exit = await a.exit;
    expect(exit?.exitCode).toBe(0);
    expect(got.out()).toBe('/dev/pts/0\r\n33 120\r\nhi\r\ngot hi\r\n');
    expect(logEntries(c.logFile).every((e) => e.stream === 'stdout')).toBe(true);
  });

  it('escapes output like Docker and rotates the log', async () => {
    const script = "printf 'a<b>&c\\t\\001\\377\\n'; i=0; while [ $i -lt 200 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; printf tail";
    const c = await shims.launch({ args: ['sh', '-c', script] }, { logMaxSize: '2k', logMaxFile: 3 });
    await c.client.start();
    expect((await c.client.wait()).exitCode).toBe(0);
    expect(existsSync(`${c.logFile}.1`)).toBe(true);
    expect(existsSync(`${c.logFile}.2`)).toBe(true);
    expect(existsSync(`${c.logFile}.3`)).toBe(false);
    for (const f of [c.logFile, `${c.logFile}.1`, `${c.logFile}.2`]) {
      expect(readFileSync(f).length).toBeLessThanOrEqual(2048);
      expect(() => logEntries(f)).not.toThrow();
    }
    const last = logEntries(c.logFile);
    expect(last[last.length - 1]).toMatchObject({ log: 'tail', stream: 'stdout' });
    const first = readFileSync(`${c.logFile}.2`, 'utf8');
    expect(first.includes('line-')).toBe(true);
    const shimLog = join(c.stateDir, 'shim.log');
    expect(existsSync(shimLog) ? readFileSync(shimLog, 'utf8') : '').toBe('');
  });

  it("rotates the local driver's log by generation, gzips what it rotated, keeps max-file files in all", async () => {
    const script = 'i=0; while [ $i -lt 300 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; printf tail';
    const c = await shims.launch({ args: ['sh', '-c', script] }, { logMaxSize: '2k', logMaxFile: 3, local: { compress: true } });
    await c.client.start();
    expect((await c.client.wait()).exitCode).toBe(0);
    const logDir = dirname(c.logFile);
    expect(statSync(logDir).mode & 0o777).toBe(0o700);
    const rotated = readdirSync(logDir).filter((f) => f !== 'container.log');
    // Gens only grow: the two newest are kept, gzipped, and nothing half-done is left.
    expect(rotated.length).toBe(2);
    const gens = rotated.map((f) => Number(/^container\.log\.(\d+)\.gz$/.exec(f)?.[1])).sort((a, b) => a - b);
    expect(gens[0]).toBeGreaterThan(1);
    expect(gens[1]).toBe(gens[0]! + 1);
    const lines: string[] = [];
    for (const gen of gens) {
      const data = gunzipSync(readFileSync(join(logDir, `container.log.${gen}.gz`)));
      expect(data.length).toBeLessThanOrEqual(2048);
      lines.push(...data.toString('utf8').split('\n').filter(Boolean));
    }
    lines.push(...readFileSync(c.logFile, 'utf8').split('\n').filter(Boolean));
    const logs = lines.map((l) => (JSON.parse(l) as { log: string }).log);
    // What is kept is the end of the output, in order, with no gap.
    expect(logs[logs.length - 1]).toBe('tail');
    const first = Number(/^line-(\d+)-/.exec(logs[0]!)![1]);
    expect(logs.slice(0, -1)).toEqual(Array.from({ length: 300 - first }, (_, i) => `line-${first + i}-${'x'.repeat(32)}\n`));

    // Without compress the rotated files stay plain.
    const plain = await shims.launch({ args: ['sh', '-c', script] }, { logMaxSize: '2k', logMaxFile: 2, local: { compress: false } });
    await plain.client.start();
    await plain.client.wait();
    expect(readdirSync(dirname(plain.logFile)).filter((f) => f !== 'container.log')).toEqual([expect.stringMatching(/^container\.log\.\d+$/)]);
  });

  it('runs exec processes through their own shims (stdio, exit code, errors, tty)', async () => {
    const c = await shims.launch({ args: ['sleep', '1000'] });
    await c.client.start();
    const execOne = async (name: string, proc: Record<string, unknown>, opts: { stdin?: boolean; terminal?: boolean } = {}) => {
      const file = join(dir, `${c.id}-${name}.json`);
      writeFileSync(file, JSON.stringify({ cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0 }, ...proc }));
      const stateDir = join(dir, `${c.id}-${name}.state`);
      const { pid, client } = await startShim({ id: c.id, bundle: c.bundle, stateDir, runtimeRoot: c.runtimeRoot, execProcess: file, stdin: opts.stdin ?? false, terminal: opts.terminal ?? false });
      shims.track(stateDir, client);
      expect(pid).toBe(0);
      return client;
    };
    const e1 = await execOne('e1', { args: ['sh', '-c', 'read x; echo "in-$x $$"; echo oops >&2; exit 4'] }, { stdin: true });
    const a = await e1.attach({ stdin: true, stdinOnce: true, stdout: true, stderr: true });
    const got = collect(a);
    await e1.start();
    a.stdin!.end('ctr\n');
    expect(await a.exit).toMatchObject({ exitCode: 4 });
    expect(got.out()).toMatch(/^in-ctr \d+\n$/);
    expect(got.out()).not.toBe('in-ctr 1\n'); // not the init
    expect(got.err()).toBe('oops\n');
    expect((await c.client.state()).status).toBe('running'); // the container is untouched

    const e2 = await execOne('e2', { args: ['nope'] });
    await expect(e2.start()).rejects.toThrow('exec: "nope": executable file not found in $PATH');
    expect(await e2.wait()).toMatchObject({ exitCode: 127 });

    const e3 = await execOne('e3', { args: ['sh', '-c', 'tty'], terminal: true }, { terminal: true });
    const a3 = await e3.attach({ stdout: true });
    const got3 = collect(a3);
    await e3.start();
    expect((await a3.exit)?.exitCode).toBe(0);
    expect(got3.out()).toMatch(/^\/dev\/pts\/\d+\r\n$/);

    await c.client.kill('KILL');
    expect((await c.client.wait()).exitCode).toBe(137);
  });

  it('escapes like Go encoding/json (HTML-safe, U+FFFD for bad UTF-8)', async () => {
    const c = await shims.launch({ args: ['sh', '-c', "printf 'a<b>&c\\t\\001\\377é\\n'"] });
    await c.client.start();
    await c.client.wait();
    expect(readFileSync(c.logFile, 'utf8')).toMatch(/^\{"log":"a\\u003cb\\u003e\\u0026c\\t\\u0001\\ufffdé\\n","stream":"stdout"/);
  });
});
