// Applies an uncompressed layer tar to a directory, Docker-style and safe against
// hostile archives (see scoped-path.ts):
//   - names are cleaned relative to the root; names climbing out are refused;
//   - parents are resolved through earlier symlinks *within* the root, and the
//     final component is never followed (an existing entry is replaced);
//   - symlinks are created as given (their targets only matter inside a container);
//   - hardlinks must name an entry inside the layer;
//   - device nodes and fifos are created with mknod (we run as root);
//   - AUFS whiteouts become overlay whiteouts: `.wh.NAME` → char device 0/0 at
//     NAME, `.wh..wh..opq` → xattr trusted.overlay.opaque=y on the directory;
//   - uid/gid, mode (incl. setuid), mtime and SCHILY.xattr PAX records are kept.
import { promises as fsp } from 'node:fs';
import { posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { InvalidArgumentError, isErrno } from '../../errors';
import { lsetxattr, mknod } from '../../native';
import { Digester, type Digest } from '../digest';
import { cleanEntryName, resolveInRoot } from './scoped-path';
import { OPAQUE_XATTR, WHITEOUT_META_PREFIX, WHITEOUT_OPAQUE, WHITEOUT_PREFIX, S_IFBLK, S_IFCHR, S_IFIFO, XATTR_PAX_PREFIX } from './whiteout';

type TarEntry = tar.Extract extends AsyncIterable<infer S> ? S : never;

export interface UnpackResult {
  /** sha256 of the uncompressed tar stream, all of it. */
  diffId: Digest;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
  /** Bytes of regular-file content written (the layer's size as `docker images` counts it). */
  size: number;
}

/** Unpacks the uncompressed tar `source` into the existing directory `root`. */
export async function unpackLayer(source: Readable, root: string): Promise<UnpackResult> {
  const digester = new Digester();
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      digester.update(chunk);
      cb(null, chunk);
    },
  });
  const extract = tar.extract();
  const piping = pipeline(source, hasher, extract);
  let size = 0;
  const dirTimes: Array<[string, Date]> = [];
  try {
    for await (const entry of extract) {
      size += await applyEntry(root, entry, dirTimes);
    }
  } catch (err) {
    source.destroy();
    await piping.catch(() => {});
    throw err;
  }
  await piping;
  for (const [path, mtime] of dirTimes.reverse()) await fsp.lutimes(path, mtime, mtime);
  return { diffId: digester.digest(), tarSize: digester.size, size };
}

async function applyEntry(root: string, entry: TarEntry, dirTimes: Array<[string, Date]>): Promise<number> {
  const h = entry.header;
  const drain = async () => {
    for await (const _ of entry as AsyncIterable<Buffer>) void _;
  };
  const rel = cleanEntryName(h.name);
  if (rel.startsWith(WHITEOUT_META_PREFIX)) return drain().then(() => 0);
  const host = resolveInRoot(root, rel);
  const parent = posix.dirname(host);
  const base = posix.basename(rel);
  if (rel !== '') await fsp.mkdir(parent, { recursive: true, mode: 0o755 });

  if (base === WHITEOUT_OPAQUE) {
    await drain();
    lsetxattr(parent, OPAQUE_XATTR, Buffer.from('y'));
    return 0;
  }
  if (base.startsWith(WHITEOUT_PREFIX)) {
    await drain();
    const original = posix.join(parent, base.slice(WHITEOUT_PREFIX.length));
    await fsp.rm(original, { recursive: true, force: true });
    mknod(original, S_IFCHR, 0, 0);
    await fsp.lchown(original, h.uid ?? 0, h.gid ?? 0);
    return 0;
  }

  const type = h.type ?? 'file';
  const existing = await fsp.lstat(host).catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  });
  if (existing && !(existing.isDirectory() && type === 'directory')) await fsp.rm(host, { recursive: true, force: true });

  const perm = (h.mode ?? 0o644) & 0o7777;
  let written = 0;
  switch (type) {
    case 'directory':
      if (!existing?.isDirectory()) await fsp.mkdir(host, { mode: 0o700 });
      await drain();
      break;
    case 'file':
    case 'contiguous-file': {
      // 'wx' = O_CREAT|O_EXCL: never writes through a link planted at `host`.
      const fh = await fsp.open(host, 'wx', 0o600);
      try {
        for await (const chunk of entry as AsyncIterable<Buffer>) await fh.write(chunk);
      } finally {
        await fh.close();
      }
      written = h.size;
      break;
    }
    case 'link': {
      const linkname = h.linkname ?? '';
      let targetRel: string;
      try {
        targetRel = cleanEntryName(linkname);
      } catch {
        throw new InvalidArgumentError(`invalid hardlink ${JSON.stringify(h.name)} -> ${JSON.stringify(linkname)}: breakout attempt`);
      }
      if (targetRel === '') throw new InvalidArgumentError(`invalid hardlink ${JSON.stringify(h.name)} -> ${JSON.stringify(linkname)}`);
      await drain();
      await fsp.link(resolveInRoot(root, targetRel), host);
      break;
    }
    case 'symlink':
      await drain();
      await fsp.symlink(h.linkname ?? '', host);
      break;
    case 'character-device':
    case 'block-device':
    case 'fifo': {
      await drain();
      const ifmt = type === 'fifo' ? S_IFIFO : type === 'block-device' ? S_IFBLK : S_IFCHR;
      mknod(host, ifmt | perm, h.devmajor ?? 0, h.devminor ?? 0);
      break;
    }
    default:
      // Unknown types (GNU sparse, …) are skipped as Docker skips them.
      await drain();
      return 0;
  }

  if (type === 'link') return 0; // the link shares the target's inode and metadata
  await fsp.lchown(host, h.uid ?? 0, h.gid ?? 0);
  if (type !== 'symlink') await fsp.chmod(host, perm); // after chown, which clears setuid
  const pax = h.pax as Record<string, string> | null | undefined;
  if (pax) {
    for (const [key, value] of Object.entries(pax)) {
      if (!key.startsWith(XATTR_PAX_PREFIX)) continue;
      lsetxattr(host, key.slice(XATTR_PAX_PREFIX.length), Buffer.from(value, 'utf8'));
    }
  }
  const mtime = h.mtime ?? new Date(0);
  if (type === 'directory') dirTimes.push([host, mtime]);
  else await fsp.lutimes(host, mtime, mtime);
  return written;
}
