// Specs from buildSpec run for real: the same bundle under tsd-runtime and
// under runc must show the same thing inside (hostname, mounts, capabilities,
// uid/gid, cwd, env, masks, seccomp), and Docker's defaults must hold. Needs
// root, /bin/busybox and runc; every container, cgroup and temp dir is removed.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerConfig, ExecCreateBody, HostConfig } from '../../src/api/containers';
import { buildExecProcess, buildSpec, serializeSpec, validateCreate, type OciSpec } from '../../src/runtime/spec';
import { canRunContainers, parseProbe, removeCgroupParent, rt, runcInstalled, RuntimeRuns, type Runtime } from '../native/bundle';
import { makeBundle, runConfig, runHostConfig, specInput } from './helpers';

const haveRunc = runcInstalled();
const enabled = canRunContainers();
const RUNTIMES: Runtime[] = haveRunc ? ['tsd', 'runc'] : ['tsd'];

const PROBE = [
  'echo "hostname=$(hostname)"',
  "grep -E '^(Cap|Seccomp|NoNewPrivs)' /proc/self/status",
  'echo "id=$(id)"',
  'echo "cwd=$(pwd)"',
  'echo "pid=$$"',
  'echo "env=$(env | sort | tr \'\\n\' \' \')"',
  // mount point, type and ro/rw of every mount
  'echo "mounts=$(awk \'{split($4,o,","); print $2":"$3":"o[1]}\' /proc/mounts | sort | tr \'\\n\' \' \')"',
  'if mount -t tmpfs none /mnt 2>/dev/null; then echo mount=allowed; else echo mount=refused; fi',
  'echo "masked=$(for f in /proc/kcore /proc/keys /proc/timer_list; do head -c 1 $f 2>/dev/null; done | wc -c)"',
  'if (echo x > /proc/sys/kernel/hostname) 2>/dev/null; then echo procsys=writable; else echo procsys=readonly; fi',
  'if touch /rootfile 2>/dev/null; then echo root=rw; rm /rootfile; else echo root=ro; fi',
  'echo "etchostname=$(cat /etc/hostname)"',
  'echo "resolv=$(head -1 /etc/resolv.conf)"',
  'echo "devs=$(ls /dev | tr \'\\n\' \' \')"',
  'echo "shm=$(df -k /dev/shm | tail -1 | awk \'{print $2}\')"',
  'echo "unpriv=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"',
  'echo "nofile=$(ulimit -n)"',
  'echo "umask=$(umask)"',
  'if unshare -U true 2>/dev/null; then echo unshare=allowed; else echo unshare=refused; fi',
  'echo "netdevs=$(ls /sys/class/net | tr \'\\n\' \' \')"',
  'echo "devcount=$(ls /dev | wc -l)"',
].join('; ');

let dir: string;
let b: ReturnType<typeof makeBundle>;
let cgParent: string;
let runs: RuntimeRuns;

beforeAll(() => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'tsd-rtspec-'));
  b = makeBundle(join(dir, 'bundle'));
  runs = new RuntimeRuns(dir, 's');
  cgParent = `/tsdspectest-${process.pid}`;
});

afterAll(() => {
  if (!enabled) return;
  runs.deleteAll();
  removeCgroupParent(cgParent);
  rmSync(dir, { recursive: true, force: true });
});

/** Validates and builds the spec as the daemon would, and writes it as the bundle's config.json. */
function writeSpec(id: string, config: ContainerConfig, hostConfig: HostConfig): OciSpec {
  validateCreate(config, hostConfig);
  const spec = buildSpec({ ...specInput(b, config, hostConfig), hostname: 'probe-host', cgroupsPath: `${cgParent}/${id}` });
  writeFileSync(join(b.bundle, 'config.json'), serializeSpec(spec));
  return spec;
}

function run(runtime: Runtime, cmd: string[], hc: Partial<HostConfig> = {}, cfg: Partial<ContainerConfig> = {}): { stdout: string; stderr: string; status: number | null } {
  const id = runs.nextId(runtime);
  writeSpec(id, runConfig(cmd, cfg), runHostConfig(hc));
  return runs.run(runtime, b.bundle, id);
}

/** Runs the probe under every runtime, checks they agree (but on `differ`) and returns what they saw. */
function probeAll(hc: Partial<HostConfig> = {}, cfg: Partial<ContainerConfig> = {}, differ: string[] = []): Record<string, string> {
  const seen = RUNTIMES.map((runtime) => {
    const r = run(runtime, ['sh', '-c', PROBE], hc, cfg);
    expect(r.stderr, `${runtime} stderr`).toBe('');
    expect(r.status, `${runtime} status`).toBe(0);
    return parseProbe(r.stdout);
  });
  const same = (v: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(v).filter(([k]) => !differ.includes(k)));
  for (const other of seen.slice(1)) expect(same(other)).toEqual(same(seen[0]!));
  return seen[0]!;
}

