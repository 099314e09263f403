// Reading a tar stream, entry by entry: the one loop every tar consumer uses
// (layer unpack, docker cp's extraction, load's scratch copy, rebasing). The
// extractor's failure is always handled: a truncated or garbage upload is an
// error of the request that sent it, never an unhandled rejection that ends
// the daemon. Its words are Go's archive/tar's, as dockerd answers them.
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as tar from 'tar-stream';
import { TsdError } from '../errors';
import { tarExtract } from './pax';

export type TarEntry = tar.Extract extends AsyncIterable<infer S> ? S : never;
export type TarHeader = TarEntry['header'];

/** What a TarError's message starts with. */
export const TAR_ERROR_PREFIX = 'Error processing tar file(exit status 1): ';

/**
 * A tar that could not be read or applied, as dockerd words it: its
 * untar runs in a child whose failure it reports as "Error processing tar
 * file(exit status 1): <error>".
 */
export class TarError extends TsdError {
  constructor(detail: string) {
    super(`${TAR_ERROR_PREFIX}${detail}`);
  }
}

/** Go's archive/tar words for what tar-stream's extractor throws; other errors as they are. */
export function tarFormatError(err: unknown): unknown {
  const message = err instanceof Error ? err.message : '';
  if (message === 'Unexpected end of data') return new TarError('unexpected EOF');
  if (/^Invalid tar header/.test(message)) return new TarError('archive/tar: invalid tar header');
  if (/malformed PAX record/.test(message)) return new TarError(message);
  return err;
}

/** An extractor reading `source`, its failure kept (handled at once: it can come while no one awaits it). */
function openTar(source: Readable): { extract: tar.Extract; settled: Promise<void>; failure: () => unknown; abort: () => Promise<void> } {
  const extract = tarExtract();
  let streamError: unknown;
  const settled = pipeline(source, extract).catch((err: unknown) => {
    streamError ??= err;
  });
  return {
    extract,
    settled,
    failure: () => streamError,
    abort: async () => {
      source.destroy();
      extract.destroy();
      await settled;
    },
  };
}

/** The error to tell for `err` met while reading entries: an entry destroyed under its reader means the extractor failed (a truncated tar). */
async function causeOf(tar: ReturnType<typeof openTar>, err: unknown): Promise<unknown> {
  if (!(err instanceof Error && err.message === 'Stream was destroyed')) return tarFormatError(err);
  await tar.settled;
  return tarFormatError(tar.failure() ?? err);
}

/**
 * Calls `onEntry` for each entry of the (uncompressed) tar `source`, in order;
 * an entry's body must be read or drained before the call returns. On any
 * failure the source is destroyed (the rest of an upload is not read) and the
 * first error is thrown, the extractor's in Go's words.
 */
export async function forEachTarEntry(source: Readable, onEntry: (entry: TarEntry) => Promise<void>): Promise<void> {
  const each = async function* (entry: TarEntry): AsyncGenerator<never> {
    await onEntry(entry);
  };
  for await (const _ of mapTarEntries(source, each)) void _;
}

/**
 * What `each` yields for each entry of the tar `source` (which it must read or
 * drain), for a generator that yields as it reads; failures as for
 * forEachTarEntry, and a consumer that stops early drops the source.
 */
export async function* mapTarEntries<T>(source: Readable, each: (entry: TarEntry) => AsyncIterable<T>): AsyncGenerator<T> {
  const tar = openTar(source);
  let complete = false;
  try {
    for await (const entry of tar.extract) yield* each(entry);
    complete = true;
  } catch (err) {
    throw await causeOf(tar, err);
  } finally {
    if (!complete) await tar.abort();
  }
  await tar.settled;
  if (tar.failure() !== undefined) throw tarFormatError(tar.failure());
}

/** Reads and drops an entry's body. */
export async function drainEntry(entry: TarEntry): Promise<void> {
  for await (const _ of entry as AsyncIterable<Buffer>) void _;
}

/**
 * The upload `body` through a stream of its own: a consumer that fails and
 * destroys it leaves the rest of the upload read and dropped (destroying the
 * request itself would close its socket, and the answer with it); a client
 * that goes away before the end is an "unexpected EOF".
 */
export function detachUpload(body: Readable): Readable {
  const detached = new PassThrough();
  // A client that goes away before the consumer reads (docker load -i DIR sends
  // no byte, then closes) errors `detached` first: the error stays on the
  // stream for its consumer (pipeline, for await) and must not end the daemon.
  detached.on('error', () => {});
  body.pipe(detached);
  body.once('error', (err) => detached.destroy(err));
  body.once('close', () => {
    if (!body.readableEnded) detached.destroy(new TarError('unexpected EOF'));
  });
  detached.once('close', () => {
    if (body.readableEnded) return;
    body.unpipe(detached);
    body.resume();
  });
  return detached;
}
