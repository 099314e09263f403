// Content digests as the image graph uses them: always sha256, written
// `sha256:<64 lowercase hex>`. Other algorithms are refused where digests enter.
import { createHash, type Hash } from 'node:crypto';

/** `sha256:<64 hex>` */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

export function hexOf(d: Digest): string {
  return d.slice(7);
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A running sha256 for streams. */
export class Digester {
  private readonly hash: Hash = createHash('sha256');
  size = 0;
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.size += chunk.length;
  }
  digest(): Digest {
    return `sha256:${this.hash.copy().digest('hex')}`;
  }
}

/** Docker's 12-character short ID of an ID or digest. */
export function shortId(id: string): string {
  const i = id.indexOf(':');
  return (i >= 0 ? id.slice(i + 1) : id).slice(0, 12);
}