describe.skipIf(!enabled)('specs from buildSpec under tsd-runtime and runc', () => {
  it.skipIf(!haveRunc)("runs Docker's default container with the same result under both runtimes", () => {
    const v = probeAll({}, { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'FOO=bar baz'] });
    expect(v.hostname).toBe('probe-host');
    expect(v.etchostname).toBe('c0ffee000000');
    expect(v.resolv).toBe('nameserver 127.0.0.53');
    expect(v.CapEff).toBe('00000000a80425fb');
    expect(v.CapBnd).toBe('00000000a80425fb');
    expect(v.CapPrm).toBe('00000000a80425fb');
    expect(v.CapInh).toBe('0000000000000000');
    expect(v.CapAmb).toBe('0000000000000000');
    expect(v.Seccomp).toBe('2');
    expect(v.NoNewPrivs).toBe('0');
    expect(v.id).toBe('uid=0(root) gid=0(root) groups=0(root)');
    expect(v.cwd).toBe('/');
    expect(v.pid).toBe('1');
    expect(v.env).toBe('FOO=bar baz HOME=/root HOSTNAME=probe-host PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PWD=/ SHLVL=1');
    expect(v.mount).toBe('refused');
    expect(v.masked).toBe('0');
    expect(v.procsys).toBe('readonly');
    expect(v.root).toBe('rw');
    expect(v.shm).toBe('65536');
    expect(v.unpriv).toBe('0');
    expect(v.unshare).toBe('refused');
    expect(v.netdevs).toBe('lo');
    const mounts = v.mounts!.split(' ');
    for (const m of ['/:', '/proc:proc:rw', '/dev:tmpfs:rw', '/dev/pts:devpts:rw', '/sys:sysfs:ro', '/dev/mqueue:mqueue:rw', '/dev/shm:tmpfs:rw', '/etc/hosts:', '/etc/hostname:', '/etc/resolv.conf:']) {
      expect(mounts.some((x) => x.startsWith(m)), m).toBe(true);
    }
  });

  it.skipIf(!haveRunc)('runs -u nobody, a WorkingDir and no-new-privileges the same way', () => {
    const v = probeAll({ SecurityOpt: ['no-new-privileges'] }, { User: 'nobody', WorkingDir: '/home/app' });
    expect(v.id).toBe('uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)');
    expect(v.cwd).toBe('/home/app');
    expect(v.CapEff).toBe('0000000000000000');
    expect(v.CapBnd).toBe('00000000a80425fb');
    expect(v.NoNewPrivs).toBe('1');
    expect(v.env).toContain('HOME=/nonexistent');
    rmSync(join(b.rootfs, 'home'), { recursive: true, force: true });
  });

  it.skipIf(!haveRunc)('drops every capability with CapDrop ALL and keeps the added ones', () => {
    expect(probeAll({ CapDrop: ['ALL'] }).CapEff).toBe('0000000000000000');
    const v = probeAll({ CapDrop: ['all'], CapAdd: ['chown', 'CAP_NET_RAW'] });
    expect(v.CapEff).toBe('0000000000002001');
    expect(v.CapBnd).toBe('0000000000002001');
  });

  it.skipIf(!haveRunc)('makes the rootfs read-only with ReadonlyRootfs, /dev/shm and /proc staying writable', () => {
    const v = probeAll({ ReadonlyRootfs: true });
    expect(v.root).toBe('ro');
    expect(v.mounts).toMatch(/(^| )\/:[^ ]*:ro/);
    expect(v.mounts).toContain('/dev/shm:tmpfs:rw');
    expect(v.mounts).toMatch(/\/etc\/hosts:[^ ]*:ro/);
  });

  it('refuses a syscall the default seccomp profile forbids, and allows it with seccomp=unconfined', () => {
    const probe = ['sh', '-c', 'unshare -U true; echo "rc=$?"; grep ^Seccomp: /proc/self/status'];
    for (const runtime of RUNTIMES) {
      const confined = run(runtime, probe);
      expect(confined.stdout, runtime).toBe('rc=1\nSeccomp:\t2\n');
      expect(confined.stderr, runtime).toMatch(/Operation not permitted/);
      const unconfined = run(runtime, probe, { SecurityOpt: ['seccomp=unconfined'] });
      expect(unconfined.stdout, runtime).toBe('rc=0\nSeccomp:\t0\n');
    }
  });

  it('binds volumes and tmpfs mounts, with Docker options, under both runtimes', () => {
    const vol = join(dir, 'vol');
    const hc = { Binds: [`${vol}:/data:ro`], Tmpfs: { '/scratch': 'size=1m' }, ShmSize: 2 * 1024 * 1024 };
    const probe = ['sh', '-c', [
      'cat /data/f',
      'if touch /data/g 2>/dev/null; then echo data=rw; else echo data=ro; fi',
      'touch /scratch/x && echo scratch=rw',
      'echo "scratchsize=$(df -k /scratch | tail -1 | awk \'{print $2}\')"',
      'echo "shm=$(df -k /dev/shm | tail -1 | awk \'{print $2}\')"',
      'printf "#!/bin/sh\\ntrue\\n" > /scratch/t; chmod +x /scratch/t; if /scratch/t 2>/dev/null; then echo exec=allowed; else echo exec=refused; fi',
    ].join('; ')];
    const outs = RUNTIMES.map((runtime) => {
      rmSync(vol, { recursive: true, force: true });
      mkdirSync(vol);
      writeFileSync(join(vol, 'f'), 'from-host\n');
      const r = run(runtime, probe, hc);
      expect(r.stderr, runtime).toBe('');
      return r.stdout;
    });
    expect(outs[0]).toBe('from-host\ndata=ro\nscratch=rw\nscratchsize=1024\nshm=2048\nexec=refused\n');
    for (const o of outs.slice(1)) expect(o).toBe(outs[0]);
  });

  it('execs a buildExecProcess process in a running container like runc', async () => {
    const results = RUNTIMES.map((runtime) => {
      const id = runs.nextId(runtime);
      const spec = writeSpec(id, runConfig(['sleep', '1000'], { Env: ['A=1'], WorkingDir: '/srv', Tty: false }), runHostConfig({ CapDrop: ['KILL'] }));
      expect(runs.runDetached(runtime, b.bundle, id), runtime).toBe(0);
      const exec: ExecCreateBody = { Cmd: ['sh', '-c', 'id; pwd; echo "$A $B"; grep CapEff /proc/self/status'], Env: ['B=2'], User: 'nobody' };
      const processFile = join(dir, `${id}.process.json`);
      writeFileSync(processFile, serializeSpec(buildExecProcess(spec, exec, b.rootfs)));
      const r = rt(runtime, runs.roots[runtime], ['exec', '--process', processFile, id]);
      const asRoot = join(dir, `${id}.root.json`);
      writeFileSync(asRoot, serializeSpec(buildExecProcess(spec, { Cmd: ['sh', '-c', 'id; pwd; grep CapEff /proc/self/status'], Privileged: true }, b.rootfs)));
      const r2 = rt(runtime, runs.roots[runtime], ['exec', '--process', asRoot, id]);
      expect(rt(runtime, runs.roots[runtime], ['delete', '--force', id]).status).toBe(0);
      return { out: r.stdout, err: r.stderr, priv: r2.stdout };
    });
    expect(results[0]!.err).toBe('');
    expect(results[0]!.out).toBe('uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n/srv\n1 2\nCapEff:\t0000000000000000\n');
    // Privileged: every capability the daemon itself holds (this test process's bounding set).
    const bounding = /^CapBnd:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    expect(results[0]!.priv).toBe(`uid=0(root) gid=0(root) groups=0(root)\n/srv\nCapEff:\t${bounding}\n`);
    for (const r of results.slice(1)) expect(r).toEqual(results[0]);
    rmSync(join(b.rootfs, 'srv'), { recursive: true, force: true });
  });
});

