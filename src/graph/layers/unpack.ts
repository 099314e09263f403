// Applies an uncompressed layer tar to a directory (the one tar applier,
// src/archive/apply.ts, in its layer mode: AUFS whiteouts become overlay ones,
// names and links are kept inside the layer) and hashes the tar on the way:
// its digest is the layer's diffID.
import { Transform, type Readable } from 'node:stream';
import { applyTar } from '../../archive/apply';
import { lsetxattr, mknod } from '../../native';
import { Digester, type Digest } from '../../api/digest';

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
  source.once('error', (err) => hasher.destroy(err));
  let size: number;
  try {
    size = await applyTar(source.pipe(hasher), {
      root, dest: '/', layer: true, noOverwriteDirNonDir: false, owner: 'header', special: { mknod, lsetxattr },
    });
  } catch (err) {
    source.destroy();
    throw err;
  }
  return { diffId: digester.digest(), tarSize: digester.size, size };
}
