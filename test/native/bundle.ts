// Test helpers: a busybox OCI bundle with a config.json shaped like the one
// Docker writes by default (capabilities, mounts, masked/readonly paths,
// device rules, sysctls), and runners for tsd-runtime and runc.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runtimePath } from '../../src/native/paths';

export const BUSYBOX = '/bin/busybox';

export const DOCKER_DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** rootfs with busybox and its applets as symlinks, /etc/passwd and /etc/group. */
export function makeRootfs(dir: string): string {
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'mnt']) mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  const list = spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => a && a !== 'busybox');
  for (const applet of list) symlinkSync('busybox', join(rootfs, 'bin', applet));
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  return rootfs;
}

export interface ProcessOptions {
  args: string[];
  env?: string[];
  cwd?: string;
  uid?: number;
  gid?: number;
  additionalGids?: number[];
  terminal?: boolean;
  noNewPrivileges?: boolean;
}

/** config.json as Docker 2x writes it for `docker run` on a cgroup v1 host. */
export function dockerConfig(id: string, cgroupParent: string, p: ProcessOptions): Record<string, unknown> {
  const caps = DOCKER_DEFAULT_CAPS;
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: p.terminal ?? false,
      user: { uid: p.uid ?? 0, gid: p.gid ?? 0, ...(p.additionalGids ? { additionalGids: p.additionalGids } : {}) },
      args: p.args,
      env: p.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOSTNAME=${id.slice(0, 12)}`],
      cwd: p.cwd ?? '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: p.noNewPrivileges ?? false,
      oomScoreAdj: 0,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: id.slice(0, 12),
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'] },
    ],
    linux: {
      sysctl: { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647' },
      resources: {
        devices: [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
          { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
          { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
          { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
          { allow: true, type: 'c', major: 136, access: 'rwm' },
          { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
        ],
        pids: { limit: 512 },
        memory: { limit: 268435456 },
        cpu: { shares: 512 },
      },
      cgroupsPath: `${cgroupParent}/${id}`,
      namespaces: [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }],
      maskedPaths: [
        '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

export function writeConfig(bundle: string, config: Record<string, unknown>): void {
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 2));
}

export type Runtime = 'tsd' | 'runc';

export function runtimeBinary(rt: Runtime): string {
  return rt === 'tsd' ? runtimePath() : 'runc';
}

/** Runs `<runtime> --root ROOT ...args` synchronously (stdin closed). */
export function rt(runtime: Runtime, root: string, args: string[], timeoutMs = 20000): SpawnSyncReturns<string> {
  return spawnSync(runtimeBinary(runtime), ['--root', root, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
}

/** Removes the cgroup parent directory in every v1 hierarchy (and v2). */
export function removeCgroupParent(parent: string): void {
  const base = '/sys/fs/cgroup';
  const dirs = existsSync(join(base, 'cgroup.controllers')) ? [base] : readdirSync(base).map((d) => join(base, d)); // v1 (and unified)
  for (const d of dirs) {
    const p = join(d, parent);
    if (!existsSync(p)) continue;
    for (const child of readdirSync(p, { withFileTypes: true })) if (child.isDirectory()) rmdirQuiet(join(p, child.name));
    rmdirQuiet(p);
  }
}

function rmdirQuiet(p: string): void {
  try {
    rmdirSync(p);
  } catch {
    /* busy or gone */
  }
}