describe.skipIf(!enabled || !haveRunc)('privileged and host-namespace specs under tsd-runtime and runc', () => {
  it('runs a privileged container the same way: all caps, no seccomp, no masks, host devices', () => {
    const v = probeAll({ Privileged: true });
    const bounding = /^CapBnd:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    expect(v.CapEff).toBe(bounding);
    expect(v.Seccomp).toBe('0');
    expect(v.masked).not.toBe('0');
    expect(v.procsys).toBe('writable');
    expect(v.mount).toBe('allowed');
    expect(v.mounts).toContain('/sys:sysfs:rw');
    expect(Number(v.devcount)).toBeGreaterThan(20);
  });

  it('shares the host pid, ipc and uts namespaces when asked, and runs docker-init with Init', () => {
    const v = probeAll({ PidMode: 'host', UTSMode: 'host', IpcMode: 'host' }, {}, ['pid']);
    expect(Number(v.pid)).toBeGreaterThan(1);
    expect(v.hostname).toBe(hostname());
    expect(v.mounts).toContain('/dev/shm:tmpfs:rw');
    // docker-init is pid 1 and forks the shell (whose pid differs: runc's Go threads used pids of the namespace).
    const init = probeAll({ Init: true }, {}, ['pid']);
    expect(Number(init.pid)).toBeGreaterThan(1);
    expect(init.mounts).toContain('/sbin/docker-init:');
  });
});
