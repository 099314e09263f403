// HostConfig.Ulimits to process.rlimits (daemon WithRlimits; names as
// go-units' ulimit parser knows them). The daemon sets no default ulimits, so
// a container inherits the runtime's limits for anything not given.
import type { Ulimit } from '../api/containers';
import { InvalidArgumentError } from '../errors';
import type { OciRlimit } from './oci-types';

const NAMES = ['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];

/** rlimit values are uint64: -1 (unlimited) is RLIM_INFINITY, 2^64-1 (see serializeSpec). */
const RLIM_INFINITY = 2 ** 64 - 1;

export function checkUlimits(ulimits: readonly Ulimit[] | null | undefined): void {
  for (const u of ulimits ?? []) {
    if (!NAMES.includes(u.Name)) throw new InvalidArgumentError(`invalid ulimit type: ${u.Name}`);
    if (u.Soft > u.Hard && u.Hard !== -1) throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
  }
}

export function toRlimits(ulimits: readonly Ulimit[] | null | undefined): OciRlimit[] {
  const value = (v: number): number => (v < 0 ? RLIM_INFINITY : v);
  return (ulimits ?? []).map((u) => ({ type: `RLIMIT_${u.Name.toUpperCase()}`, hard: value(u.Hard), soft: value(u.Soft) }));
}
