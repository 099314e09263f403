// Reading a container's log as `docker logs` shows it, from the files of its
// driver (log-config.ts): json-file's (log-json-file.ts) or local's
// (log-local.ts); both hold one {"log","stream","time"} object per line, as
// the shim writes them (native/src/jsonlog.c).
//
// Docker's rules (daemon/logs.go, daemon/logger/loggerutils, httputils'
// WriteLogStream): tail counts entries of both streams across the rotated
// files and is applied first; then entries before `since` are skipped
// (since is inclusive) and the first entry after `until` ends the read; each
// message is one stdcopy frame (stream 1 or 2) without a tty, raw bytes with
// one; timestamps prefix each message with its time as
// 2006-01-02T15:04:05.000000000Z07:00 (nanoseconds always nine digits) and a
// space. Following continues from where the history ended, across rotations,
// until `stopped` resolves (then what was written until then is drained), the
// time `until` passes, or the consumer destroys the stream.
import type { Readable } from 'node:stream';
import type { LogSource } from './log-config';
import { JsonFileLog } from './log-json-file';
import { LocalLog } from './log-local';
import type { LogOptions } from './log-stream';

export type { LogOptions } from './log-stream';
export { parseLogTime } from './log-time';

/** The log as the API sends it (see the top of this file). */
export function readLogs(source: LogSource, opts: LogOptions, tty: boolean, stopped: Promise<void>): Readable {
  const Reader = source.driver === 'local' ? LocalLog : JsonFileLog;
  return new Reader(source.path, opts, tty, stopped);
}
