// API versioning, in one place: the /vX.Y prefix is split off the URL before
// routing (so each route is registered once), the version is checked against
// the range we serve, and answers whose shape changed between API versions are
// adapted here rather than in each route.
import { API_VERSION, MIN_API_VERSION, compareVersions, versionAtLeast } from '../api/version';
import { InvalidArgumentError } from '../errors';

const VERSION_PREFIX = /^\/v([0-9][0-9.]*)(?=\/|$|\?)/;

/** Splits `/v1.41/containers/json?x` into the version and the unversioned URL. */
export function splitVersion(url: string): { version: string | undefined; url: string } {
  const m = VERSION_PREFIX.exec(url);
  if (!m) return { version: undefined, url };
  const rest = url.slice(m[0].length);
  return { version: m[1]!, url: rest === '' || rest.startsWith('?') ? `/${rest}` : rest };
}

/** Docker's answers for a version outside [MIN_API_VERSION, API_VERSION]. */
export function checkVersion(version: string): void {
  // Each part is an int for Go's strconv.Atoi; beyond int64 dockerd compared a clamped
  // number and could take 1.41.99999999999999999999 for 1.41: refused here.
  const tooBig = version.split('.').find((part) => !Number.isSafeInteger(Number(part)));
  if (tooBig !== undefined) {
    throw new InvalidArgumentError(`invalid API version ${version}: strconv.Atoi: parsing ${JSON.stringify(tooBig)}: value out of range`);
  }
  if (compareVersions(version, API_VERSION) > 0) {
    throw new InvalidArgumentError(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw new InvalidArgumentError(
      `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  }
}

/** A response model whose fields depend on the API version asked. */
export type VersionedModel = 'SystemInfo' | 'SystemVersion' | 'ImageInspect';

/** Fields that exist only in a range of API versions: a body is built with them all, then shaped. */
type Rule = { model: VersionedModel; fields: readonly string[] } & (
  | { /** The version that introduced the fields: older clients do not get them. */ since: string }
  | { /** The version that removed the fields: it and newer clients do not get them. */ removedIn: string }
);

const RULES: readonly Rule[] = [
  { model: 'SystemInfo', since: '1.44', fields: ['CDISpecDirs'] },
  { model: 'SystemInfo', since: '1.42', fields: ['Swarm.Cluster.DefaultAddrPool'] },
  { model: 'ImageInspect', removedIn: '1.44', fields: ['VirtualSize'] },
  { model: 'ImageInspect', removedIn: '1.45', fields: ['Container', 'ContainerConfig'] },
];

function applies(rule: Rule, version: string): boolean {
  return 'since' in rule ? !versionAtLeast(version, rule.since) : versionAtLeast(version, rule.removedIn);
}

/** Shapes `body` (a fresh object owned by the caller) for the client's version. */
export function shapeForVersion<T extends object>(model: VersionedModel, version: string, body: T): T {
  for (const rule of RULES) {
    if (rule.model !== model || !applies(rule, version)) continue;
    for (const field of rule.fields) deletePath(body as Record<string, unknown>, field.split('.'));
  }
  return body;
}

function deletePath(obj: Record<string, unknown>, path: string[]): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    delete obj[head];
    return;
  }
  const next = obj[head];
  if (typeof next === 'object' && next !== null) deletePath(next as Record<string, unknown>, rest);
}
