// Helpers over the content Store interface (any implementation).
import type { Readable } from 'node:stream';
import { randomName } from '../fsutil';
import { sha256, type Digest } from '../../api/digest';
import { AlreadyExistsError } from '../errors';
import type { BlobInfo, Ingester, Store } from './types';

/**
 * Refs under this prefix name one-shot ingests (an import's layer, a copy):
 * no writer will ask for them again, so a store removes them when it opens.
 */
export const ONE_SHOT_REF_PREFIX = 'one-shot/';

/** A fresh ref for an ingest that is written in one go or not at all. */
export function oneShotRef(kind: string): string {
  return `${ONE_SHOT_REF_PREFIX}${randomName(`${kind}-`)}`;
}

/**
 * Streams `source` into the store and commits it; an existing blob with the same
 * digest counts as success. `ref` defaults to a one-shot one.
 */
export async function writeBlobStream(
  store: Ingester,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Readable,
  opts: { ref?: string; size?: number; expected?: Digest } = {},
): Promise<{ digest: Digest; size: number }> {
  const w = await store.writer(opts.ref ?? oneShotRef('stream'));
  try {
    for await (const chunk of source as AsyncIterable<Uint8Array>) await w.write(chunk);
  } catch (err) {
    await w.abort();
    throw err;
  }
  const size = w.offset;
  const digest = w.digest();
  try {
    await w.commit(opts.size ?? 0, opts.expected);
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err;
  }
  return { digest, size };
}

/** Writes a small blob (a config, a manifest) and returns its digest. */
export async function writeBlob(store: Store, data: Uint8Array | string): Promise<BlobInfo> {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const digest = sha256(buf);
  if (await store.has(digest)) return store.info(digest);
  await writeBlobStream(store, [buf], { size: buf.length, expected: digest });
  return store.info(digest);
}
