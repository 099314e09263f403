// buildSpec, buildExecProcess and validateCreate on a real busybox rootfs: the
// config.json must be what Docker 28 writes for the same request.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostConfig } from '../../src/api/containers';
import { InvalidArgumentError, TsdError } from '../../src/errors';
import { allCapabilities } from '../../src/runtime/caps';
import { buildExecProcess, buildSpec, serializeSpec, validateCreate, type OciSpec } from '../../src/runtime/spec';
import { cgroupSysInfo } from '../../src/runtime/sysinfo';
import { ID, makeBundle, runConfig, runHostConfig, specInput } from './helpers';

// Docker 28's default capabilities, written out rather than taken from
// src/runtime/defaults.ts: the tests check that buildSpec gives exactly these.
const DOCKER_DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

let dir: string;
let b: ReturnType<typeof makeBundle>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsd-spec-'));
  b = makeBundle(join(dir, 'bundle'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function build(cmd: string[], hc: Partial<HostConfig> = {}, cfg: Parameters<typeof runConfig>[1] = {}): OciSpec {
  const config = runConfig(cmd, cfg);
  const hostConfig = runHostConfig(hc);
  validateCreate(config, hostConfig);
  return buildSpec(specInput(b, config, hostConfig));
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

const allowed = (s: OciSpec): string[] => (s.linux.seccomp?.syscalls ?? []).filter((c) => c.action === 'SCMP_ACT_ALLOW' && !c.args).flatMap((c) => c.names);

describe('buildSpec', () => {
  it("writes Docker's default config for `docker run busybox sh`", () => {
    const s = build(['sh']);
    expect(s.ociVersion).toBe('1.2.0');
    expect(s.process).toEqual({
      user: { uid: 0, gid: 0, additionalGids: [0] },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOSTNAME=${ID.slice(0, 12)}`],
      cwd: '/',
      capabilities: { bounding: DOCKER_DEFAULT_CAPS, effective: DOCKER_DEFAULT_CAPS, permitted: DOCKER_DEFAULT_CAPS },
      oomScoreAdj: 0,
    });
    expect(s.root).toEqual({ path: b.rootfs });
    expect(s.hostname).toBe(ID.slice(0, 12));
    expect(s.mounts).toEqual([
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'] },
      { destination: '/etc/resolv.conf', type: 'bind', source: b.etc.resolvConf, options: ['rbind', 'rprivate'] },
      { destination: '/etc/hostname', type: 'bind', source: b.etc.hostname, options: ['rbind', 'rprivate'] },
      { destination: '/etc/hosts', type: 'bind', source: b.etc.hosts, options: ['rbind', 'rprivate'] },
    ]);
    const cgroupns = cgroupSysInfo().cgroupVersion === '2' ? [{ type: 'cgroup' }] : [];
    expect(s.linux.namespaces).toEqual([{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }, ...cgroupns]);
    expect(s.linux.maskedPaths).toEqual([
      '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
      '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
    ]);
    expect(s.linux.readonlyPaths).toEqual(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
    expect(s.linux.sysctl).toEqual({ 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0' });
    expect(s.linux.cgroupsPath).toBe(`/tsdocker/${ID}`);
    expect(s.linux.devices).toEqual([]);
    expect(s.linux.resources).toEqual({
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
        { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
        { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
        { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
      ],
      memory: { disableOOMKiller: false },
      cpu: { shares: 0 },
      blockIO: { weight: 0 },
    });
    expect(s.annotations).toBeUndefined();
  });

  it("flattens Docker's default seccomp profile for the host arch and the container's caps", () => {
    const s = build(['sh']);
    const sc = s.linux.seccomp!;
    expect(sc.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(sc.defaultErrnoRet).toBe(1);
    if (process.arch === 'x64') expect(sc.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const names = allowed(s);
    expect(names).toContain('read');
    expect(names).toContain('chroot'); // CAP_SYS_CHROOT is a default cap
    expect(names).toContain('ptrace'); // kernel >= 4.8
    for (const n of ['unshare', 'mount', 'setns', 'io_uring_setup', 'reboot', 'bpf', 'kexec_load', 'keyctl']) expect(names).not.toContain(n);
    expect(sc.syscalls).toContainEqual({ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }] });
    expect(sc.syscalls).toContainEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    expect(sc.syscalls).toContainEqual({ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] });
    if (process.arch === 'x64') expect(names).toContain('arch_prctl');
    expect(names).not.toContain('s390_runtime_instr');

    // CAP_SYS_ADMIN brings mount & co. and removes the clone/clone3 restrictions.
    const admin = build(['sh'], { CapAdd: ['sys_admin'] });
    expect(allowed(admin)).toEqual(expect.arrayContaining(['mount', 'unshare', 'setns', 'clone', 'clone3']));
    expect(admin.linux.seccomp!.syscalls!.some((c) => c.names.includes('clone3') && c.action === 'SCMP_ACT_ERRNO')).toBe(false);
    expect(allowed(build(['sh'], { CapDrop: ['SYS_CHROOT'] }))).not.toContain('chroot');
  });

  it('applies seccomp=unconfined, builtin and an inline profile (what the docker CLI sends for a file)', () => {
    expect(build(['sh'], { SecurityOpt: ['seccomp=unconfined'] }).linux.seccomp).toBeUndefined();
    expect(build(['sh'], { SecurityOpt: ['seccomp:unconfined'] }).linux.seccomp).toBeUndefined();
    expect(build(['sh'], { SecurityOpt: ['seccomp=builtin'] }).linux.seccomp).toEqual(build(['sh']).linux.seccomp);
    const profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }, { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] }],
      syscalls: [
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['chmod'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } },
        { name: 'rmdir', action: 'SCMP_ACT_ERRNO', excludes: { caps: ['CAP_SYS_ADMIN'] } },
      ],
    };
    const s = build(['sh'], { SecurityOpt: [`seccomp=${JSON.stringify(profile)}`] });
    const arch = process.arch === 'x64' ? ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'] : process.arch === 'arm64' ? ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'] : undefined;
    expect(s.linux.seccomp).toEqual({
      defaultAction: 'SCMP_ACT_ALLOW',
      ...(arch ? { architectures: arch } : {}),
      syscalls: [
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['rmdir'], action: 'SCMP_ACT_ERRNO' },
      ],
    });
    expect(build(['sh'], { Privileged: true, SecurityOpt: ['seccomp=builtin'] }).linux.seccomp).toBeUndefined();
  });

  it('sets TERM and the console size with a tty, Entrypoint before Cmd, Env over the defaults', () => {
    const s = build(['-c', 'echo hi'], { ConsoleSize: [30, 100] }, { Tty: true, Entrypoint: ['sh'], Env: ['PATH=/bin', 'FOO=bar', 'HOSTNAME=mine', 'FOO=again'] });
    expect(s.process.terminal).toBe(true);
    expect(s.process.consoleSize).toEqual({ height: 30, width: 100 });
    expect(s.process.args).toEqual(['sh', '-c', 'echo hi']);
    expect(s.process.env).toEqual(['PATH=/bin', 'HOSTNAME=mine', 'TERM=xterm', 'FOO=bar', 'FOO=again']);
    expect(build(['sh'], {}, { Env: ['TERM=vt100', 'PATH'] }).process.env).toEqual([`HOSTNAME=${ID.slice(0, 12)}`, 'TERM=vt100']);
  });

  it('resolves User and GroupAdd from the image /etc/passwd and /etc/group', () => {
    writeFileSync(join(b.rootfs, 'etc', 'group'), 'root:x:0:\nwheel:x:10:root,nobody\nnogroup:x:65534:\nstaff:x:50:\n');
    try {
      expect(build(['id']).process.user).toEqual({ uid: 0, gid: 0, additionalGids: [0, 10] });
      expect(build(['id'], {}, { User: 'nobody' }).process.user).toEqual({ uid: 65534, gid: 65534, additionalGids: [65534, 10] });
      expect(build(['id'], {}, { User: 'nobody:staff' }).process.user).toEqual({ uid: 65534, gid: 50, additionalGids: [50] });
      expect(build(['id'], {}, { User: '1000' }).process.user).toEqual({ uid: 1000, gid: 0, additionalGids: [0] });
      expect(build(['id'], {}, { User: '1000:1001' }).process.user).toEqual({ uid: 1000, gid: 1001, additionalGids: [1001] });
      expect(build(['id'], {}, { User: '65534' }).process.user).toEqual({ uid: 65534, gid: 65534, additionalGids: [65534, 10] });
      expect(build(['id'], { GroupAdd: ['staff', '4242', '50'] }, { User: 'nobody' }).process.user).toEqual({ uid: 65534, gid: 65534, additionalGids: [65534, 10, 50, 4242] });

      const noUser = errorOf(() => build(['id'], {}, { User: 'nosuch' }));
      expect(noUser).toBeInstanceOf(TsdError);
      expect(noUser).not.toBeInstanceOf(InvalidArgumentError); // a start failure: 500, as in dockerd
      expect(noUser.message).toBe('unable to find user nosuch: no matching entries in passwd file');
      expect(errorOf(() => build(['id'], {}, { User: 'nobody:nosuch' })).message).toBe('unable to find group nosuch: no matching entries in group file');
      expect(errorOf(() => build(['id'], { GroupAdd: ['nosuch'] })).message).toBe('Unable to find group nosuch: no matching entries in group file');
      expect(errorOf(() => build(['id'], {}, { User: '4294967296' })).message).toBe('uids and gids must be in range 0-2147483647');
    } finally {
      writeFileSync(join(b.rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    }
  });

  it('fails like Docker for -u nobody when the image has no /etc/passwd, and follows a symlinked passwd inside the rootfs', () => {
    const empty = makeBundle(join(dir, 'nopasswd'));
    rmSync(join(empty.rootfs, 'etc', 'passwd'));
    rmSync(join(empty.rootfs, 'etc', 'group'));
    const input = (user: string) => specInput(empty, runConfig(['id'], { User: user }), runHostConfig());
    expect(errorOf(() => buildSpec(input('nobody'))).message).toBe('unable to find user nobody: no matching entries in passwd file');
    expect(buildSpec(input('')).process.user).toEqual({ uid: 0, gid: 0, additionalGids: [0] });
    expect(buildSpec(input('123:456')).process.user).toEqual({ uid: 123, gid: 456, additionalGids: [456] });
    // An absolute symlink is resolved in the rootfs, never on the host.
    mkdirSync(join(empty.rootfs, 'alt'));
    writeFileSync(join(empty.rootfs, 'alt', 'passwd'), 'app:x:777:778::/:/bin/sh\n');
    symlinkSync('/alt/passwd', join(empty.rootfs, 'etc', 'passwd'));
    expect(buildSpec(input('app')).process.user).toEqual({ uid: 777, gid: 778, additionalGids: [778] });
  });

  it('creates the WorkingDir in the rootfs and uses it as cwd', () => {
    const s = build(['pwd'], {}, { WorkingDir: '/work/dir/../deep' });
    expect(s.process.cwd).toBe('/work/deep');
    expect(statSync(join(b.rootfs, 'work', 'deep')).isDirectory()).toBe(true);
    writeFileSync(join(b.rootfs, 'afile'), '');
    expect(errorOf(() => build(['pwd'], {}, { WorkingDir: '/afile' })).message).toBe('Cannot mkdir: /afile is not a directory');
    rmSync(join(b.rootfs, 'work'), { recursive: true });
    rmSync(join(b.rootfs, 'afile'));
  });

  it('applies CapAdd and CapDrop like Docker (ALL, with or without CAP_, any case)', () => {
    const caps = (hc: Partial<HostConfig>): string[] => build(['sh'], hc).process.capabilities!.bounding!;
    expect(caps({ CapDrop: ['ALL'] })).toEqual([]);
    expect(caps({ CapDrop: ['all'], CapAdd: ['net_admin', 'CAP_KILL'] })).toEqual(['CAP_NET_ADMIN', 'CAP_KILL']);
    expect(caps({ CapDrop: ['chown', 'Cap_Kill'] })).toEqual(DOCKER_DEFAULT_CAPS.filter((c) => c !== 'CAP_CHOWN' && c !== 'CAP_KILL'));
    expect(caps({ CapAdd: ['ALL'], CapDrop: ['MKNOD'] })).toEqual(allCapabilities().filter((c) => c !== 'CAP_MKNOD'));
    expect(caps({ CapAdd: ['SYS_PTRACE'] })).toEqual([...DOCKER_DEFAULT_CAPS, 'CAP_SYS_PTRACE']);
    const s = build(['sh'], { CapDrop: ['ALL'] });
    expect(s.process.capabilities).toEqual({ bounding: [], effective: [], permitted: [] });
  });

  it('gives a privileged container every cap and host device, no seccomp, no masks, /sys and cgroups writable', () => {
    const s = build(['sh'], { Privileged: true });
    expect(s.process.capabilities!.bounding).toEqual(allCapabilities());
    expect(s.linux.seccomp).toBeUndefined();
    expect(s.linux.maskedPaths).toBeUndefined();
    expect(s.linux.readonlyPaths).toBeUndefined();
    expect(s.mounts.find((m) => m.destination === '/sys')!.options).toEqual(['nosuid', 'noexec', 'nodev']);
    expect(s.mounts.find((m) => m.destination === '/sys/fs/cgroup')!.options).toEqual(['nosuid', 'noexec', 'nodev']);
    expect(s.linux.resources!.devices).toEqual([{ allow: true, access: 'rwm' }]);
    const nullDev = s.linux.devices!.find((d) => d.path === '/dev/null');
    expect(nullDev).toMatchObject({ type: 'c', major: 1, minor: 3, fileMode: 0o666 });
    expect(s.linux.devices!.some((d) => d.path.startsWith('/dev/pts/'))).toBe(false);
  });

  it('maps --device and --device-cgroup-rule', () => {
    const s = build(['sh'], { Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'rw' }], DeviceCgroupRules: ['c 42:* rmw', 'b 8:0 r'] });
    expect(s.linux.devices).toEqual([{ type: 'c', path: '/dev/mynull', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }]);
    expect(s.linux.resources!.devices!.slice(8)).toEqual([
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
      { allow: true, type: 'c', major: 42, minor: -1, access: 'rmw' },
      { allow: true, type: 'b', major: 8, minor: 0, access: 'r' },
    ]);
    expect(errorOf(() => build(['sh'], { Devices: [{ PathOnHost: '/dev/nosuch', PathInContainer: '/dev/x', CgroupPermissions: 'rwm' }] })).message).toMatch(
      /^error gathering device information while adding custom device "\/dev\/nosuch": /,
    );
  });

  it('adds Binds, Mounts and Tmpfs mounts sorted by depth, with Docker options', () => {
    const vol = join(dir, 'vol');
    mkdirSync(vol, { recursive: true });
    const created = join(dir, 'created-by-v');
    const s = build(['sh'], {
      Binds: [`${vol}:/data/sub:ro`, `${created}:/x`],
      Mounts: [
        { Type: 'bind', Source: vol, Target: '/opt/a/b/c', BindOptions: { NonRecursive: true } },
        { Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1770 } },
      ],
      Tmpfs: { '/run': 'size=1m,exec', '/tmp': '' },
    });
    expect(existsSync(created)).toBe(true); // -v creates a missing source, --mount does not
    expect(s.mounts.slice(7)).toEqual([
      { destination: '/x', type: 'bind', source: created, options: ['rbind', 'rprivate'] },
      { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'mode=1770', 'size=64m'] },
      { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'rprivate', 'size=1m', 'exec'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate'] },
      { destination: '/data/sub', type: 'bind', source: vol, options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/etc/resolv.conf', type: 'bind', source: b.etc.resolvConf, options: ['rbind', 'rprivate'] },
      { destination: '/etc/hostname', type: 'bind', source: b.etc.hostname, options: ['rbind', 'rprivate'] },
      { destination: '/etc/hosts', type: 'bind', source: b.etc.hosts, options: ['rbind', 'rprivate'] },
      { destination: '/opt/a/b/c', type: 'bind', source: vol, options: ['bind', 'rprivate'] },
    ]);
    // A user mount on /etc/hosts or /dev/shm replaces Docker's.
    const over = build(['sh'], { Binds: [`${vol}:/etc/hosts`], Tmpfs: { '/dev/shm': 'size=1m' } });
    expect(over.mounts.filter((m) => m.destination === '/etc/hosts')).toEqual([{ destination: '/etc/hosts', type: 'bind', source: vol, options: ['rbind', 'rprivate'] }]);
    expect(over.mounts.filter((m) => m.destination === '/dev/shm')).toEqual([
      { destination: '/dev/shm', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=1m'] },
    ]);
  });

  it('makes the rootfs, the default mounts and the etc files read-only with ReadonlyRootfs', () => {
    const s = build(['sh'], { ReadonlyRootfs: true, ShmSize: 1024 * 1024 });
    expect(s.root.readonly).toBe(true);
    const opts = Object.fromEntries(s.mounts.map((m) => [m.destination, m.options]));
    expect(opts['/proc']).toEqual(['nosuid', 'noexec', 'nodev']);
    expect(opts['/dev/shm']).toEqual(['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=1048576']);
    expect(opts['/sys/fs/cgroup']).toEqual(['ro', 'nosuid', 'noexec', 'nodev']);
    expect(opts['/etc/hosts']).toEqual(['rbind', 'ro', 'rprivate']);
  });

  it('follows the namespace modes, sysctls, rlimits, oom score, no-new-privileges, init and annotations', () => {
    const host = buildSpec(specInput(b, runConfig(['sh']), runHostConfig({ PidMode: 'host', UTSMode: 'host', IpcMode: 'host' }), { network: { mode: 'host' } }));
    expect(host.linux.namespaces).toEqual([{ type: 'mount' }]);
    expect(host.hostname).toBeUndefined();
    expect(host.linux.sysctl).toEqual({});
    expect(host.mounts.find((m) => m.destination === '/dev/shm')).toEqual({ destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] });
    const joined = buildSpec(specInput(b, runConfig(['sh']), runHostConfig({ CgroupnsMode: 'private' }), { network: { mode: 'path', path: '/run/netns/x' } }));
    expect(joined.linux.namespaces).toEqual([{ type: 'mount' }, { type: 'network', path: '/run/netns/x' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }, { type: 'cgroup' }]);
    expect(build(['sh'], { IpcMode: 'none' }).mounts.some((m) => m.destination === '/dev/shm')).toBe(false);

    const s = build(['sh'], {
      Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '1024', 'kernel.shmmax': '1000000' },
      Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }, { Name: 'core', Soft: -1, Hard: -1 }],
      OomScoreAdj: 500,
      SecurityOpt: ['no-new-privileges'],
      Init: true,
      Annotations: { 'org.example': 'x' },
    }, { Domainname: 'example.org' });
    expect(s.linux.sysctl).toEqual({ 'kernel.domainname': 'example.org', 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '1024', 'kernel.shmmax': '1000000' });
    expect(s.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', hard: 2048, soft: 1024 }, { type: 'RLIMIT_CORE', hard: 2 ** 64 - 1, soft: 2 ** 64 - 1 }]);
    expect(serializeSpec(s)).toContain('{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":18446744073709551615}');
    expect(s.process.oomScoreAdj).toBe(500);
    expect(s.process.noNewPrivileges).toBe(true);
    expect(s.process.args).toEqual(['/sbin/docker-init', '--', 'sh']);
    expect(s.mounts[7]).toEqual({ destination: '/sbin/docker-init', type: 'bind', source: expect.stringMatching(/\/tsd-init$/), options: ['bind', 'ro'] });
    expect(s.annotations).toEqual({ 'org.example': 'x' });
    expect(build(['sh'], { SecurityOpt: ['no-new-privileges:false'] }).process.noNewPrivileges).toBeUndefined();
    expect(build(['sh'], { SecurityOpt: ['writable-cgroups=true'] }).mounts.find((m) => m.type === 'cgroup')!.options).toEqual(['nosuid', 'noexec', 'nodev']);
    expect(build(['sh'], { PidMode: 'host', Init: true }).process.args).toEqual(['sh']);
  });

  it('fills linux.resources from the limits', () => {
    const s = build(['sh'], { Memory: 64 * 1024 * 1024, MemoryReservation: 32 * 1024 * 1024, NanoCpus: 1.5e9, CpuShares: 512, CpusetCpus: '0', PidsLimit: 100 });
    const swapLimit = cgroupSysInfo().swapLimit;
    expect(s.linux.resources).toMatchObject({
      memory: { limit: 64 * 1024 * 1024, reservation: 32 * 1024 * 1024, ...(swapLimit ? { swap: 128 * 1024 * 1024 } : {}) },
      cpu: { shares: 512, period: 100000, quota: 150000, cpus: '0' },
      pids: { limit: 100 },
    });
    expect(build(['sh'], { CpuPeriod: 50000, CpuQuota: 25000, PidsLimit: 0 }).linux.resources).toMatchObject({ cpu: { period: 50000, quota: 25000 }, pids: { limit: -1 } });
    expect(build(['sh'], { MemorySwappiness: 0 }).linux.resources!.memory!.swappiness).toBe(0);
    expect(build(['sh'], { MemorySwappiness: null }).linux.resources!.memory).not.toHaveProperty('swappiness');
  });
});

describe('buildExecProcess', () => {
  it('runs with the container env, user, cwd and caps, the exec Env over them', () => {
    const spec = build(['sleep', '1000'], { CapDrop: ['KILL'], SecurityOpt: ['no-new-privileges'], Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 100 }] }, { Env: ['A=1', 'B=2'], WorkingDir: '/srv', User: 'nobody' });
    const p = buildExecProcess(spec, { Cmd: ['sh', '-c', 'env'], Env: ['B=3', 'C=4'] }, b.rootfs);
    expect(p).toEqual({
      user: { uid: 65534, gid: 65534, additionalGids: [65534] },
      args: ['sh', '-c', 'env'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOSTNAME=${ID.slice(0, 12)}`, 'A=1', 'B=3', 'C=4'],
      cwd: '/srv',
      capabilities: spec.process.capabilities,
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 100, soft: 100 }],
      noNewPrivileges: true,
      oomScoreAdj: 0,
    });
    rmSync(join(b.rootfs, 'srv'), { recursive: true });
  });

  it('takes User, WorkingDir, Tty and Privileged from the exec', () => {
    const spec = build(['sleep', '1000'], { GroupAdd: ['4242'] });
    const p = buildExecProcess(spec, { Cmd: ['id'], User: 'nobody', WorkingDir: '/tmp', Tty: true, ConsoleSize: [24, 80], Privileged: true }, b.rootfs, ['4242']);
    expect(p.user).toEqual({ uid: 65534, gid: 65534, additionalGids: [65534, 4242] });
    expect(p.cwd).toBe('/tmp');
    expect(p.terminal).toBe(true);
    expect(p.consoleSize).toEqual({ height: 24, width: 80 });
    expect(p.env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOSTNAME=${ID.slice(0, 12)}`, 'TERM=xterm']);
    expect(p.capabilities!.effective).toEqual(allCapabilities());
    // A tty container's TERM=xterm is not given to a non-tty exec.
    const ttySpec = build(['sleep', '1000'], {}, { Tty: true });
    expect(buildExecProcess(ttySpec, { Cmd: ['env'] }, b.rootfs).env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOSTNAME=${ID.slice(0, 12)}`]);
    expect(errorOf(() => buildExecProcess(spec, { Cmd: [] }, b.rootfs))).toBeInstanceOf(InvalidArgumentError);
    expect(errorOf(() => buildExecProcess(spec, { Cmd: ['id'], User: 'nosuch' }, b.rootfs)).message).toBe('unable to find user nosuch: no matching entries in passwd file');
  });
});

