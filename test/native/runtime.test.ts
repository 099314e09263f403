// tsd-runtime against runc on the same busybox bundle and a Docker-like
// config.json: what a process sees inside must be the same. Needs root, runc
// and /bin/busybox; every container, cgroup and temp dir is removed afterwards.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimePath } from '../../src/native/paths';
import { canRunContainers, dockerConfig, makeRootfs, parseProbe, removeCgroupParent, rt, runcInstalled, RuntimeRuns, writeConfig, type ProcessOptions, type Runtime } from './bundle';
import { alive, waitFor } from './procs';

const haveRunc = runcInstalled();
const enabled = canRunContainers();
const haveSeccomp = enabled && spawnSync(runtimePath(), ['--version'], { encoding: 'utf8' }).stdout.includes('seccomp: yes');

const PROBE = [
  'echo "hostname=$(hostname)"',
  "grep '^Cap' /proc/self/status",
  'echo "id=$(id)"',
  'echo "cwd=$(pwd)"',
  'echo "pid=$$"',
  'echo "env=$(env | sort | tr \'\\n\' \' \')"',
  'if mount -t tmpfs none /mnt 2>/dev/null; then echo mount=allowed; else echo mount=refused; fi',
  'echo "keys=$(cat /proc/keys 2>/dev/null | wc -c)"',
  'echo "kcore=$(cat /proc/kcore 2>/dev/null | wc -c)"',
  'if (echo x > /proc/sys/kernel/hostname) 2>/dev/null; then echo procsys=writable; else echo procsys=readonly; fi',
  'if (echo x > /proc/sysrq-trigger) 2>/dev/null; then echo sysrq=writable; else echo sysrq=readonly; fi',
  'echo "fds=$(ls /proc/self/fd | tr \'\\n\' \' \')"',
  'echo "unpriv=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"',
  'echo "nofile=$(ulimit -n)"',
  'echo "devs=$(ls /dev | tr \'\\n\' \' \')"',
  'echo "umask=$(umask)"',
  'echo "cgroups=$(ls /sys/fs/cgroup | tr \'\\n\' \' \')"',
  'echo "firmware=$(ls /sys/firmware | wc -l)"',
  'echo "nosys=$(touch /sys/x 2>&1 | grep -c Read-only)"',
].join('; ');

let dir: string;
let bundle: string;
let cgParent: string;
let runs: RuntimeRuns;

beforeAll(() => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'tsd-rt-'));
  bundle = join(dir, 'bundle');
  makeRootfs(bundle);
  runs = new RuntimeRuns(dir, 't');
  cgParent = `/tsdtest-${process.pid}`;
});

afterAll(() => {
  if (!enabled) return;
  runs.deleteAll();
  removeCgroupParent(cgParent);
  rmSync(dir, { recursive: true, force: true });
});

/** `run` the process in the bundle with the given runtime; stdout, stderr and status. */
function runIn(
  runtime: Runtime,
  p: ProcessOptions,
  edit?: (c: Record<string, unknown>) => void,
): { stdout: string; stderr: string; status: number | null } {
  const id = runs.nextId(runtime);
  const config = dockerConfig(id, cgParent, p);
  edit?.(config);
  writeConfig(bundle, config);
  return runs.run(runtime, bundle, id);
}

