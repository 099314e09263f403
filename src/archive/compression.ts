// Detects and undoes the compressions Docker accepts for layer and image tars
// (archive.DecompressStream): gzip (zlib), bzip2, xz and zstd (the system's
// `bzip2`, `xz`, `zstd` tools, as Docker uses `xz`), or none.
// A default import: the CLI's bundle loads child_process lazily, through an object whose named exports esbuild cannot copy.
import childProcess from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidArgumentError } from '../errors';

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

export function detectCompression(head: Uint8Array): Compression {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x1f, 0x8b, 0x08)) return 'gzip';
  if (starts(0x42, 0x5a, 0x68)) return 'bzip2';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  return 'none';
}

/** Reads enough of `source` to tell its compression; returns it with a stream of all bytes. */
export async function peekCompression(source: Readable): Promise<{ compression: Compression; stream: Readable }> {
  const chunks: Buffer[] = [];
  let len = 0;
  const it = source[Symbol.asyncIterator]();
  while (len < 6) {
    const r = (await it.next()) as IteratorResult<Buffer>;
    if (r.done) break;
    chunks.push(r.value);
    len += r.value.length;
  }
  const head = Buffer.concat(chunks);
  const rest = async function* (): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (;;) {
      const r = (await it.next()) as IteratorResult<Buffer>;
      if (r.done) return;
      yield r.value;
    }
  };
  return { compression: detectCompression(head), stream: Readable.from(rest(), { objectMode: false }) };
}

/** A stream of the decompressed bytes of `stream`, compressed with `compression`. */
export function decompress(stream: Readable, compression: Compression): Readable {
  switch (compression) {
    case 'none':
      return stream;
    case 'gzip': {
      // 256 KiB of output per round trip to the thread pool, not zlib's 16 KiB: half the CPU time per byte.
      const gunzip = createGunzip({ chunkSize: 256 * 1024 });
      stream.on('error', (err) => gunzip.destroy(err));
      return stream.pipe(gunzip);
    }
    case 'bzip2':
    case 'xz':
    case 'zstd':
      return throughTool(stream, compression, ['-d', '-c', '-q']);
  }
}

function throughTool(stream: Readable, tool: string, args: string[]): Readable {
  const out = new PassThrough();
  const child = childProcess.spawn(tool, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('error', (err) => out.destroy(new InvalidArgumentError(`${tool}-compressed input needs the ${tool} tool: ${err.message}`)));
  stream.on('error', (err) => {
    child.kill();
    out.destroy(err);
  });
  child.stdin.on('error', () => {}); // EPIPE when the tool quits early; its exit status tells
  stream.pipe(child.stdin);
  child.stdout.pipe(out, { end: false });
  child.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new InvalidArgumentError(`${tool}: exit ${code}: ${stderr.trim()}`));
  });
  return out;
}

/** DecompressStream: detect and decompress. */
export async function decompressStream(source: Readable): Promise<{ compression: Compression; stream: Readable }> {
  const { compression, stream } = await peekCompression(source);
  return { compression, stream: decompress(stream, compression) };
}
