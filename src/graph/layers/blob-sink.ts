// Where a layer's tar, as received, goes while register() unpacks it: into a
// content writer as the bytes pass (a stream from the network), or, when the
// tar is already a file on the data root's filesystem (a load's scratch copy),
// only hashed as it passes and then adopted by the content store as it is: one
// copy of the bytes fewer.
import { Transform, type Readable } from 'node:stream';
import { oneShotRef } from '../content/helpers';
import type { Ingester } from '../content/types';
import { Digester, type Digest } from '../../api/digest';
import { AlreadyExistsError } from '../errors';

export interface BlobSink {
  /** The stream the unpacker reads: `raw`, seen by the sink on the way. */
  through(raw: Readable): Readable;
  /** Commits the blob (an existing one counts), given what the unpacker hashed (the blob itself when uncompressed). */
  finish(unpacked: { diffId: Digest; tarSize: number }): Promise<{ digest: Digest; size: number }>;
  /** Abandons it. */
  abort(): Promise<void>;
}

function tee(raw: Readable, onChunk: (chunk: Buffer) => Promise<void> | void): Readable {
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      Promise.resolve(onChunk(chunk)).then(() => cb(null, chunk), cb);
    },
  });
  raw.on('error', (err) => t.destroy(err));
  return raw.pipe(t);
}

async function tolerateExisting<T>(commit: Promise<T>): Promise<void> {
  try {
    await commit;
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err;
  }
}

/** Writes the bytes to a new ingest as they pass. */
export async function writerSink(content: Ingester): Promise<BlobSink> {
  const writer = await content.writer(oneShotRef('layer'));
  return {
    through: (raw) => tee(raw, (chunk) => writer.write(chunk)),
    async finish() {
      const blob = { digest: writer.digest(), size: writer.offset };
      await tolerateExisting(writer.commit(blob.size, blob.digest));
      return blob;
    },
    abort: () => writer.abort(),
  };
}

/** The tar is the file `path`: hash what passes (unless the unpacker's diffID is the digest), then adopt the file. */
export function fileSink(content: Ingester, path: string, compressed: boolean): BlobSink {
  const digester = new Digester();
  return {
    through: (raw) => (compressed ? tee(raw, (chunk) => digester.update(chunk)) : raw),
    async finish(unpacked) {
      const blob = compressed ? { digest: digester.digest(), size: digester.size } : { digest: unpacked.diffId, size: unpacked.tarSize };
      await tolerateExisting(content.adopt(path, blob.digest));
      return blob;
    },
    abort: async () => undefined,
  };
}
