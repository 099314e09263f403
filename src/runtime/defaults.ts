// Docker 28's defaults for a Linux container (moby daemon/pkg/oci/defaults.go
// and oci/caps/defaults.go). Functions return fresh copies: callers edit them.
import type { OciDeviceRule, OciMount } from './oci-types';

export const DEFAULT_PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** /dev/shm size when HostConfig.ShmSize is 0 (dockerd's default-shm-size, 64 MiB). */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

export function defaultCapabilities(): string[] {
  return [
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
    'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
  ];
}

export function defaultMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777'] },
  ];
}

export function defaultMaskedPaths(): string[] {
  return [
    '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
    '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
  ];
}

export function defaultReadonlyPaths(): string[] {
  return ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
}

/**
 * The device cgroup rules of every container: deny all, then allow the nodes
 * runtimes create (null, zero, full, random, urandom, tty, console) and deny
 * /dev/fuse (10:229).
 */
export function defaultDeviceRules(): OciDeviceRule[] {
  const c = (major: number, minor: number, allow = true): OciDeviceRule => ({ allow, type: 'c', major, minor, access: 'rwm' });
  return [{ allow: false, access: 'rwm' }, c(1, 5), c(1, 3), c(1, 9), c(1, 8), c(5, 0), c(5, 1), c(10, 229, false)];
}
