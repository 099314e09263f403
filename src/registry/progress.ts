// dockerd's progress lines for pull and push: one `id` per layer (the first
// 12 hex digits of a digest), byte counts in progressDetail and the bar in
// `progress`, at most one line per layer every PROGRESS_INTERVAL_MS.
import { Transform, type Readable } from 'node:stream';
import type { JSONMessage } from '../api/types';
import { progressString } from '../api/units';
import type { Digest } from '../api/digest';

export type Emit = (msg: JSONMessage) => void;

const PROGRESS_INTERVAL_MS = 100;

/** The first 12 hex digits of a digest: the `id` of a layer's progress lines. */
export function shortDigest(d: Digest): string {
  return d.slice(7, 19);
}

/** A status line without counts (`Pulling fs layer`, `Pushed`). */
export function statusLine(id: string, status: string): JSONMessage {
  return { status, progressDetail: {}, id };
}

/** A `Downloading`/`Extracting`/`Pushing` line as dockerd's progress.Update writes it. */
export function progressLine(id: string, status: string, current: number, total: number): JSONMessage {
  return { status, progressDetail: { current, total }, progress: progressString(current, total), id };
}

/** Throttles a layer's counted lines. */
export function progressTicker(id: string, status: string, total: number, emit: Emit): (current: number) => void {
  let last = 0;
  return (current) => {
    if (Date.now() - last < PROGRESS_INTERVAL_MS && current !== total) return;
    last = Date.now();
    emit(progressLine(id, status, current, total));
  };
}

/** `source` as it passes, counted into `status` lines. */
export function counted(source: Readable, id: string, status: string, total: number, emit: Emit): Readable {
  let current = 0;
  const tick = progressTicker(id, status, total, emit);
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      current += chunk.length;
      tick(current);
      cb(null, chunk);
    },
  });
  source.on('error', (err) => t.destroy(err));
  return source.pipe(t);
}
