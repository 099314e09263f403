// A registry's answers worded as dockerd 20.10 words them (distribution/errors.go
// and the registry client's error parsing), so the docker CLI prints the same.
import { NotFoundError, TsdError, UnavailableError } from '../errors';
import { familiarName, familiarString, type NamedRef } from '../api/reference';

/** A registry's error body: {"errors":[{"code","message"}]}; a token server's: {"details"}. */
interface RegistryErrorBody {
  errors?: Array<{ code?: string; message?: string }>;
  details?: string;
}

function parse(body: string): RegistryErrorBody {
  try {
    const v = JSON.parse(body) as unknown;
    return typeof v === 'object' && v !== null ? (v as RegistryErrorBody) : {};
  } catch {
    return {};
  }
}

/** `Head "url"`: how Go's net/http names a request in its errors. */
export function requestName(method: string, url: string): string {
  return `${method.charAt(0)}${method.slice(1).toLowerCase()} "${url}"`;
}

/** dockerd's words for a pull the registry refused after authorization (or with none it could give). */
export function pullDenied(ref: NamedRef): NotFoundError {
  return new NotFoundError(`pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`);
}

/**
 * A token server's refusal, as dockerd's registry client reads it: its
 * `details`, or its first registry error, else "authentication required".
 */
export function tokenRefused(status: number, body: string): string {
  const parsed = parse(body);
  const first = parsed.errors?.[0];
  const cause =
    typeof parsed.details === 'string' && parsed.details !== ''
      ? `unauthorized: ${parsed.details}`
      : first?.code
        ? `${first.code.toLowerCase().replace(/_/g, ' ')}: ${first.message ?? ''}`
        : status === 401
          ? 'unauthorized: authentication required'
          : `unexpected status ${status}`;
  return cause;
}

/** The error of a registry answer, worded as dockerd's distribution/errors.go does for the reference. */
export function registryError(status: number, body: string, ref: NamedRef, what: 'manifest' | 'blob'): TsdError {
  const first = parse(body).errors?.[0];
  const cause = first?.code ? `${first.code.toLowerCase().replace(/_/g, ' ')}: ${first.message ?? ''}` : `unexpected status ${status}`;
  switch (first?.code) {
    case 'MANIFEST_UNKNOWN':
      return new NotFoundError(`manifest for ${familiarString(ref)} not found: ${cause}`);
    case 'NAME_UNKNOWN':
      return new NotFoundError(`repository ${familiarName(ref)} not found: ${cause}`);
    case 'UNAUTHORIZED':
      return new TsdError(cause); // a 401 would make the docker CLI prompt for credentials
    case 'DENIED':
      return new NotFoundError(`pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${cause}`);
    case 'BLOB_UNKNOWN':
      return new NotFoundError(`${what} unknown to registry: ${cause}`);
  }
  if (status === 404) return new NotFoundError(`${what} for ${familiarString(ref)} not found: ${cause}`);
  if (status === 401) return new TsdError(`${familiarName(ref)}: ${cause}`);
  return new UnavailableError(`received unexpected HTTP status: ${status} from ${ref.domain}`);
}
