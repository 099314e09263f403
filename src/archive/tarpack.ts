// Writing entries to a tar-stream pack with back-pressure.
import type { Readable } from 'node:stream';
import type * as tar from 'tar-stream';

export type Pack = ReturnType<typeof tar.pack>;
export type PackHeader = Parameters<Pack['entry']>[0];

/** Adds an entry with an in-memory body (files without one are empty). */
export function packEntry(pack: Pack, header: PackHeader, data?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null) => (err ? reject(err) : resolve());
    const isFile = header.type === undefined || header.type === 'file' || header.type === 'contiguous-file';
    const body = data ?? (isFile ? Buffer.alloc(0) : undefined);
    if (body !== undefined) pack.entry({ ...header, size: body.length }, body, cb);
    else pack.entry(header, cb);
  });
}

/** Adds an entry whose body (exactly header.size bytes) comes from a stream. */
export function packStream(pack: Pack, header: PackHeader, src: Readable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    sink.on('error', reject); // without a listener a failing source would crash the daemon
    src.on('error', (err) => {
      sink.destroy(err);
      reject(err);
    });
    src.on('data', (chunk: Buffer) => {
      if (!sink.write(chunk)) {
        src.pause();
        sink.once('drain', () => src.resume());
      }
    });
    src.on('end', () => sink.end(undefined));
  });
}
