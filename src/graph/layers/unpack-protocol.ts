// The messages between the layer unpacks on a worker thread (./unpack-worker.ts)
// and the daemon's side of them (./unpack-thread.ts), and the checks each side
// makes of what it receives (a message is input from another isolate).
import { isDigest } from '../../api/digest';
import type { Compression } from '../../archive/compression';
import { TAR_ERROR_PREFIX, TarError } from '../../archive/read';
import { InvalidArgumentError, TsdError, UnavailableError, type ErrorCode } from '../../errors';
import type { UnpackResult } from './unpack';

/** One layer to unpack. */
export interface UnpackJob {
  /** The layer's directory, existing and empty. */
  root: string;
  compression: Compression;
}

/**
 * Daemon → worker, each about job `job` (a worker runs several at once): its
 * start, the layer's bytes as received (in order), their end; or the daemon
 * giving up on it (the worker stops it and answers with an error).
 */
export type ToWorker = { job: number } & ({ start: UnpackJob } | { chunk: ArrayBuffer } | { end: true } | { cancel: true });

/**
 * An error as the worker caught it: one of ours by its class (the name a
 * bundler gives a class is no proof), its words, a system error's fields.
 */
export interface WireError {
  ours?: ErrorCode | 'tar';
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

/** Worker → daemon, about job `job`: bytes its unpack took (flow control), then one outcome. */
export type FromWorker = { job: number } & ({ consumed: number } | { done: UnpackResult } | { error: WireError });

const COMPRESSIONS: ReadonlySet<string> = new Set<Compression>(['none', 'gzip', 'bzip2', 'xz', 'zstd']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function isUnpackJob(v: unknown): v is UnpackJob {
  return isObject(v) && typeof v['root'] === 'string' && typeof v['compression'] === 'string' && COMPRESSIONS.has(v['compression']);
}

export function isToWorker(v: unknown): v is ToWorker {
  if (!isObject(v) || typeof v['job'] !== 'number') return false;
  return isUnpackJob(v['start']) || v['chunk'] instanceof ArrayBuffer || v['end'] === true || v['cancel'] === true;
}

function isUnpackResult(v: unknown): v is UnpackResult {
  return isObject(v) && typeof v['diffId'] === 'string' && isDigest(v['diffId']) && typeof v['tarSize'] === 'number' && typeof v['size'] === 'number';
}

function isWireError(v: unknown): v is WireError {
  return isObject(v) && typeof v['message'] === 'string' && (v['ours'] === undefined || typeof v['ours'] === 'string');
}

export function isFromWorker(v: unknown): v is FromWorker {
  if (!isObject(v) || typeof v['job'] !== 'number') return false;
  return typeof v['consumed'] === 'number' || isUnpackResult(v['done']) || isWireError(v['error']);
}

export function toWire(err: unknown): WireError {
  if (err instanceof TarError) return { ours: 'tar', message: err.message };
  if (err instanceof TsdError) return { ours: err.code, message: err.message };
  if (!(err instanceof Error)) return { message: String(err) };
  const e = err as NodeJS.ErrnoException;
  const wire: WireError = { message: err.message };
  if (typeof e.code === 'string') wire.code = e.code;
  if (typeof e.errno === 'number') wire.errno = e.errno;
  if (typeof e.syscall === 'string') wire.syscall = e.syscall;
  if (typeof e.path === 'string') wire.path = e.path;
  return wire;
}

/** Our classes an unpack throws, made again with their own constructors (which set their codes). */
const CLASSES = new Map<WireError['ours'], (message: string) => Error>([
  ['tar', (message) => new TarError(message.slice(TAR_ERROR_PREFIX.length))],
  ['INVALID_ARGUMENT', (message) => new InvalidArgumentError(message)],
  ['UNAVAILABLE', (message) => new UnavailableError(message)],
]);

/** The worker's error on this side: the same class where it is one of ours, else an Error with the system-error fields. */
export function fromWire(wire: WireError): Error {
  const { ours, message, ...fields } = wire;
  if (ours !== undefined) return (CLASSES.get(ours) ?? ((m: string) => new TsdError(m)))(message);
  return Object.assign(new Error(message), fields);
}
