// Streams between a client's hijacked connection and a shim: Docker's 8-byte
// stdcopy frames (no tty) or raw bytes (tty), and detach-key scanning of stdin.
import type { Writable } from 'node:stream';
import { InvalidArgumentError } from '../errors';

export const STDOUT = 1;
export const STDERR = 2;

/** One stdcopy frame: [stream, 0, 0, 0, size (BE32)] + payload. */
export function frame(stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

/** A writer of one stream to a client: framed unless the container has a tty. */
export function streamWriter(out: Writable, stream: number, tty: boolean): (chunk: Buffer) => void {
  return tty ? (chunk) => out.write(chunk) : (chunk) => out.write(frame(stream, chunk));
}

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** Docker's detach-key syntax ("ctrl-p,ctrl-q", "a,ctrl-@") to bytes. */
export function parseDetachKeys(spec: string): Buffer {
  const bytes: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim();
    if (k.length === 1) bytes.push(k.charCodeAt(0));
    else if (/^ctrl-[a-z@[\\\]^_]$/.test(k)) {
      const c = k.slice(5);
      bytes.push(c >= 'a' && c <= 'z' ? c.charCodeAt(0) - 96 : '@[\\]^_'.indexOf(c));
    } else throw new InvalidArgumentError(`Invalid detach keys (${spec}) provided`);
  }
  return Buffer.from(bytes);
}

/**
 * Passes stdin through, holding back bytes that may begin the detach sequence;
 * calls onDetach (and forwards nothing more) when the whole sequence is seen.
 */
export function detachScanner(keys: Buffer, forward: (b: Buffer) => void, onDetach: () => void): (chunk: Buffer) => void {
  let matched = 0;
  let detached = false;
  return (chunk) => {
    if (detached) return;
    if (keys.length === 0) return forward(chunk);
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === keys[matched]) {
        if (matched === 0 && i > start) forward(chunk.subarray(start, i));
        matched++;
        if (matched === keys.length) {
          detached = true;
          onDetach();
          return;
        }
        start = i + 1;
      } else if (matched > 0) {
        // Not the sequence after all: release what was held back.
        forward(keys.subarray(0, matched));
        matched = 0;
        start = i;
        i--;
      }
    }
    if (matched === 0 && start < chunk.length) forward(chunk.subarray(start));
  };
}
