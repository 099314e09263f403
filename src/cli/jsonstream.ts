// Reads docker's JSON message streams (import, load, pull, push, build): one
// object per line; an in-band error ends the command as docker does.
import type { Readable } from 'node:stream';
import type { JSONMessage } from '../api/types';
import { CliError } from './cli-error';

/** The JSON objects of a newline-delimited stream (progress messages by default; stats and events too). */
export async function* jsonMessages<T = JSONMessage>(body: Readable): AsyncGenerator<T> {
  let buffered = '';
  for await (const chunk of body) {
    buffered += (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) yield JSON.parse(line) as T;
    }
  }
  if (buffered.trim()) yield JSON.parse(buffered) as T;
}

/** An in-band error: its message alone, exit 1 (docker's jsonmessage.JSONError), not an "Error response from daemon". */
export function streamError(msg: JSONMessage): CliError {
  return new CliError(msg.errorDetail?.message ?? msg.error ?? 'unknown error');
}

/** Prints a stream's messages as docker's non-terminal output does; throws its error. */
export async function printMessages(body: Readable, write: (s: string) => void): Promise<JSONMessage[]> {
  const all: JSONMessage[] = [];
  for await (const msg of jsonMessages(body)) {
    all.push(msg);
    if (msg.errorDetail || msg.error) throw streamError(msg);
    if (msg.stream !== undefined) write(msg.stream);
    else if (msg.status !== undefined && msg.progress === undefined) write(`${msg.id ? `${msg.id}: ` : ''}${msg.status}\n`);
  }
  return all;
}
