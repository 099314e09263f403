// Local files the image and container commands read and write (load -i,
// import, save -o, export -o), with docker's checks and messages: Go's
// "open X: no such file or directory" instead of Node's errors, the output
// path checked before the daemon is asked, written 0600 under a temporary
// name and renamed into place when complete (docker's atomic writer).
import { createWriteStream, promises as fs, type ReadStream } from 'node:fs';
import { dirname, join, basename, normalize } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Cli } from '../cli';
import { CliError } from '../cli';

const GO_ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
};

/** Go's text for a failed file operation: `open /x: no such file or directory`. */
export function goPathError(op: string, path: string, err: unknown): CliError {
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  return new CliError(`${op} ${path}: ${GO_ERRNO[code] ?? (err instanceof Error ? err.message : String(err))}`);
}

/** The URL docker's messages name for a request: `http://%2Frun%2Fdocker.sock/v1.50/images/load?quiet=1`. */
async function requestUrl(cli: Cli, path: string, query: Record<string, string | undefined>): Promise<string> {
  const host = cli.host;
  const authority = host.startsWith('unix://') ? encodeURIComponent(host.slice('unix://'.length)) : host.replace(/^tcp:\/\//, '');
  return `http://${authority}${await cli.client.url(path, query)}`;
}

/**
 * A file to send as a request's body, opened before the request as docker
 * opens it; a directory fails as the docker CLI's read of it does.
 */
export async function openInput(cli: Cli, file: string, method: string, path: string, query: Record<string, string | undefined>): Promise<ReadStream> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    throw goPathError('open', file, err);
  }
  if ((await handle.stat()).isDirectory()) {
    await handle.close();
    throw new CliError(`error during connect: ${method[0]}${method.slice(1).toLowerCase()} "${await requestUrl(cli, path, query)}": read ${file}: is a directory`);
  }
  return handle.createReadStream();
}

/** docker's check of `-o PATH` before anything is asked of the daemon; `what` prefixes the message ("failed to save image"). */
export async function checkOutputPath(file: string, what: string): Promise<void> {
  const dir = dirname(normalize(file));
  if (dir !== '.' && dir !== '') {
    try {
      await fs.stat(dir);
    } catch (err) {
      throw new CliError(`${what}: invalid output path: ${goPathError('stat', dir, err).message}`);
    }
  }
  const st = await fs.stat(file).catch(() => undefined);
  if (st?.isDirectory()) throw new CliError(`${what}: cannot write to a directory`);
}

/** Writes `body` to `file` as docker's atomic writer does: a 0600 temporary file beside it, renamed over it when complete. */
export async function writeOutput(body: Readable, file: string, what: string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    await pipeline(body, createWriteStream(tmp, { mode: 0o600, flags: 'wx' }));
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    if (!(code in GO_ERRNO)) throw err;
    throw new CliError(`${what}: ${goPathError('open', file, err).message}`);
  }
}
