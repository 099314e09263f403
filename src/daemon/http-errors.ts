// The API edge's one mapping from errors to HTTP answers: the status comes from
// the error's class, the body is Docker's {"message": "..."}.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorCodeOf, messageOf, type ErrorCode } from '../errors';

const STATUS: Record<ErrorCode, number> = {
  NOT_FOUND: 404,
  INVALID_ARGUMENT: 400,
  CONFLICT: 409,
  FORBIDDEN: 403,
  UNAVAILABLE: 503,
  NOT_MODIFIED: 304,
  NOT_IMPLEMENTED: 501,
  UNAUTHORIZED: 401,
  INTERNAL: 500,
};

export function toHttpStatus(err: unknown): number {
  const code = errorCodeOf(err);
  if (code !== 'INTERNAL') return STATUS[code];
  // Fastify's own errors (bad JSON, schema validation, body too large) carry a 4xx status.
  const status = (err as Partial<FastifyError>).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
}

/** Docker's message for Fastify's own request errors, else the error's message. */
function dockerMessage(err: unknown): string {
  const e = err as Partial<FastifyError>;
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' && typeof e.message === 'string') {
    const type = /: (.*)$/.exec(e.message)?.[1] ?? 'unknown';
    return `Content-Type specified (${type}) must be 'application/json'`;
  }
  if (e.validation && errorCodeOf(err) === 'INTERNAL') return `invalid parameter: ${e.message ?? ''}`.trim();
  return messageOf(err);
}

export function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const status = toHttpStatus(err);
  if (status >= 500) request.log.error({ err, url: request.url }, 'request failed');
  else request.log.debug({ status, err: messageOf(err), url: request.url }, 'request refused');
  if (reply.raw.headersSent) {
    // A streaming answer already started: the error can only end the stream.
    reply.raw.destroy();
    return;
  }
  if (status === 304) {
    void reply.code(304).send();
    return;
  }
  void reply.code(status).type('application/json').send({ message: dockerMessage(err) });
}
