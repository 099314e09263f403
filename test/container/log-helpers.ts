// Helpers of the log tests: json-file lines as the shim writes them, and
// decoding what readLogs sends (stdcopy frames or raw bytes).
import type { Readable } from 'node:stream';
import type { LogSource } from '../../src/container/log-config';

export interface Message {
  stream: number;
  text: string;
}

/** One json-file line. */
export function line(log: string, time: string, stream: 'stdout' | 'stderr' = 'stdout'): string {
  return `${JSON.stringify({ log, stream, time })}\n`;
}

/** Splits stdcopy frames; throws on a torn frame. */
export function deframe(data: Buffer): Message[] {
  const out: Message[] = [];
  let off = 0;
  while (off < data.length) {
    if (data.length - off < 8) throw new Error('torn frame header');
    const stream = data[off]!;
    const size = data.readUInt32BE(off + 4);
    if (data.length - off - 8 < size) throw new Error('torn frame');
    out.push({ stream, text: data.subarray(off + 8, off + 8 + size).toString('utf8') });
    off += 8 + size;
  }
  return out;
}

export async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Collects a stream as it flows; `data()` is what arrived so far, `ended` settles at its end. */
export function collect(s: Readable): { data: () => Buffer; ended: Promise<void> } {
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    s.on('end', resolve);
    s.on('error', reject);
  });
  return { data: () => Buffer.concat(chunks), ended };
}

export { waitFor } from '../native/procs';

/** Time of entry i, one second apart from 2026-01-02T03:04:00Z, with a fraction. */
export function timeOf(i: number): string {
  return `2026-01-02T03:04:${String(i).padStart(2, '0')}.${String(100 + i)}Z`;
}

export function unixOf(i: number): number {
  return Date.parse('2026-01-02T03:04:00Z') / 1000 + i + (100 + i) / 1000;
}

/** A json-file log at path, for readLogs. */
export function jsonFile(path: string): LogSource {
  return { driver: 'json-file', path };
}