describe('validateCreate', () => {
  const check = (hc: Partial<HostConfig>, cfg: Parameters<typeof runConfig>[1] = {}): string[] => validateCreate(runConfig(['sh'], cfg), runHostConfig(hc));
  const refuse = (hc: Partial<HostConfig>, cfg: Parameters<typeof runConfig>[1] = {}): string => {
    const err = errorOf(() => check(hc, cfg));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return err.message;
  };

  it("fills Docker's create defaults in HostConfig", () => {
    const hc = runHostConfig({ Memory: 64 * 1024 * 1024 });
    const warnings = validateCreate(runConfig(['sh']), hc);
    const sys = cgroupSysInfo();
    expect(hc.ShmSize).toBe(67108864);
    expect(hc.IpcMode).toBe('private');
    expect(hc.CgroupnsMode).toBe(sys.cgroupVersion === '2' ? 'private' : 'host');
    expect(hc.OomKillDisable).toBe(false);
    expect(hc.MaskedPaths).toContain('/proc/kcore');
    expect(hc.ReadonlyPaths).toContain('/proc/sys');
    if (sys.swapLimit) {
      expect(warnings).toEqual([]);
      expect(hc.MemorySwap).toBe(128 * 1024 * 1024);
    } else {
      expect(warnings).toEqual(['Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.']);
      expect(hc.MemorySwap).toBe(-1);
    }
    const priv = runHostConfig({ Privileged: true });
    validateCreate(runConfig(['sh']), priv);
    expect(priv.MaskedPaths).toBeNull();
    expect(check({ CpuPercent: 50 })).toEqual(['linux does not support CPU percent. Percent discarded.']);
  });

  it("refuses bad values with Docker's messages", () => {
    expect(refuse({ CapAdd: ['FOO'] })).toBe('invalid CapAdd: unknown capability: "CAP_FOO"');
    expect(refuse({ CapDrop: ['cap_bar'] })).toBe('invalid CapDrop: unknown capability: "CAP_BAR"');
    expect(refuse({}, { WorkingDir: 'rel' })).toBe("the working directory 'rel' is invalid, it needs to be an absolute path");
    expect(refuse({}, { Cmd: [], Entrypoint: null })).toBe('No command specified');
    expect(refuse({}, { Env: ['=x'] })).toBe('invalid environment variable: =x');
    expect(refuse({}, { StopSignal: 'SIGNOPE' })).toBe('Invalid signal: SIGNOPE');
    expect(refuse({ Memory: 1024 })).toBe('Minimum memory limit allowed is 6MB');
    expect(refuse({ NanoCpus: 1e12 })).toBe(`Range of CPUs is from 0.01 to ${cgroupSysInfo().ncpu}.00, as there are only ${cgroupSysInfo().ncpu} CPUs available`);
    expect(refuse({ NanoCpus: 1e9, CpuQuota: 50000 })).toBe('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
    expect(refuse({ CpuPeriod: 10 })).toBe('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
    expect(refuse({ CpusetCpus: '0-999' })).toMatch(/^Requested CPUs are not available - requested 0-999, available: /);
    expect(refuse({ CpusetCpus: 'x' })).toBe('Invalid value x for cpuset cpus: invalid format: x');
    expect(refuse({ OomScoreAdj: 1001 })).toBe('Invalid value 1001, range for oom score adj is [-1000, 1000]');
    expect(refuse({ ShmSize: -1 })).toBe('SHM size can not be less than 0');
    expect(refuse({ IpcMode: 'bogus' })).toBe('invalid IPC mode: bogus');
    expect(refuse({ PidMode: 'bogus' })).toBe('invalid PID mode: bogus');
    expect(refuse({ UTSMode: 'bogus' })).toBe('invalid UTS mode: bogus');
    expect(refuse({ CgroupnsMode: 'bogus' as HostConfig['CgroupnsMode'] })).toBe('invalid cgroup namespace mode: bogus');
    expect(refuse({ SecurityOpt: ['bogus'] })).toBe('invalid --security-opt 1: "bogus"');
    expect(refuse({ SecurityOpt: ['foo=bar'] })).toBe('invalid --security-opt 2: "foo=bar"');
    expect(refuse({ SecurityOpt: ['no-new-privileges=maybe'] })).toBe('invalid --security-opt 2: "no-new-privileges=maybe"');
    expect(refuse({ SecurityOpt: ['seccomp={bad'] })).toMatch(/^Decoding seccomp profile failed: /);
    expect(refuse({ RestartPolicy: { Name: 'sometimes' as 'no' } })).toBe("invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
    expect(refuse({ RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } })).toBe("invalid restart policy: maximum retry count can only be used with 'on-failure'");
    expect(refuse({ AutoRemove: true, RestartPolicy: { Name: 'always' } })).toBe("can't create 'AutoRemove' container with restart policy");
    expect(refuse({ Mounts: [{ Type: 'bind', Source: '/nonexistent/x', Target: '/x' }] })).toBe('invalid mount config for type "bind": bind source path does not exist: /nonexistent/x');
    expect(refuse({ Mounts: [{ Type: 'bind', Source: '/tmp', Target: 'rel' }] })).toBe('invalid mount config for type "bind": invalid mount path: \'rel\' mount path must be absolute');
    expect(refuse({ Mounts: [{ Type: 'tmpfs', Source: 'x', Target: '/x' }] })).toBe('invalid mount config for type "tmpfs": field Source must not be specified');
    expect(refuse({ Binds: ['/tmp:/'] })).toBe("invalid volume specification: '/tmp:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'");
    expect(refuse({ Binds: ['/tmp:/x:rw,ro'] })).toBe('invalid mode: rw,ro');
    expect(refuse({ Binds: ['/tmp:/x', '/var:/x'] })).toBe('Duplicate mount point: /x');
    expect(refuse({ Tmpfs: { '/x': 'bogus' } })).toBe('invalid tmpfs option ["bogus"]');
    expect(refuse({ Tmpfs: { rel: '' } })).toBe("invalid mount path: 'rel' mount path must be absolute");
    expect(refuse({ DeviceCgroupRules: ['c 1:3'] })).toBe("invalid device cgroup rule format: 'c 1:3'");
    expect(refuse({ Ulimits: [{ Name: 'nofiles', Soft: 1, Hard: 1 }] })).toBe('invalid ulimit type: nofiles');
    expect(refuse({ Ulimits: [{ Name: 'nofile', Soft: 2, Hard: 1 }] })).toBe('ulimit soft limit must be less than or equal to hard limit: 2 > 1');
    expect(refuse({ IOMaximumIOps: 5 })).toBe('Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps');
  });

  it("keeps --memory-swappiness where the kernel has memory.swappiness (cgroup v1), else discards it with dockerd's warning", () => {
    const swappiness = (value: number | null) => {
      const hc = runHostConfig({ MemorySwappiness: value });
      return { warnings: validateCreate(runConfig(['sh']), hc), value: hc.MemorySwappiness };
    };
    expect(swappiness(-1)).toEqual({ warnings: [], value: null });
    if (cgroupSysInfo().memorySwappiness) {
      expect(swappiness(60)).toEqual({ warnings: [], value: 60 });
      expect(swappiness(0)).toEqual({ warnings: [], value: 0 });
      expect(refuse({ MemorySwappiness: 101 })).toBe('Invalid value: 101, valid memory swappiness range is 0-100');
    } else {
      const discarded = ['Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.'];
      expect(swappiness(60)).toEqual({ warnings: discarded, value: null });
    }
  });

  it('refuses what tsdocker does not implement instead of ignoring it', () => {
    expect(refuse({ DeviceRequests: [{ Count: -1 }] })).toBe('DeviceRequests (--gpus) is not supported by tsdocker');
    expect(check({ Binds: [`${dir}:/data`] }, { Volumes: { '/data': {} } })).toEqual([]); // a bind covers the VOLUME
    expect(refuse({ IpcMode: 'shareable' })).toBe('IPC mode "shareable" is not supported by tsdocker');
    expect(refuse({ PidMode: 'container:abc' })).toBe('PID mode "container:abc" is not supported by tsdocker');
    expect(refuse({ UsernsMode: 'private' })).toBe('user namespaces (UsernsMode "private") are not supported by tsdocker');
    expect(refuse({ StorageOpt: { size: '1G' } })).toBe('StorageOpt (--storage-opt) is not supported by tsdocker');
    expect(refuse({ Mounts: [{ Type: 'volume', Target: '/v', VolumeOptions: { Subpath: 'x' } }] })).toMatch(/volume subpaths are not supported by tsdocker/);
    expect(refuse({ SecurityOpt: [`seccomp=${JSON.stringify({ defaultAction: 'SCMP_ACT_NOTIFY' })}`] })).toBe('seccomp action SCMP_ACT_NOTIFY is not supported by tsdocker');
  });
});

describe('serializeSpec', () => {
  it('writes JSON that round-trips, with exact RLIM_INFINITY', () => {
    const s = build(['sh'], { Ulimits: [{ Name: 'nproc', Soft: -1, Hard: -1 }] });
    const text = serializeSpec(s);
    expect(text).toContain('"hard":18446744073709551615');
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(s)));
    expect(readFileSync(b.etc.hostname, 'utf8')).toBe(`${ID.slice(0, 12)}\n`);
  });
});
