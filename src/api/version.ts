// The Docker Engine API versions tsdocker speaks. The daemon advertises the
// newest (the docker CLI 28.x negotiates down to it) and accepts every /vX.Y/
// prefix from the minimum up; the CLI uses the same helpers to negotiate.

/** Highest API version served: the version of the docker CLI 28.x. */
export const API_VERSION = '1.50';
/** Lowest API version accepted, as Docker's daemons since 25.0. */
export const MIN_API_VERSION = '1.24';
/** Version assumed when a client names none (a path without /vX.Y). */
export const DEFAULT_API_VERSION = API_VERSION;
/** What a client assumes when a daemon's ping carries no Api-Version (Docker's rule). */
export const FALLBACK_API_VERSION = '1.24';

/** The Docker Engine release whose API and behaviour tsdocker matches. */
export const ENGINE_VERSION = '28.2.2';
/** tsdocker's own version. */
export const TSDOCKER_VERSION = '0.1.0';

/** Compares two "major.minor" versions numerically: -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function versionAtLeast(version: string, min: string): boolean {
  return compareVersions(version, min) >= 0;
}
