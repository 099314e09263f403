// Container resources at run time, end to end: the real docker CLI 28.2.2
// against a real tsdockerd. Limits given at create land in the container's
// cgroup; an OOM kill is exit 137, State.OOMKilled and an `oom` event;
// pause/unpause freeze the processes (and stop/kill/rm still work on a paused
// container); update changes a running container's cgroup and persists the
// HostConfig; stats shows real CPU %, memory and PIDs (Docker's JSON, one
// frame (two reads half a second apart), one-shot and streamed).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostCgroupLayout } from '../../src/system/cgroup-layout';
import { ok, cleanupWithContainers, startBusyboxDaemon, type CommandResult, type TestDaemon } from '../helpers/daemon';

const layout = hostCgroupLayout();
const v2 = layout.version === '2';
const BUSY = ['sh', '-c', 'while :; do :; done'];

let d: TestDaemon;
beforeAll(async () => {
  d = await startBusyboxDaemon();
}, 60_000);
afterAll(() => cleanupWithContainers(d));

function fails(r: CommandResult, stderr: string): void {
  expect(r.stderr).toBe(`Error response from daemon: ${stderr}\n`);
  expect(r.code).toBe(1);
}

const idOf = (name: string): string => ok(d.docker(['inspect', '-f', '{{.Id}}', name])).trim();

/** A control file of the container's cgroup: v1 in the controller's hierarchy, v2 in the one directory. */
function cgFile(name: string, controller: string, v1File: string, v2File: string): string {
  const id = idOf(name);
  if (layout.version === '2') return readFileSync(join(layout.root, 'tsdocker', id, v2File), 'utf8').trim();
  return readFileSync(join(layout.mounts.get(controller)!, 'tsdocker', id, v1File), 'utf8').trim();
}

/** CPU time used so far, in ns. */
function cpuUsage(name: string): number {
  if (v2) return Number(/usage_usec (\d+)/.exec(cgFile(name, 'cpu', '', 'cpu.stat'))![1]) * 1000;
  return Number(cgFile(name, 'cpuacct', 'cpuacct.usage', ''));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The first `n` JSON lines of a streamed answer; then the request is dropped. */
function streamLines(path: string, n: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: d.socket, path }, (res) => {
      let buf = '';
      const out: unknown[] = [];
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          out.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
          if (out.length === n) {
            req.destroy();
            resolve(out);
            return;
          }
        }
      });
      res.on('end', () => resolve(out));
    });
    req.on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
  });
}

