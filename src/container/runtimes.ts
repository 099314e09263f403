// OCI runtimes a container may name (HostConfig.Runtime): ours by default, the
// Debian runc and crun, and those of the daemon's `runtimes` setting. All take
// the same bundle and runc's command line; the shim drives whichever is chosen.
import { InvalidArgumentError } from '../errors';
import { runtimePath } from '../native';
import type { RuntimeDriver } from '../runtime/driver';
import { OciRuntime } from '../runtime/driver-oci';
import type { ContainerPaths } from './files';

export const BUILTIN_RUNTIME = 'tsd-runtime';

export interface RuntimeChoice {
  name: string;
  /** Executable (absolute, or a name looked up in PATH by the shim). */
  path: string;
}

export function resolveRuntime(requested: string | undefined, defaultRuntime: string, configured: Record<string, { path: string }>): RuntimeChoice {
  const name = requested || defaultRuntime;
  if (configured[name]) return { name, path: configured[name].path };
  if (name === BUILTIN_RUNTIME) return { name, path: runtimePath() };
  if (name === 'runc' || name === 'crun') return { name, path: name };
  throw new InvalidArgumentError(`unknown or invalid runtime name: ${name}`);
}

/** A RuntimeDriver for each runtime a container may have used, on its root under the exec root. */
export function runtimeDrivers(configured: { defaultRuntime: string; runtimes: Record<string, { path: string }> }, paths: ContainerPaths): RuntimeDriver[] {
  const names = new Set([BUILTIN_RUNTIME, 'runc', 'crun', ...Object.keys(configured.runtimes)]);
  return [...names].map((name) => {
    const { path } = resolveRuntime(name, configured.defaultRuntime, configured.runtimes);
    return new OciRuntime(name, path, paths.runtimeRoot(name));
  });
}
