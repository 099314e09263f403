// Docker image references, parsed and normalized exactly like
// github.com/distribution/reference: `busybox` is `docker.io/library/busybox`,
// shown to users in its familiar form `busybox:latest`. Image IDs (full
// `sha256:<hex>`, bare 64-hex, unique prefixes) are told apart here and resolved
// by the image store.
import { InvalidArgumentError } from '../errors';
import { isDigest, type Digest } from './digest';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const NAME_TOTAL_LENGTH_MAX = 255;

// The grammar of distribution/reference/regexp.go.
const alphaNumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphaNumeric}(?:${separator}${alphaNumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const namePat = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`;
const REFERENCE_RE = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const TAG_RE = new RegExp(`^${tagPat}$`);
const ANCHORED_ID_RE = /^[a-f0-9]{64}$/;
const ID_PREFIX_RE = /^(?:sha256:)?[a-f0-9]{1,64}$/;

/** A normalized named reference: `docker.io/library/busybox` + optional tag and digest. */
export interface NamedRef {
  /** Full name, e.g. `docker.io/library/busybox`, `localhost:5000/a/b`. */
  readonly name: string;
  readonly domain: string;
  /** Name without the domain, e.g. `library/busybox`. */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

export type TaggedRef = NamedRef & { readonly tag: string; readonly digest?: undefined };
export type CanonicalRef = NamedRef & { readonly digest: Digest; readonly tag?: undefined };

/** A plain `Parse` of distribution/reference: no normalization. */
function parse(s: string): NamedRef {
  const m = REFERENCE_RE.exec(s);
  if (!m) {
    if (s === '') throw new InvalidArgumentError('invalid reference format: repository name must have at least one component');
    if (REFERENCE_RE.test(s.toLowerCase())) throw new InvalidArgumentError('invalid reference format: repository name must be lowercase');
    throw new InvalidArgumentError('invalid reference format');
  }
  const name = m[1]!;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidArgumentError(`invalid reference format: repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const digest = m[3];
  if (digest !== undefined && !isDigest(digest)) {
    throw new InvalidArgumentError(digest.startsWith('sha256:') ? 'invalid checksum digest format' : 'unsupported digest algorithm');
  }
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first);
  return {
    name,
    domain: hasDomain ? first : '',
    path: hasDomain ? name.slice(slash + 1) : name,
    ...(m[2] !== undefined ? { tag: m[2] } : {}),
    ...(digest !== undefined ? { digest: digest as Digest } : {}),
  };
}

function splitDockerDomain(name: string): [domain: string, remainder: string] {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i < 0 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return [domain, remainder];
}

/** ParseNormalizedNamed: `busybox` → docker.io/library/busybox (tag and digest kept as given). */
export function parseNormalizedNamed(s: string): NamedRef {
  if (ANCHORED_ID_RE.test(s)) {
    throw new InvalidArgumentError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remoteName = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remoteName.toLowerCase() !== remoteName) {
    throw new InvalidArgumentError(`invalid reference format: repository name (${remoteName}) must be lowercase`);
  }
  const ref = parse(`${domain}/${remainder}`);
  return { ...ref, domain, path: ref.name.slice(domain.length + 1) };
}

/** TagNameOnly: adds `:latest` to a reference with neither tag nor digest. */
export function withDefaultTag(ref: NamedRef): NamedRef {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/** ParseDockerRef: normalized, `:latest` added, and a tag dropped when a digest is given. */
export function parseDockerRef(s: string): TaggedRef | CanonicalRef {
  const ref = parseNormalizedNamed(s);
  if (ref.digest !== undefined) return { name: ref.name, domain: ref.domain, path: ref.path, digest: ref.digest };
  return { name: ref.name, domain: ref.domain, path: ref.path, tag: ref.tag ?? DEFAULT_TAG };
}

/** `repo` + `tag` as the tag and commit endpoints take them (tag defaults to latest). */
export function repoTagReference(repo: string, tag: string | undefined): TaggedRef {
  const ref = parseNormalizedNamed(repo);
  if (ref.digest !== undefined) throw new InvalidArgumentError('refusing to create a tag with a digest reference');
  if (tag && ref.tag !== undefined) throw new InvalidArgumentError('invalid reference format');
  const t = tag || ref.tag || DEFAULT_TAG;
  if (!TAG_RE.test(t)) throw new InvalidArgumentError(`invalid tag format`);
  if (ref.path === 'library/sha256' || ref.name === 'sha256') {
    throw new InvalidArgumentError('refusing to create an ambiguous tag using digest algorithm as name');
  }
  return { name: ref.name, domain: ref.domain, path: ref.path, tag: t };
}

/** FamiliarName: `docker.io/library/busybox` → `busybox`, `docker.io/a/b` → `a/b`. */
export function familiarName(ref: Pick<NamedRef, 'name' | 'domain' | 'path'>): string {
  if (ref.domain !== DEFAULT_DOMAIN) return ref.name;
  const p = ref.path;
  if (p.startsWith(OFFICIAL_REPO_PREFIX) && !p.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) {
    return p.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return p;
}

/** FamiliarString: `busybox:latest`, `localhost:5000/a/b:tag`, `busybox@sha256:…`. */
export function familiarString(ref: NamedRef): string {
  let s = familiarName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** The full string form: `docker.io/library/busybox:latest`. */
export function referenceString(ref: NamedRef): string {
  let s = ref.name;
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** What a user-given image string can denote, per ParseAnyReference. */
export type ImageLookup =
  | { kind: 'id'; id: Digest }
  | { kind: 'named'; ref: NamedRef; idPrefix?: string };

/**
 * ParseAnyReference as GetImage uses it: a full ID (`sha256:<hex>` or 64 hex) or
 * a named reference that may also be an ID prefix (`abc123`, `sha256:abc`).
 */
export function parseImageLookup(s: string): ImageLookup {
  if (ANCHORED_ID_RE.test(s)) return { kind: 'id', id: `sha256:${s}` };
  if (isDigest(s)) return { kind: 'id', id: s };
  if (/^sha256:/.test(s) && ID_PREFIX_RE.test(s)) {
    // distribution parses `sha256:abc` as the name `sha256` tagged `abc`.
    const ref = parseNormalizedNamed(s);
    return { kind: 'named', ref, idPrefix: s.slice(7) };
  }
  const ref = parseNormalizedNamed(s);
  return ID_PREFIX_RE.test(s) ? { kind: 'named', ref, idPrefix: s } : { kind: 'named', ref };
}

/** Whether `s` names the image ID `id` by prefix (isImageIDPrefix of image_delete.go). */
export function isImageIdPrefix(id: string, s: string): boolean {
  if (id.startsWith(s)) return true;
  const i = id.indexOf(':');
  return i >= 0 && id.slice(i + 1).startsWith(s);
}

/** Docker's wording for a reference that names no image. */
export function noSuchImageMessage(lookup: ImageLookup): string {
  if (lookup.kind === 'id') return `No such image: ${lookup.id}`;
  return `No such image: ${familiarString(withDefaultTag(lookup.ref))}`;
}
