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

/**
 * A tar that could not be read or applied, as dockerd words it: its
 * untar runs in a child whose failure it reports as "Error processing tar
 * file(exit status 1): <error>".
 */
export class TarError extends TsdError {
  constructor(detail: string) {
    super(`Error processing tar file(exit status 1): ${detail}`);
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

/**
 * Calls `onEntry` for each entry of the (uncompressed) tar `source`, in order;
 * an entry's body must be read or drained before the call returns. On any
 * failure the source is destroyed (the rest of an upload is not read) and the
 * first error is thrown, the extractor's in Go's words.
 */
export async function forEachTarEntry(source: Readable, onEntry: (entry: TarEntry) => Promise<void>): Promise<void> {
  const extract = tarExtract();
  let streamError: unknown;
  // Handled at once: the pipeline can fail while onEntry awaits something else.
  const piping = pipeline(source, extract).catch((err: unknown) => {
    streamError ??= err;
  });
  try {
    for await (const entry of extract) await onEntry(entry);
  } catch (err) {
    // An entry destroyed under its reader: the extractor failed (a truncated tar), and that is the error to tell.
    const underneath = err instanceof Error && err.message === 'Stream was destroyed';
    if (underneath) await piping;
    source.destroy();
    extract.destroy();
    await piping;
    throw tarFormatError(underneath && streamError !== undefined ? streamError : err);
  }
  await piping;
  if (streamError !== undefined) throw tarFormatError(streamError);
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