describe.skipIf(!enabled)('tsd-runtime', () => {
  it('runs a Docker-like container: namespaces, caps, masks, read-only paths', () => {
    const r = runIn('tsd', { args: ['sh', '-c', PROBE] });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const v = parseProbe(r.stdout);
    expect(v.pid).toBe('1');
    expect(v.hostname).toMatch(/^t\d+-tsd-\d+$/);
    expect(v.CapEff).toBe('00000000a80425fb'); // Docker's default set
    expect(v.CapBnd).toBe('00000000a80425fb');
    expect(v.CapInh).toBe('0000000000000000');
    expect(v.CapAmb).toBe('0000000000000000');
    expect(v.id).toBe('uid=0(root) gid=0(root)');
    expect(v.env).toBe(`HOME=/root HOSTNAME=${v.hostname!.slice(0, 12)} PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PWD=/ SHLVL=1`);
    expect(v.mount).toBe('refused');
    expect(v.kcore).toBe('0');
    expect(v.keys).toBe('0');
    expect(v.procsys).toBe('readonly');
    expect(v.sysrq).toBe('readonly');
    expect(v.fds).toBe('0 1 2 3');
    expect(v.unpriv).toBe('0');
    expect(v.nofile).toBe('1024');
    expect(v.umask).toBe('0022');
    expect(v.firmware).toBe('0');
    expect(v.nosys).toBe('1');
    const core = existsSync('/proc/kcore') ? 'core ' : '';
    expect(v.devs).toBe(`${core}fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero`);
  });

  it.skipIf(!haveRunc)('shows the same as runc for root', () => {
    const a = parseProbe(runIn('tsd', { args: ['sh', '-c', PROBE], env: ['PATH=/bin', 'FOO=bar baz'] }).stdout);
    const b = parseProbe(runIn('runc', { args: ['sh', '-c', PROBE], env: ['PATH=/bin', 'FOO=bar baz'] }).stdout);
    delete a.hostname;
    delete b.hostname;
    expect(a).toEqual(b);
    expect(a.env).toContain('FOO=bar baz');
  });

  it.skipIf(!haveRunc)('shows the same as runc for a non-root user with groups and a new cwd', () => {
    const p: ProcessOptions = { args: ['sh', '-c', PROBE], env: ['PATH=/usr/bin:/bin'], uid: 65534, gid: 65534, additionalGids: [10, 20], cwd: '/work/dir', noNewPrivileges: true };
    const a = parseProbe(runIn('tsd', p).stdout);
    const b = parseProbe(runIn('runc', p).stdout);
    delete a.hostname;
    delete b.hostname;
    expect(a).toEqual(b);
    expect(a.id).toBe('uid=65534(nobody) gid=65534(nogroup) groups=10,20');
    expect(a.env).toContain('HOME=/nonexistent');
    expect(a.cwd).toBe('/work/dir');
    expect(a.CapEff).toBe('0000000000000000');
  });

  it('reports a missing executable like Docker (127) and a non-executable one (126)', () => {
    const nf = runIn('tsd', { args: ['nope'] });
    expect(nf.status).toBe(127);
    expect(nf.stderr.trim()).toBe('exec: "nope": executable file not found in $PATH');
    const abs = runIn('tsd', { args: ['/bin/nope'] });
    expect(abs.status).toBe(127);
    expect(abs.stderr).toMatch(/no such file or directory/);
    const pd = runIn('tsd', { args: ['/etc/passwd'] });
    expect(pd.status).toBe(126);
    expect(pd.stderr).toMatch(/permission denied/);
    const bad = rt('tsd', runs.roots.tsd, ['create', '-b', bundle, '.hidden']);
    expect(bad.status).toBe(125);
    expect(bad.stderr).toMatch(/invalid character/);
    const logFile = join(dir, 'log.json');
    writeConfig(bundle, dockerConfig('nf', cgParent, { args: ['nope'] }));
    const r = rt('tsd', runs.roots.tsd, ['--log', logFile, '--log-format', 'json', 'create', '-b', bundle, 'nf']);
    expect(r.status).toBe(127);
    const entry = JSON.parse(readFileSync(logFile, 'utf8').trim().split('\n').pop()!) as { level: string; msg: string };
    expect(entry).toMatchObject({ level: 'error', msg: 'exec: "nope": executable file not found in $PATH' });
    expect(existsSync(join(runs.roots.tsd, 'nf'))).toBe(false);
  });

  it('goes through create, start, state, kill and delete', async () => {
    const id = runs.nextId('tsd');
    writeConfig(bundle, { ...dockerConfig(id, cgParent, { args: ['sh', '-c', 'trap "echo got-term; exit 7" TERM; echo started; while :; do sleep 0.05; done'] }), annotations: { 'org.example': 'x' } });
    const outFile = join(dir, `${id}.out`);
    const out = openSync(outFile, 'w');
    const pidFile = join(dir, `${id}.pid`);
    const c = spawnSync(runtimePath(), ['--root', runs.roots.tsd, 'create', '--bundle', bundle, '--pid-file', pidFile, id], { stdio: ['ignore', out, out], timeout: 20000 });
    closeSync(out);
    expect(c.status).toBe(0);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const st1 = JSON.parse(rt('tsd', runs.roots.tsd, ['state', id]).stdout) as Record<string, unknown>;
    expect(st1).toMatchObject({ ociVersion: '1.0.2', id, status: 'created', pid, bundle, annotations: { 'org.example': 'x' } });
    // CVE-2019-5736: the waiting init runs from a sealed memfd, not the runtime binary.
    expect(readlinkSync(`/proc/${pid}/exe`)).toMatch(/^\/memfd:tsd-runtime/);
    // Only in its cgroup.
    expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toContain(`:memory:${cgParent}/${id}`);
    expect(readFileSync(`/sys/fs/cgroup/memory${cgParent}/${id}/memory.limit_in_bytes`, 'utf8').trim()).toBe('268435456');
    expect(readFileSync(`/sys/fs/cgroup/pids${cgParent}/${id}/pids.max`, 'utf8').trim()).toBe('512');
    expect(rt('tsd', runs.roots.tsd, ['start', id]).status).toBe(0);
    expect(JSON.parse(rt('tsd', runs.roots.tsd, ['state', id]).stdout)).toMatchObject({ status: 'running', pid });
    expect(rt('tsd', runs.roots.tsd, ['start', id]).stderr).toMatch(/already running/);
    const del = rt('tsd', runs.roots.tsd, ['delete', id]);
    expect(del.status).toBe(1);
    expect(del.stderr).toMatch(/not stopped/);
    await waitFor(() => readFileSync(outFile, 'utf8').includes('started'));
    expect(rt('tsd', runs.roots.tsd, ['kill', id, 'SIGTERM']).status).toBe(0);
    await waitFor(() => JSON.parse(rt('tsd', runs.roots.tsd, ['state', id]).stdout).status === 'stopped');
    expect(readFileSync(outFile, 'utf8')).toContain('got-term');
    expect(rt('tsd', runs.roots.tsd, ['kill', id, '9']).stderr).toMatch(/not running/);
    expect(rt('tsd', runs.roots.tsd, ['delete', id]).status).toBe(0);
    expect(existsSync(`/sys/fs/cgroup/memory${cgParent}/${id}`)).toBe(false);
    expect(existsSync(join(runs.roots.tsd, id))).toBe(false);
    expect(rt('tsd', runs.roots.tsd, ['state', id]).status).toBe(1);
  });

  it('delete --force kills a running container and its cgroup', async () => {
    const id = runs.nextId('tsd');
    writeConfig(bundle, dockerConfig(id, cgParent, { args: ['sh', '-c', 'sleep 1000 & sleep 1000'] }));
    expect(runs.runDetached('tsd', bundle, id)).toBe(0);
    const pid = (JSON.parse(rt('tsd', runs.roots.tsd, ['state', id]).stdout) as { pid: number }).pid;
    await waitFor(() => readFileSync(`/sys/fs/cgroup/pids${cgParent}/${id}/cgroup.procs`, 'utf8').trim().split('\n').length >= 2);
    expect(rt('tsd', runs.roots.tsd, ['delete', '--force', id]).status).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/pids${cgParent}/${id}`)).toBe(false);
  });
});

describe.skipIf(!enabled)('tsd-runtime on a frozen container', () => {
  it('says paused in state and refuses exec with runc\'s error instead of hanging', () => {
    const id = runs.nextId('tsd');
    writeConfig(bundle, dockerConfig(id, cgParent, { args: ['sleep', '1000'] }));
    expect(runs.runDetached('tsd', bundle, id)).toBe(0);
    const freezer = `/sys/fs/cgroup/freezer${cgParent}/${id}/freezer.state`;
    const state = () => (JSON.parse(rt('tsd', runs.roots.tsd, ['state', id]).stdout) as { status: string }).status;
    writeFileSync(freezer, 'FROZEN');
    try {
      expect(state()).toBe('paused');
      const r = rt('tsd', runs.roots.tsd, ['exec', id, 'true'], 5000);
      expect(r.status).toBe(125);
      expect(r.stderr).toContain('cannot exec in a paused container');
    } finally {
      writeFileSync(freezer, 'THAWED');
    }
    expect(state()).toBe('running');
    expect(rt('tsd', runs.roots.tsd, ['exec', id, 'true']).status).toBe(0);
    expect(rt('tsd', runs.roots.tsd, ['delete', '--force', id]).status).toBe(0);
  });
});

describe.skipIf(!enabled)('tsd-runtime mounts and namespaces', () => {
  it.skipIf(!haveRunc)('binds volumes and files, keeps symlinked destinations inside the rootfs, read-only root', () => {
    const vol = join(dir, 'vol');
    mkdirSync(vol, { recursive: true });
    writeFileSync(join(vol, 'data.txt'), 'volume-data\n');
    const hosts = join(dir, 'hosts');
    writeFileSync(hosts, '127.0.0.1 localhost test-host\n');
    const escape = join(dir, 'escape-target');
    symlinkSync(escape, join(bundle, 'rootfs', 'evil'));
    symlinkSync('../../..', join(bundle, 'rootfs', 'tmp', 'up'));
    const edit = (c: Record<string, unknown>): void => {
      (c.root as { readonly: boolean }).readonly = true;
      (c.mounts as unknown[]).push(
        { destination: '/data', type: 'bind', source: vol, options: ['rbind', 'ro'] },
        { destination: '/etc/hosts', type: 'bind', source: hosts, options: ['rbind', 'rprivate'] },
        { destination: '/evil/inside', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m'] },
        { destination: '/tmp/up/up2', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
      );
    };
    const probe = [
      'cat /data/data.txt',
      'if (echo y > /data/new) 2>/dev/null; then echo vol=rw; else echo vol=ro; fi',
      'cat /etc/hosts',
      'if touch /rootfile 2>/dev/null; then echo root=rw; else echo root=ro; fi',
      'if touch /evil/inside/f 2>/dev/null; then echo evil=tmpfs; else echo evil=missing; fi',
      'if [ -d /up2 ]; then echo up2=root; else echo up2=missing; fi',
    ].join('; ');
    const a = runIn('tsd', { args: ['sh', '-c', probe] }, edit);
    const b = runIn('runc', { args: ['sh', '-c', probe] }, edit);
    expect(a.stderr).toBe('');
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toBe('volume-data\nvol=ro\n127.0.0.1 localhost test-host\nroot=ro\nevil=tmpfs\nup2=root\n');
    expect(existsSync(escape)).toBe(false); // nothing was created outside the rootfs
    rmSync(join(bundle, 'rootfs', 'evil'));
    rmSync(join(bundle, 'rootfs', 'tmp', 'up'));
    rmSync(join(bundle, 'rootfs', dir), { recursive: true, force: true }); // what the mount created inside
    rmSync(join(bundle, 'rootfs', 'up2'), { recursive: true, force: true });
  });

  it('joins the network and uts namespaces of another container by path', async () => {
    const id = runs.nextId('tsd');
    writeConfig(bundle, dockerConfig(id, cgParent, { args: ['sleep', '1000'] }));
    expect(runs.runDetached('tsd', bundle, id)).toBe(0);
    const pid = (JSON.parse(rt('tsd', runs.roots.tsd, ['state', id]).stdout) as { pid: number }).pid;
    const r = runIn('tsd', { args: ['sh', '-c', 'hostname; readlink /proc/self/ns/net'] }, (c) => {
      const linux = c.linux as { namespaces: Array<{ type: string; path?: string }> };
      for (const ns of linux.namespaces) if (ns.type === 'network' || ns.type === 'uts') ns.path = `/proc/${pid}/ns/${ns.type === 'network' ? 'net' : 'uts'}`;
      delete c.hostname;
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${id.slice(0, 12)}\n${readlinkSync(`/proc/${pid}/ns/net`)}\n`);
    expect(rt('tsd', runs.roots.tsd, ['delete', '--force', id]).status).toBe(0);
  });

  it('writes linux.resources.memory.swappiness on cgroup v1; refuses it out of 0-100 and on cgroup v2', () => {
    const withSwappiness = (id: string, swappiness: number): Record<string, unknown> => {
      const config = dockerConfig(id, cgParent, { args: ['cat', '/sys/fs/cgroup/memory/memory.swappiness'] });
      const resources = (config.linux as { resources: Record<string, unknown> }).resources;
      resources.memory = { swappiness };
      return config;
    };
    const badId = runs.nextId('tsd');
    writeConfig(bundle, withSwappiness(badId, 101));
    const bad = rt('tsd', runs.roots.tsd, ['run', '-b', bundle, badId]);
    expect([bad.status, bad.stderr.trim()]).toEqual([125, 'config.json: `linux.resources.memory.swappiness` must be from 0 to 100']);
    const unified = '/sys/fs/cgroup/unified';
    if (existsSync('/sys/fs/cgroup/memory/memory.swappiness')) {
      const id = runs.nextId('tsd');
      writeConfig(bundle, withSwappiness(id, 23));
      const r = rt('tsd', runs.roots.tsd, ['run', '-b', bundle, id]);
      expect([r.status, r.stdout, r.stderr]).toEqual([0, '23\n', '']);
    }
    if (existsSync(join(unified, 'cgroup.procs')) && !existsSync('/sys/fs/cgroup/cgroup.controllers')) {
      const id = runs.nextId('tsd');
      const config = withSwappiness(id, 23);
      (config.linux as { resources: Record<string, unknown> }).resources = { memory: { swappiness: 23 } };
      writeConfig(bundle, config);
      const script = `mount --make-rprivate / && mount --bind ${unified} /sys/fs/cgroup && exec "$0" --root "$1" run -b "$2" "$3"`;
      const r = spawnSync('unshare', ['-m', 'sh', '-c', script, runtimePath(), runs.roots.tsd, bundle, id], { encoding: 'utf8', timeout: 20000 });
      expect(r.status).toBe(125);
      expect(r.stderr).toContain('linux.resources.memory.swappiness: cgroup v2 has no memory.swappiness');
      expect(existsSync(join(unified, cgParent, id))).toBe(false);
    }
  });

  it('uses cgroup v2 when /sys/fs/cgroup is cgroup2 (the unified mount of this host, in a private mount ns)', () => {
    const unified = '/sys/fs/cgroup/unified';
    if (!existsSync(join(unified, 'cgroup.procs')) || existsSync('/sys/fs/cgroup/cgroup.controllers')) return;
    const id = runs.nextId('tsd');
    const config = dockerConfig(id, cgParent, { args: ['sh', '-c', 'cat /proc/self/cgroup; ls /sys/fs/cgroup/cgroup.procs'] });
    delete (config.linux as { resources?: unknown }).resources; // no controllers are enabled in a hybrid's v2 tree
    writeConfig(bundle, config);
    const script = `mount --make-rprivate / && mount --bind ${unified} /sys/fs/cgroup && exec "$0" --root "$1" run -b "$2" "$3"`;
    const r = spawnSync('unshare', ['-m', 'sh', '-c', script, runtimePath(), runs.roots.tsd, bundle, id], { encoding: 'utf8', timeout: 20000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`0::${cgParent}/${id}\n`);
    expect(r.stdout).toContain('/sys/fs/cgroup/cgroup.procs');
    expect(existsSync(join(unified, cgParent, id))).toBe(false); // removed by run's delete
  });

  it.skipIf(!haveRunc || !haveSeccomp)('applies linux.seccomp like runc (errno actions, argument conditions, unknown names)', () => {
    const seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        { names: ['chmod', 'fchmod', 'fchmodat', 'fchmodat2'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 10, op: 'SCMP_CMP_EQ' }] },
        { names: ['sethostname', 'not_a_syscall_at_all'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
        { names: ['getpid'], action: 'SCMP_ACT_ALLOW' },
      ],
    };
    const probe = [
      "grep '^Seccomp:' /proc/self/status",
      'f=/tmp/f-$(id -u); touch $f; chmod 600 $f 2>/dev/null; echo chmod=$?',
      'trap "" USR1; kill -USR1 $$ 2>/dev/null; echo usr1=$?',
      'kill -0 $$; echo zero=$?',
      'hostname x 2>/dev/null; echo hostname=$?',
    ].join('; ');
    for (const p of [
      { args: ['sh', '-c', probe] },
      { args: ['sh', '-c', probe], noNewPrivileges: true, uid: 65534, gid: 65534 },
    ] as ProcessOptions[]) {
      const edit = (c: Record<string, unknown>): void => void ((c.linux as Record<string, unknown>).seccomp = seccomp);
      const a = runIn('tsd', p, edit);
      const b = runIn('runc', p, edit);
      expect(a.stderr).toBe('');
      expect(a.stdout).toBe(b.stdout);
      expect(a.stdout).toBe(`Seccomp:\t2\nchmod=1\nusr1=1\nzero=0\nhostname=1\n`);
    }
  });

  it('refuses a malformed config.json with 125 and the offset', () => {
    writeFileSync(join(bundle, 'config.json'), '{"ociVersion": "1.0.2", "process": {"args": ["sh"]},, }');
    const r = rt('tsd', runs.roots.tsd, ['create', '-b', bundle, runs.nextId('tsd')]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/config\.json`: invalid JSON at offset 52/);
    writeFileSync(join(bundle, 'config.json'), '['.repeat(100000));
    const deep = rt('tsd', runs.roots.tsd, ['create', '-b', bundle, runs.nextId('tsd')]);
    expect(deep.status).toBe(125);
    expect(deep.stderr).toMatch(/nesting too deep/);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', root: { path: 'rootfs' }, process: { args: [] } }));
    expect(rt('tsd', runs.roots.tsd, ['create', '-b', bundle, runs.nextId('tsd')]).stderr).toMatch(/process\.args` must not be empty/);
  });

  it('passes unicode in env and args through the JSON parser intact', () => {
    const r = runIn('tsd', { args: ['sh', '-c', 'echo "$GREETING" "$1"', 'sh', 'caf\u00e9 \ud83d\ude00'], env: ['PATH=/bin', 'GREETING=h\u00e9llo "quoted" \\ back\ttab'] });
    expect(r.stdout).toBe('h\u00e9llo "quoted" \\ back\ttab caf\u00e9 \ud83d\ude00\n');
  });
});
