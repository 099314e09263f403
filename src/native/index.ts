// Typed, lazily loaded access to the N-API addon native/build/Release/tsd_native.node
// (C source: native/src/addon.c). Every call is synchronous and throws, on failure,
// an Error shaped like Node's system errors:
//   message "mknod /x/y: Operation not permitted", errno (negative, as Node's fs
//   errors: -1 for EPERM), code ('EPERM'), syscall ('mknod'), path (when one applies).
// The addon is loaded on first use, so processes that never call it do not pay.
import { addonPath } from './paths';

export { addonPath, bundlePath, runtimePath } from './paths';

/** The error every native call throws. */
export interface NativeError extends Error {
  errno: number;
  code: string;
  syscall: string;
  path?: string;
}

interface Addon {
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Buffer, flags?: number): void;
  lgetxattr(path: string, name: string): Buffer | null;
  llistxattr(path: string): string[];
  lremovexattr(path: string, name: string): void;
  mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  mountOverlay(target: string, lowers: readonly string[], upper: string | null, work: string | null, options: readonly string[], flags: number): OverlayMethod;
  flock(fd: number, exclusive: boolean, nonBlocking: boolean): void;
  mallocTrim(): void;
  netBridge(name: string, mtu: number, addrs: string[]): void;
  netAttach(spec: NetAttachSpec): void;
  netLinkDelete(name: string, netns: string | null): boolean;
  netLinkDeleteAsync(name: string, netns: string | null): Promise<boolean>;
  netnsListen(netnsPath: string, address: string, port: number): [number, number];
  netnsSocket(netnsPath: string, family: 4 | 6, type: 'udp' | 'tcp'): number;
  MS: MountFlags;
  MNT_DETACH: number;
}

export interface MountFlags {
  RDONLY: number;
  NOSUID: number;
  NODEV: number;
  NOEXEC: number;
  BIND: number;
  REC: number;
  PRIVATE: number;
  SLAVE: number;
  REMOUNT: number;
}

let addon: Addon | undefined;

function load(): Addon {
  if (addon === undefined) {
    // A plain require so esbuild leaves it alone (the path is computed at run time).
    const req: NodeJS.Require = require;
    addon = req(addonPath()) as Addon;
  }
  return addon;
}

/** mknod(2). mode includes the file type bits (S_IFCHR, S_IFBLK, S_IFIFO) and permissions. */
export function mknod(path: string, mode: number, major: number, minor: number): void {
  load().mknod(path, mode, major, minor);
}

/** lsetxattr(2); flags: 0, XATTR_CREATE (1) or XATTR_REPLACE (2). */
export function lsetxattr(path: string, name: string, value: Buffer, flags?: number): void {
  load().lsetxattr(path, name, value, flags ?? 0);
}

/** lgetxattr(2); null when the attribute is not set (ENODATA). */
export function lgetxattr(path: string, name: string): Buffer | null {
  return load().lgetxattr(path, name);
}

/** llistxattr(2): the attribute names of path itself (symlinks not followed). */
export function llistxattr(path: string): string[] {
  return load().llistxattr(path);
}

/** lremovexattr(2). */
export function lremovexattr(path: string, name: string): void {
  load().lremovexattr(path, name);
}

/** mount(2). */
export function mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  load().mount(source, target, fstype, flags, data);
}

/** umount2(2); flags e.g. MNT_DETACH. */
export function umount2(target: string, flags: number): void {
  load().umount2(target, flags);
}

/**
 * How mountOverlay mounted: 'mount' is mount(2) with the options as they read
 * (they fit its one page); 'fsconfig' the new mount API, one lowerdir+ per
 * layer (Linux 6.8+, longer option lists); 'fd-paths' mount(2) with each lower
 * layer named /proc/self/fd/N (longer lists on older kernels, up to ~180 layers).
 */
export type OverlayMethod = 'mount' | 'fsconfig' | 'fd-paths';

export interface OverlayLayers {
  /** Lower directories, top first (as in lowerdir=). */
  lower: readonly string[];
  /** Upper and work directories; both left out for a read-only overlay. */
  upper?: string;
  work?: string;
  /** Other options, "key=value" or "flag" (e.g. 'index=off'). */
  options?: readonly string[];
}

