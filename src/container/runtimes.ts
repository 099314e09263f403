// OCI runtimes a container may name (HostConfig.Runtime): ours by default, the
// Debian runc and crun, and those of the daemon's `runtimes` setting. All take
// the same bundle and runc's command line; the shim drives whichever is chosen.
import { InvalidArgumentError } from '../errors';
import { runtimePath } from '../native';

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
