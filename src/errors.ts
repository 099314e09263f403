// One family of typed errors for the whole daemon. Drivers and jobs throw these
// where the failure arises, with Docker's wording; the API edge maps the class to
// an HTTP status in one place (src/daemon/http-errors.ts) and writes {"message"}.

export type ErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_ARGUMENT'
  | 'CONFLICT'
  | 'FORBIDDEN'
  | 'UNAVAILABLE'
  | 'NOT_MODIFIED'
  | 'NOT_IMPLEMENTED'
  | 'UNAUTHORIZED'
  | 'INTERNAL';

export class TsdError extends Error {
  readonly code: ErrorCode = 'INTERNAL';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** 404: the object does not exist ("No such container: x"). */
export class NotFoundError extends TsdError {
  override readonly code = 'NOT_FOUND';
}
/** 400: the request is malformed or names an invalid value. */
export class InvalidArgumentError extends TsdError {
  override readonly code = 'INVALID_ARGUMENT';
}
/** 409: the object's state forbids the operation (name in use, running, in use). */
export class ConflictError extends TsdError {
  override readonly code = 'CONFLICT';
}
/** 403: the operation is never allowed on this object. */
export class ForbiddenError extends TsdError {
  override readonly code = 'FORBIDDEN';
}
/** 503: a needed service is not available now. */
export class UnavailableError extends TsdError {
  override readonly code = 'UNAVAILABLE';
}
/** 304: nothing to do (start of a running container, stop of a stopped one). */
export class NotModifiedError extends TsdError {
  override readonly code = 'NOT_MODIFIED';
}
/** 501: known to Docker, not implemented by tsdocker yet. */
export class NotImplementedError extends TsdError {
  override readonly code = 'NOT_IMPLEMENTED';
}
/** 401: a registry refused the credentials. */
export class UnauthorizedError extends TsdError {
  override readonly code = 'UNAUTHORIZED';
}

export function errorCodeOf(err: unknown): ErrorCode {
  return err instanceof TsdError ? err.code : 'INTERNAL';
}

/** Message of any thrown value, for logs and API answers. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True for a Node system error with the given code (ENOENT, EEXIST, …). */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}
