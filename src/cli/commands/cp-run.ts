// docker cp's copy, both ways (see cp.ts for the whole story): the API calls,
// the local side of the archive (cp-copy.ts) and docker's messages.
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodePathStat, GO_MODE, hasModeBit, PATH_STAT_HEADER, type ContainerPathStat } from '../../api/archive';
import { getRebaseName, goJoin, splitPathDirEntry } from '../../archive/paths';
import { XATTRS_UNREAD } from '../../archive/export';
import { rebaseArchive, tarResource } from '../../archive/resource';
import { CliError, type Cli } from '../cli';
import { DaemonError, errorMessage } from '../client';
import { humanSize } from '../format';
import { copyInfoSourcePath, copyTo, fileError, prepareArchiveCopy, resolveLocalPath, validateOutputPath, type CopyInfo } from './cp-copy';

export interface CpFlags {
  archive?: boolean;
  followLink?: boolean;
  quiet?: boolean;
}

interface CpConfig {
  container: string;
  sourcePath: string;
  destPath: string;
  followLink: boolean;
  copyUIDGID: boolean;
  quiet: boolean;
}

export async function cp(cli: Cli, [source, destination]: [string, string], o: CpFlags, quietGiven: boolean): Promise<void> {
  if (source === '') throw new CliError('source can not be empty');
  if (destination === '') throw new CliError('destination can not be empty');
  const [srcContainer, sourcePath] = splitCpArg(source);
  const [dstContainer, destPath] = splitCpArg(destination);
  const base = {
    sourcePath,
    destPath,
    followLink: o.followLink === true,
    copyUIDGID: o.archive === true,
    // Without -q, progress shows only when stdout is a terminal.
    quiet: quietGiven ? o.quiet === true : !process.stdout.isTTY,
  };
  if (srcContainer && dstContainer) throw new CliError('copying between containers is not supported');
  if (srcContainer) return copyFromContainer(cli, { ...base, container: srcContainer });
  if (dstContainer) return copyToContainer(cli, { ...base, container: dstContainer });
  throw new CliError('must specify at least one container source');
}

/**
 * CONTAINER:PATH or a local path. A local path holding ':' must start with
 * '/' or '.' (`./file:name`), as container names cannot.
 */
export function splitCpArg(arg: string): [container: string, path: string] {
  if (arg.startsWith('/')) return ['', arg];
  const colon = arg.indexOf(':');
  if (colon < 0 || arg.startsWith('.')) return ['', arg];
  return [arg.slice(0, colon), arg.slice(colon + 1)];
}

async function copyFromContainer(cli: Cli, cfg: CpConfig): Promise<void> {
  const dstPath = cfg.destPath === '-' ? '-' : resolveLocalPath(cfg.destPath);
  validateOutputPath(dstPath);
  let srcPath = cfg.sourcePath;
  let rebaseName = '';
  if (cfg.followLink) {
    const stat = await statPath(cli, cfg.container, srcPath);
    if (stat && hasModeBit(stat.mode, GO_MODE.symlink)) {
      const target = stat.linkTarget.startsWith('/') ? stat.linkTarget : goJoin(splitPathDirEntry(srcPath)[0], stat.linkTarget);
      [srcPath, rebaseName] = getRebaseName(srcPath, target);
    }
  }
  const res = await cli.client.stream('GET', `/containers/${cfg.container}/archive`, { query: { path: srcPath } });
  if (dstPath === '-') {
    try {
      await pipeline(res.body, process.stdout);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
    }
    return;
  }
  const stat = decodePathStat(res.headers[PATH_STAT_HEADER.toLowerCase()]);
  const src: CopyInfo = { path: srcPath, exists: true, isDir: stat !== undefined && hasModeBit(stat.mode, GO_MODE.dir), rebaseName };
  const counter = byteCounter();
  let content: Readable = res.body.pipe(counter.stream);
  if (rebaseName) content = rebaseArchive(content, splitPathDirEntry(src.path)[1], rebaseName);
  const failure = await copyTo(content, src, dstPath).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!cfg.quiet) cli.err(summary(counter.bytes(), dstPath));
  // A file error of the extraction names a local path, in Go's words.
  if (failure !== undefined) throw typeof (failure as NodeJS.ErrnoException).syscall === 'string' ? fileError(failure) : failure;
}

