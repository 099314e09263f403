// The process environment Docker gives a container or exec
// (container.CreateDaemonEnvironment, ReplaceOrAppendEnvValues).
import { DEFAULT_PATH_ENV } from './defaults';

/**
 * Overrides replace the default of the same name in place or are appended; an
 * override without '=' removes the default of that name.
 */
export function replaceOrAppendEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const out = [...defaults];
  const index = new Map<string, number>();
  out.forEach((e, i) => index.set(e.slice(0, e.indexOf('=')), i));
  for (const value of overrides) {
    const eq = value.indexOf('=');
    const at = index.get(eq < 0 ? value : value.slice(0, eq));
    if (eq < 0) {
      if (at !== undefined) out[at] = '';
    } else if (at !== undefined) {
      out[at] = value;
    } else {
      out.push(value);
    }
  }
  return out.filter((e) => e !== '');
}

/** PATH, HOSTNAME, TERM=xterm with a tty, then the container's Env over them. */
export function daemonEnvironment(hostname: string, tty: boolean, env: readonly string[] | null | undefined): string[] {
  const base = [`PATH=${DEFAULT_PATH_ENV}`, `HOSTNAME=${hostname}`];
  if (tty) base.push('TERM=xterm');
  return replaceOrAppendEnv(base, env ?? []);
}