describe('limits at create', () => {
  it('puts -m, --cpus, --cpu-shares, --cpuset-cpus and --pids-limit in the cgroup', () => {
    ok(d.docker(['run', '-d', '--name', 'lim', '-m', '32m', '--cpus', '0.5', '--cpu-shares', '512', '--cpuset-cpus', '0', '--pids-limit', '10', 'busybox', 'sleep', '300']));
    expect(cgFile('lim', 'memory', 'memory.limit_in_bytes', 'memory.max')).toBe('33554432');
    if (v2) expect(cgFile('lim', 'cpu', '', 'cpu.max')).toBe('50000 100000');
    else expect([cgFile('lim', 'cpu', 'cpu.cfs_quota_us', ''), cgFile('lim', 'cpu', 'cpu.cfs_period_us', ''), cgFile('lim', 'cpu', 'cpu.shares', '')]).toEqual(['50000', '100000', '512']);
    expect(cgFile('lim', 'cpuset', 'cpuset.cpus', 'cpuset.cpus')).toBe('0');
    expect(cgFile('lim', 'pids', 'pids.max', 'pids.max')).toBe('10');
    expect(ok(d.docker(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}}', 'lim']))).toBe('33554432 67108864 500000000\n');
    ok(d.docker(['rm', '-f', 'lim']));
  });

  it('applies --memory-swappiness on cgroup v1 (0 included, -1 unset) and discards it with dockerd\'s warning on v2', async () => {
    const swappiness = (name: string) => ok(d.docker(['inspect', '-f', '{{json .HostConfig.MemorySwappiness}}', name])).trim();
    const run = (name: string, value: string) => d.docker(['run', '-d', '--name', name, '--memory-swappiness', value, 'busybox', 'sleep', '300']);
    if (v2) {
      const r = run('swp17', '17');
      expect(r.stderr).toBe('WARNING: Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.\n');
      expect(swappiness('swp17')).toBe('null');
    } else {
      ok(run('swp17', '17'));
      ok(run('swp0', '0'));
      expect(cgFile('swp17', 'memory', 'memory.swappiness', '')).toBe('17');
      expect(cgFile('swp0', 'memory', 'memory.swappiness', '')).toBe('0');
      expect([swappiness('swp17'), swappiness('swp0')]).toEqual(['17', '0']);
      ok(d.docker(['rm', '-f', 'swp0']));
    }
    ok(run('swpunset', '-1'));
    expect(swappiness('swpunset')).toBe('null');
    const bad = await d.request('POST', '/v1.41/containers/create', { Image: 'busybox', HostConfig: { MemorySwappiness: 101 } });
    expect([bad.status, JSON.parse(bad.body)]).toEqual([400, { message: 'Invalid value: 101, valid memory swappiness range is 0-100' }]);
    ok(d.docker(['rm', '-f', 'swp17', 'swpunset']));
  });

  it.skipIf(v2)('disables the OOM killer with --oom-kill-disable (cgroup v1)', () => {
    ok(d.docker(['run', '-d', '--name', 'nooom', '-m', '16m', '--oom-kill-disable', 'busybox', 'sleep', '300']));
    expect(cgFile('nooom', 'memory', 'memory.oom_control', '')).toMatch(/^oom_kill_disable 1$/m);
    expect(ok(d.docker(['inspect', '-f', '{{.HostConfig.OomKillDisable}}', 'nooom']))).toBe('true\n');
    ok(d.docker(['rm', '-f', 'nooom']));
  });

  it('reports an OOM kill: exit 137, State.OOMKilled, an oom event before die', async () => {
    const since = Math.floor(Date.now() / 1000);
    const r = d.docker(['run', '--name', 'hog', '-m', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'x=a; while :; do x=$x$x; done']);
    expect(r.code).toBe(137);
    expect(ok(d.docker(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}} {{.State.Status}}', 'hog']))).toBe('true 137 exited\n');
    const id = idOf('hog');
    await sleep(1100); // `until` must be past the events' second
    const events = await d.request('GET', `/events?since=${since}&until=${Math.floor(Date.now() / 1000)}`);
    const actions = events.body
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { Action: string; Actor: { ID: string } })
      .filter((e) => e.Actor.ID === id)
      .map((e) => e.Action);
    expect(actions.slice(-2)).toEqual(['oom', 'die']);
    // A clean exit is not an OOM kill.
    ok(d.docker(['run', '--name', 'fine', '-m', '16m', 'busybox', 'true']));
    expect(ok(d.docker(['inspect', '-f', '{{.State.OOMKilled}}', 'fine']))).toBe('false\n');
    ok(d.docker(['rm', 'hog', 'fine']));
  });
});

describe('pause and unpause', () => {
  it('freezes every process, shows paused, and thaws', async () => {
    const id = ok(d.docker(['run', '-d', '--name', 'pz', 'busybox', ...BUSY])).trim();
    const pid = Number(ok(d.docker(['inspect', '-f', '{{.State.Pid}}', 'pz'])));
    expect(ok(d.docker(['pause', 'pz']))).toBe('pz\n');
    expect(ok(d.docker(['ps', '--filter', 'name=pz', '--format', '{{.State}} {{.Status}}']))).toMatch(/^paused Up .* \(Paused\)\n$/);
    expect(ok(d.docker(['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.State.Paused}}', 'pz']))).toBe('paused true true\n');
    if (v2) expect(cgFile('pz', '', '', 'cgroup.events')).toMatch(/^frozen 1$/m);
    else {
      expect(cgFile('pz', 'freezer', 'freezer.state', '')).toBe('FROZEN');
      expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^State:\s+D/m);
    }
    const frozenAt = cpuUsage('pz');
    await sleep(300);
    expect(cpuUsage('pz')).toBe(frozenAt);
    fails(d.docker(['pause', 'pz']), `Container ${id} is already paused`);

    expect(ok(d.docker(['unpause', 'pz']))).toBe('pz\n');
    expect(ok(d.docker(['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'pz']))).toBe('running false\n');
    await sleep(300);
    expect(cpuUsage('pz')).toBeGreaterThan(frozenAt);
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^State:\s+R/m);
    fails(d.docker(['unpause', 'pz']), `Container ${id} is not paused`);
    ok(d.docker(['rm', '-f', 'pz']));
  });

  it('stops health probes while paused, and resumes them', async () => {
    ok(d.docker(['run', '-d', '--name', 'ph', '--health-cmd', 'true', '--health-interval', '100ms', 'busybox', 'sleep', '300']));
    /** When the last probe started (the log keeps the last 5). */
    const lastProbe = (): string => (JSON.parse(ok(d.docker(['inspect', '-f', '{{json .State.Health.Log}}', 'ph']))) as Array<{ Start: string }>).at(-1)!.Start;
    await sleep(500);
    ok(d.docker(['pause', 'ph']));
    const paused = lastProbe();
    await sleep(500);
    expect(lastProbe()).toBe(paused);
    expect(ok(d.docker(['inspect', '-f', '{{.State.Health.Status}}', 'ph']))).toBe('healthy\n');
    ok(d.docker(['unpause', 'ph']));
    await sleep(500);
    expect(lastProbe()).not.toBe(paused);
    ok(d.docker(['rm', '-f', 'ph']));
  });

  it('refuses exec and attach while paused, with dockerd’s errors', async () => {
    const id = ok(d.docker(['run', '-d', '--name', 'pe', 'busybox', 'sleep', '300'])).trim();
    const early = await d.request('POST', '/containers/pe/exec', { Cmd: ['touch', '/tmp/early'] });
    const earlyId = (JSON.parse(early.body) as { Id: string }).Id;
    ok(d.docker(['pause', 'pe']));
    const refused = async (method: string, path: string, body: unknown, message: string): Promise<void> => {
      const r = await d.request(method, path, body);
      expect([r.status, JSON.parse(r.body)]).toEqual([409, { message }]);
    };
    // The create's error names the container as the client did; the start's, by its ID.
    fails(d.docker(['exec', 'pe', 'true']), 'Container pe is paused, unpause the container before exec');
    await refused('POST', `/containers/${id.slice(0, 5)}/exec`, { Cmd: ['true'] }, `Container ${id.slice(0, 5)} is paused, unpause the container before exec`);
    await refused('POST', `/exec/${earlyId}/start`, { Detach: true }, `Container ${id} is paused, unpause the container before exec`);
    // The docker CLI refuses from the inspect; the API refuses before the hijack.
    expect(d.docker(['attach', 'pe'])).toEqual({ code: 1, stdout: '', stderr: 'You cannot attach to a paused container, unpause it first\n' });
    await refused('POST', `/containers/${id.slice(0, 6)}/attach?stream=1&stdout=1`, undefined, `container ${id.slice(0, 6)} is paused, unpause the container before attach`);

    ok(d.docker(['unpause', 'pe']));
    expect((await d.request('POST', `/exec/${earlyId}/start`, { Detach: true })).status).toBe(200);
    expect(ok(d.docker(['exec', 'pe', 'sh', '-c', 'sleep 0.2; ls /tmp']))).toBe('early\n');
    ok(d.docker(['rm', '-f', 'pe']));
  });

  it('refuses to pause a container that does not run', () => {
    const id = ok(d.docker(['create', '--name', 'pc', 'busybox', 'true'])).trim();
    fails(d.docker(['pause', 'pc']), `Container ${id} is not running`);
    fails(d.docker(['unpause', 'pc']), `Container ${id} is not paused`);
    ok(d.docker(['rm', 'pc']));
  });

  it('still stops, kills and removes a paused container (thawed after the signal)', () => {
    ok(d.docker(['run', '-d', '--name', 'ps1', 'busybox', ...BUSY]));
    ok(d.docker(['pause', 'ps1']));
    // The shell as pid 1 ignores TERM: SIGKILL after the timeout.
    expect(ok(d.docker(['stop', '-t', '1', 'ps1']))).toBe('ps1\n');
    expect(ok(d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Paused}}', 'ps1']))).toBe('exited 137 false\n');
    ok(d.docker(['start', 'ps1']));
    ok(d.docker(['pause', 'ps1']));
    ok(d.docker(['kill', 'ps1']));
    expect(ok(d.docker(['wait', 'ps1']))).toBe('137\n');
    ok(d.docker(['start', 'ps1']));
    ok(d.docker(['pause', 'ps1']));
    expect(ok(d.docker(['rm', '-f', 'ps1']))).toBe('ps1\n');
    expect(ok(d.docker(['ps', '-aq', '--filter', 'name=ps1']))).toBe('');
  });
});

describe('docker update', () => {
  it('changes a running container cgroup and persists the HostConfig', () => {
    ok(d.docker(['run', '-d', '--name', 'up', '-m', '32m', 'busybox', 'sleep', '300']));
    expect(ok(d.docker(['update', '-m', '48m', '--cpus', '0.25', '--pids-limit', '20', '--restart', 'on-failure:3', 'up']))).toBe('up\n');
    expect(cgFile('up', 'memory', 'memory.limit_in_bytes', 'memory.max')).toBe(String(48 << 20));
    expect(cgFile('up', 'pids', 'pids.max', 'pids.max')).toBe('20');
    if (v2) expect(cgFile('up', 'cpu', '', 'cpu.max')).toBe('25000 100000');
    else expect(cgFile('up', 'cpu', 'cpu.cfs_quota_us', '')).toBe('25000');
    expect(ok(d.docker(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'up']))).toBe(
      `${48 << 20} 250000000 20 on-failure:3\n`,
    );
    // Raising memory and memsw together: the kernel order is ours to get right.
    ok(d.docker(['update', '-m', '100m', '--memory-swap', '200m', 'up']));
    expect(cgFile('up', 'memory', 'memory.limit_in_bytes', 'memory.max')).toBe(String(100 << 20));
    if (!v2) expect(cgFile('up', 'memory', 'memory.memsw.limit_in_bytes', '')).toBe(String(200 << 20));
    ok(d.docker(['update', '--pids-limit', '-1', 'up']));
    expect(cgFile('up', 'pids', 'pids.max', 'pids.max')).toBe('max');
  });

  it('answers with dockerd errors and Warnings', async () => {
    const id = idOf('up');
    fails(d.docker(['update', '--cpu-quota', '50000', 'up']), `Cannot update container ${id}: Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set`);
    fails(d.docker(['update', '-m', '1k', 'up']), 'Minimum memory limit allowed is 6MB');
    fails(d.docker(['update', '--restart', 'bogus', 'up']), "invalid restart policy: unknown policy 'bogus'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
    const noLimit = ok(d.docker(['run', '-d', '--name', 'nolim', 'busybox', 'sleep', '300'])).trim();
    fails(d.docker(['update', '-m', '64m', 'nolim']), `Cannot update container ${noLimit}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`);
    ok(d.docker(['update', '-m', '64m', '--memory-swap', '-1', 'nolim']));
    expect(cgFile('nolim', 'memory', 'memory.limit_in_bytes', 'memory.max')).toBe(String(64 << 20));
    const r = await d.request('POST', '/v1.50/containers/nolim/update', { CpuShares: 256 });
    expect([r.status, JSON.parse(r.body)]).toEqual([200, { Warnings: [] }]);
    const rm = ok(d.docker(['run', '-d', '--rm', '--name', 'autorm', 'busybox', 'sleep', '300'])).trim();
    fails(d.docker(['update', '--restart', 'always', 'autorm']), `Cannot update container ${rm}: Restart policy cannot be updated because AutoRemove is enabled for the container`);
    ok(d.docker(['rm', '-f', 'nolim', 'autorm']));
  });

  it('gives a stopped container its new limits at the next start', () => {
    ok(d.docker(['create', '--name', 'later', 'busybox', 'sleep', '300']));
    ok(d.docker(['update', '--pids-limit', '7', 'later']));
    ok(d.docker(['start', 'later']));
    expect(cgFile('later', 'pids', 'pids.max', 'pids.max')).toBe('7');
    ok(d.docker(['rm', '-f', 'later', 'up']));
  });
});

describe('docker stats', () => {
  it('--no-stream shows real CPU %, the memory limit and PIDs of a busy container', () => {
    ok(d.docker(['run', '-d', '--name', 'busy', '-m', '32m', 'busybox', ...BUSY]));
    const out = ok(d.docker(['stats', '--no-stream', '--format', '{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}', 'busy']));
    const [name, cpu, mem, pids] = out.trim().split('|');
    expect(name).toBe('busy');
    expect(Number.parseFloat(cpu!)).toBeGreaterThan(10);
    expect(mem).toMatch(/^[\d.]+[KM]iB \/ 32MiB$/);
    expect(pids).toBe('1');
    const table = ok(d.docker(['stats', '--no-stream', 'busy'])).split('\n');
    expect(table[0]).toMatch(/^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
  });

  it('answers Docker JSON: stream=0 with precpu, one-shot without, an empty frame for a stopped container', async () => {
    const id = idOf('busy');
    const r = await d.request('GET', '/containers/busy/stats?stream=0');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    const s = JSON.parse(r.body);
    expect(s.id).toBe(id);
    expect(s.name).toBe('/busy');
    expect(s.cpu_stats.cpu_usage.total_usage).toBeGreaterThan(s.precpu_stats.cpu_usage.total_usage);
    expect(s.precpu_stats.cpu_usage.total_usage).toBeGreaterThan(0);
    expect(s.cpu_stats.system_cpu_usage).toBeGreaterThan(s.precpu_stats.system_cpu_usage);
    expect(s.cpu_stats.online_cpus).toBeGreaterThan(0);
    expect(Date.parse(s.read) - Date.parse(s.preread)).toBeGreaterThanOrEqual(450);
    expect(s.memory_stats.limit).toBe(32 << 20);
    expect(s.memory_stats.usage).toBeGreaterThan(0);
    expect(s.pids_stats.current).toBe(1);
    expect(s).toHaveProperty('blkio_stats.io_service_bytes_recursive');
    expect(Object.keys(s.networks)).toEqual(['eth0']); // loopback left out, as dockerd

    const one = JSON.parse((await d.request('GET', '/containers/busy/stats?stream=0&one-shot=1')).body);
    expect(one.preread).toBe('0001-01-01T00:00:00Z');
    expect(one.precpu_stats.cpu_usage.total_usage).toBe(0);
    expect(one.cpu_stats.cpu_usage.total_usage).toBeGreaterThan(0);
    const both = await d.request('GET', '/containers/busy/stats?stream=1&one-shot=1');
    expect([both.status, JSON.parse(both.body).message]).toEqual([400, 'cannot have stream=true and one-shot=true']);

    const stoppedId = ok(d.docker(['create', '--name', 'idle', 'busybox', 'true'])).trim();
    const empty = JSON.parse((await d.request('GET', '/containers/idle/stats?stream=0')).body);
    expect(empty).toMatchObject({ read: '0001-01-01T00:00:00Z', pids_stats: {}, memory_stats: {}, name: '/idle', id: stoppedId });
    expect(ok(d.docker(['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.PIDs}}', 'idle']))).toBe('idle 0.00% 0\n');
    ok(d.docker(['rm', 'idle']));
  });

  it('streams a frame a second, precpu from the frame before', async () => {
    const [a, b] = (await streamLines('/containers/busy/stats', 2)) as Array<{ read: string; preread: string; cpu_stats: { cpu_usage: { total_usage: number } }; precpu_stats: { cpu_usage: { total_usage: number } } }>;
    expect(a!.preread).toBe('0001-01-01T00:00:00Z');
    expect(b!.preread).toBe(a!.read);
    expect(b!.precpu_stats.cpu_usage.total_usage).toBe(a!.cpu_stats.cpu_usage.total_usage);
    expect(b!.cpu_stats.cpu_usage.total_usage).toBeGreaterThan(a!.cpu_stats.cpu_usage.total_usage);
    ok(d.docker(['rm', '-f', 'busy']));
  });
});
