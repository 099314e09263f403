// Paths of a container's filesystem on the host: a path in the container is
// resolved under the host directory that is its `/`, every symlink met taken
// as if that directory were the root (scoped-path.ts), so no path given by the
// client or planted by the container leads out of it. The CLI uses the same
// with `/` as the root (its own filesystem).
import { goClean } from './paths';
import { resolveInRoot, resolvePathInRoot } from './scoped-path';

/**
 * The host path of the absolute container path `path` under `root`: symlinks
 * in its directories resolved within root, and in its last element too when
 * `followLast` (as a path ending in "/" is resolved).
 */
export function hostPath(root: string, path: string, followLast: boolean): string {
  return followLast ? resolvePathInRoot(root, path) : resolveInRoot(root, goClean(`/${path}`).slice(1));
}

/** The container path of a host path under `root` (the inverse of hostPath). */
export function containerPath(root: string, host: string): string {
  if (root === '/') return host;
  if (host === root) return '/';
  return host.startsWith(`${root}/`) ? host.slice(root.length) : host;
}

/**
 * A Node file error as Go words its *PathError, with the container's path:
 * "lstat /etc/x: not a directory".
 */
export function goPathErrorIn(root: string, err: NodeJS.ErrnoException): string {
  if (!err.syscall || err.path === undefined) return err.message;
  const description = errnoDescription(err);
  const syscall = err.syscall === 'utime' || err.syscall === 'lutime' ? 'chtimes' : err.syscall;
  return `${syscall} ${containerPath(root, err.path)}: ${description}`;
}

/** What Node's message for a system error says of it, as Go words it: "ENOENT: no such file or directory, open 'x'" → "no such file or directory". */
export function errnoDescription(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return /^[A-Z0-9]+: (.*?), /.exec(message)?.[1] ?? message;
}