/** Flag of mountOverlay: take mount(2) even where lowerdir+ exists, as kernels before 6.8 do (tests). */
export const OVERLAY_NO_FSCONFIG = 1;

/**
 * Mounts overlayfs on target with any number of lower layers; returns the route
 * taken. Errors name the syscall that failed and its path (a layer, an option
 * or the target), with what the kernel logged about it in the message.
 */
export function mountOverlay(target: string, layers: OverlayLayers, flags = 0): OverlayMethod {
  return load().mountOverlay(target, layers.lower, layers.upper ?? null, layers.work ?? null, layers.options ?? [], flags);
}

/**
 * flock(2) on an open fd: shared or exclusive, blocking or not. A busy lock in
 * non-blocking mode throws with code 'EWOULDBLOCK'. A blocking wait blocks the
 * event loop: prefer nonBlocking with retries.
 */
export function flock(fd: number, exclusive: boolean, nonBlocking: boolean): void {
  load().flock(fd, exclusive, nonBlocking);
}

/** Returns the heap pages glibc holds free (in every arena) to the kernel: malloc_trim(0). */
export function mallocTrim(): void {
  load().mallocTrim();
}

/**
 * A UDP socket and a listening TCP socket bound to address:port (IPv4) inside
 * the network namespace at netnsPath (lo brought up there when down), made by
 * setns on the calling thread and back. Returns [udpFd, tcpFd], non-blocking
 * and close-on-exec, for dgram bind({ fd }) and net.Server listen({ fd }).
 */
export function netnsListen(netnsPath: string, address: string, port: number): { udp: number; tcp: number } {
  const [udp, tcp] = load().netnsListen(netnsPath, address, port);
  return { udp, tcp };
}

/** An unbound, non-blocking, close-on-exec UDP or TCP socket made inside the network namespace at netnsPath. */
export function netnsSocket(netnsPath: string, family: 4 | 6, type: 'udp' | 'tcp'): number {
  return load().netnsSocket(netnsPath, family, type);
}

/** mount(2) flags, from <sys/mount.h>. */
export const MS: MountFlags = Object.freeze({
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  REMOUNT: 32,
  BIND: 4096,
  REC: 16384,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
});

/** umount2(2) flag: lazy unmount. */
export const MNT_DETACH = 2;

/** Type guard for errors thrown by this module. */
export function isNativeError(err: unknown): err is NativeError {
  return err instanceof Error && typeof (err as Partial<NativeError>).errno === 'number' && typeof (err as Partial<NativeError>).syscall === 'string';
}

/** A container's endpoint as netAttach makes it (native/src/net_attach.h). */
export interface NetAttachSpec {
  kind: 'veth' | 'macvlan';
  /** /proc/<pid>/ns/net of the container. */
  netns: string;
  /** Its name inside (eth0, eth1, …). */
  ifname: string;
  /** veth: the host end's name and the bridge it joins. */
  hostIfname: string | null;
  bridge: string | null;
  /** macvlan: the lower link on the host. */
  parent: string | null;
  mac: string | null;
  mtu: number;
  /** veth: the bridge port's hairpin flag (a container reaching its own published port). */
  hairpin: boolean;
  /** CIDRs: 172.17.0.2/16, fd00::2/64. */
  addresses: string[];
  /** Default routes, one per family; none for an internal network. */
  gateways: string[];
}

/** Creates (or takes over) bridge `name`, up, with the gateway addresses (CIDRs). One netlink socket, no process. */
export function netBridge(name: string, mtu: number, addrs: readonly string[]): void {
  load().netBridge(name, mtu, [...addrs]);
}

/** The whole endpoint in one call (≈1 ms): link, hairpin, addresses, up, default routes; undone on failure. */
export function netAttach(spec: NetAttachSpec): void {
  load().netAttach(spec);
}

/** Deletes link `name` (inside netns when given): true when deleted, false when there was none (or no such namespace). */
export function netLinkDelete(name: string, netns: string | null): boolean {
  return load().netLinkDelete(name, netns);
}

/** netLinkDelete on libuv's thread pool: a veth's deletion waits for RCU grace periods (10-30 ms), not on the JS thread. */
export function netLinkDeleteAsync(name: string, netns: string | null): Promise<boolean> {
  return load().netLinkDeleteAsync(name, netns);
}