async function copyToContainer(cli: Cli, cfg: CpConfig): Promise<void> {
  const srcPath = cfg.sourcePath === '-' ? '-' : resolveLocalPath(cfg.sourcePath);
  const dst: CopyInfo = { path: cfg.destPath, exists: false, isDir: false, rebaseName: '' };
  let dstStat = await statPath(cli, cfg.container, cfg.destPath);
  if (dstStat && hasModeBit(dstStat.mode, GO_MODE.symlink)) {
    // A link in the container is followed to what it names.
    const target = dstStat.linkTarget.startsWith('/') ? dstStat.linkTarget : goJoin(splitPathDirEntry(cfg.destPath)[0], dstStat.linkTarget);
    dst.path = target;
    dstStat = await statPath(cli, cfg.container, target);
  }
  if (dstStat) {
    const why = hasModeBit(dstStat.mode, GO_MODE.device) ? 'got a device' : hasModeBit(dstStat.mode, GO_MODE.irregular) ? 'got an irregular file' : '';
    if (why) throw new CliError(`destination "${cfg.container}:${cfg.destPath}" must be a directory or a regular file: ${why}`);
    dst.exists = true;
    dst.isDir = hasModeBit(dstStat.mode, GO_MODE.dir);
  }

  const counter = byteCounter();
  let content: Readable;
  let dstDir: string;
  if (srcPath === '-') {
    if (!dst.isDir) throw new CliError(`destination "${cfg.container}:${cfg.destPath}" must be a directory`);
    content = process.stdin;
    dstDir = dst.path;
  } else {
    const src = copyInfoSourcePath(srcPath, cfg.followLink);
    let archive: Readable;
    try {
      archive = tarResource(src.path, src.rebaseName || splitPathDirEntry(src.path)[1], XATTRS_UNREAD);
    } catch (err) {
      throw fileError(err);
    }
    const prepared = prepareArchiveCopy(archive, src, dst);
    dstDir = prepared.dstDir;
    content = prepared.content.pipe(counter.stream);
  }

  const res = await cli.client.raw('PUT', `/containers/${cfg.container}/archive`, {
    query: { path: dstDir, noOverwriteDirNonDir: 'true', ...(cfg.copyUIDGID ? { copyUIDGID: 'true' } : {}) },
    stream: content,
    contentType: 'text/plain',
  });
  const text = await res.body.text();
  const failure = res.statusCode >= 400 ? new DaemonError(res.statusCode, errorMessage(text, res.statusCode)) : undefined;
  if (!cfg.quiet) cli.err(summary(counter.bytes(), `${cfg.container}:${dst.path}`));
  if (failure) throw failure;
}

/** HEAD /containers/{id}/archive; any failure is no stat (the copy then goes on as docker's does). */
async function statPath(cli: Cli, container: string, path: string): Promise<ContainerPathStat | undefined> {
  try {
    const res = await cli.client.raw('HEAD', `/containers/${container}/archive`, { query: { path } });
    res.body.resume();
    return res.statusCode === 200 ? decodePathStat(res.headers[PATH_STAT_HEADER.toLowerCase()]) : undefined;
  } catch {
    return undefined;
  }
}

function summary(bytes: number, dest: string): string {
  return `Successfully copied ${humanSize(bytes, 3)} to ${dest}\n`;
}

/** A pass-through that counts the bytes of the tar, for the summary. */
function byteCounter(): { stream: Transform; bytes: () => number } {
  let n = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      cb(null, chunk);
    },
  });
  return { stream, bytes: () => n };
}
