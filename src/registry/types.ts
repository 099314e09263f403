// The distribution client's contract (the registry HTTP API v2 over undici):
// interfaces only, the issue that brings pull and push fills them in.
//
// Pull
//   1. resolve(ref) asks the registry for the manifest a tag (or digest) names,
//      authenticating as the registry's 401 challenge says (Bearer token per
//      repository scope, Basic): its descriptor (digest, media type, size).
//      A reference by digest is never re-resolved to another one.
//   2. fetch(ref, desc) streams a blob or manifest by digest, from `offset`
//      when an ingest of it was interrupted (Range request; a registry that
//      ignores Range sends it whole and the ingest restarts). The bytes go
//      into the content store through a Writer (src/graph/content/types.ts)
//      whose commit checks size and digest: nothing unverified is ever
//      visible. Manifest lists pick the platform's manifest, then its config
//      and layers, each fetched once even when several pulls want it.
//   3. The image's metadata (record, references) is committed in one SQLite
//      transaction after every blob it needs is in the content store; a crash
//      before leaves only ingests (resumed by the next pull) and unreferenced
//      blobs (collected by GC).
// Push
//   push(ref, desc, open) sends a blob unless the registry has it (HEAD, then
//   a cross-repository mount when the digest is known elsewhere), and a
//   manifest only after every blob it names: a registry never holds a
//   manifest whose blobs are missing.
// Errors: a missing manifest or blob is a NotFoundError, a refused
// credential a ForbiddenError/UnauthorizedError as the registry words it, a
// registry that cannot be reached an UnavailableError; every error names the
// reference and the registry.
import type { Readable } from 'node:stream';
import type { Digest } from '../graph/digest';
import type { NamedRef } from '../graph/reference';

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  /** For an entry of a manifest list. */
  platform?: { os: string; architecture: string; variant?: string };
}

export interface RegistryAuth {
  username?: string;
  password?: string;
  /** An identity token from `docker login`. */
  identityToken?: string;
}

export interface DistributionClient {
  resolve(ref: NamedRef, auth?: RegistryAuth): Promise<Descriptor>;
  fetch(ref: NamedRef, desc: Descriptor, opts?: { offset?: number; auth?: RegistryAuth }): Promise<Readable>;
  push(ref: NamedRef, desc: Descriptor, open: () => Promise<Readable>, auth?: RegistryAuth): Promise<void>;
}
