// One layer of a pull, downloaded and unpacked in one pass: the bytes from the
// registry go into the layer's resumable ingest (the blob `docker save` and
// `docker push` read later) and, as they arrive, through decompression and
// the tar applier into a directory of the layer's own (the layer store's
// unpack, which needs no parent). At the end the ingest's digest is checked:
// a mismatch removes both the ingest and the unpacked directory and names the
// layer. A transfer the network (or a killed daemon) cut keeps its ingest; the
// next pull asks for the rest with a Range request and replays the kept
// prefix from disk into a fresh unpack, so every layer is still read from the
// network once; within a pull, a cut transfer is asked again from where it
// stopped after a pause, and the unpack just goes on. A second pull wanting a blob that is being downloaded waits
// for that transfer rather than fighting over its ingest.
import { PassThrough, type Readable } from 'node:stream';
import { InvalidArgumentError, UnavailableError } from '../errors';
import type { Digest } from '../api/digest';
import type { NamedRef } from '../api/reference';
import type { Writer } from '../graph/content/types';
import { AlreadyExistsError } from '../graph/errors';
import type { Graph } from '../graph/graph';
import type { BlobSink } from '../graph/layers/blob-sink';
import type { PreparedLayer } from '../graph/layers/types';
import type { RegistryClient } from './client';
import { progressLine, progressTicker, shortDigest, statusLine, type Emit } from './progress';
import type { Descriptor, RegistryAuth } from './types';

/** Blob downloads running in this daemon, by digest. */
export class Transfers {
  private readonly running = new Map<Digest, Promise<unknown>>();

  /** Runs `work` as the one transfer of `digest`, or, while another runs, waits for it to end (however it ends). */
  async exclusive<T>(digest: Digest, work: () => Promise<T>, waiting?: () => void): Promise<{ ran: true; value: T } | { ran: false }> {
    const other = this.running.get(digest);
    if (other) {
      waiting?.();
      await other.catch(() => {});
      return { ran: false };
    }
    const mine = work();
    this.running.set(digest, mine);
    try {
      return { ran: true, value: await mine };
    } finally {
      this.running.delete(digest);
    }
  }
}

export interface LayerPullDeps {
  client: RegistryClient;
  graph: Graph;
  transfers: Transfers;
}

/** A layer fetched: unpacked and waiting for its parent, or a blob already in the content store (registered from there in order). */
export type FetchedLayer = { prepared: PreparedLayer } | { stored: true };

/** What one layer's pull is for. */
export interface LayerJob {
  ref: NamedRef;
  desc: Descriptor;
  diffId: Digest;
  auth: RegistryAuth | undefined;
  emit: Emit;
  /** Aborted when another layer of the pull failed: this one stops, keeping its ingest. */
  signal: AbortSignal;
}

/** Fetches and unpacks one layer (see the file's comment). */
export async function fetchLayer(deps: LayerPullDeps, job: LayerJob): Promise<FetchedLayer> {
  const id = shortDigest(job.desc.digest);
  for (;;) {
    if (await deps.graph.content.has(job.desc.digest)) {
      job.emit(statusLine(id, 'Download complete'));
      return { stored: true };
    }
    const outcome = await deps.transfers.exclusive(job.desc.digest, () => streamLayer(deps, job), () => job.emit(statusLine(id, 'Waiting')));
    if (outcome.ran) return { prepared: outcome.value };
    job.signal.throwIfAborted();
  }
}

/** Resolves once `pipe` takes more, or is gone. */
function drained(pipe: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      pipe.off('drain', done).off('close', done);
      resolve();
    };
    pipe.on('drain', done).on('close', done);
  });
}

/** A transfer's state: how its ingest must end when something fails. */
interface Feed {
  /** The network's failure: the bytes that came stay for a resume. */
  cut?: Error;
  /** The registry sent more than the manifest names: nothing is kept. */
  overflow?: boolean;
}

/** Tries of one blob's transfer within a pull (dockerd's maxDownloadAttempts); the next pull resumes after them. */
const MAX_ATTEMPTS = 5;
const RETRY_DELAY_MS = 1000;

/** A response body's bytes from `offset` on: the registry's answer to a Range request, or its whole body with the first `offset` bytes skipped. */
async function* from(body: Readable, sent: number, offset: number): AsyncGenerator<Buffer> {
  let skip = offset - sent;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    yield skip > 0 ? chunk.subarray(skip) : chunk;
    skip = 0;
  }
}

/**
 * Writes the kept prefix (to the unpacker only) and then the network's bytes
 * (to both) as they come. A transfer the network cuts is asked again from the
 * ingest's offset (a Range request) after a pause, up to MAX_ATTEMPTS: the
 * unpacker just goes on reading.
 */
async function feed(writer: Writer, first: { stream: Readable; offset: number } | undefined, pipe: PassThrough, job: LayerJob, deps: LayerPullDeps): Promise<void> {
  const { desc } = job;
  const id = shortDigest(desc.digest);
  const push = async (chunk: Buffer) => {
    if (!pipe.destroyed && !pipe.write(chunk)) await drained(pipe);
  };
  if (writer.offset > 0) for await (const chunk of writer.written() as AsyncIterable<Buffer>) await push(chunk);
  const tick = progressTicker(id, 'Downloading', desc.size, job.emit);
  let answer = first;
  for (let attempt = 1; answer; attempt++) {
    const body = answer.stream;
    const stop = () => body.destroy(new UnavailableError(`error pulling layer ${desc.digest}: the pull was cancelled`));
    job.signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const chunk of from(body, answer.offset, writer.offset)) {
        if (writer.offset + chunk.length > desc.size) {
          body.destroy();
          throw Object.assign(new UnavailableError(`error pulling layer ${desc.digest}: the registry sent more than the ${desc.size} bytes the manifest names`), { overflow: true });
        }
        await writer.write(chunk);
        tick(writer.offset);
        await push(chunk);
      }
      if (writer.offset >= desc.size) break;
      throw new UnavailableError(`error pulling layer ${desc.digest}: unexpected EOF`);
    } catch (err) {
      if ((err as { overflow?: boolean }).overflow || job.signal.aborted || attempt >= MAX_ATTEMPTS) throw err;
      answer = await retry(deps, job, writer.offset, attempt);
    } finally {
      job.signal.removeEventListener('abort', stop);
    }
  }
  if (writer.offset < desc.size) throw new UnavailableError(`error pulling layer ${desc.digest}: unexpected EOF`);
  pipe.end();
}

/** After a pause (dockerd's "Retrying in N seconds"), asks for the blob again from `offset`; a registry still away counts as another attempt. */
async function retry(deps: LayerPullDeps, job: LayerJob, offset: number, attempt: number): Promise<{ stream: Readable; offset: number }> {
  const id = shortDigest(job.desc.digest);
  for (let n = attempt; ; n++) {
    const seconds = (n * RETRY_DELAY_MS) / 1000;
    job.emit(statusLine(id, `Retrying in ${seconds} second${seconds === 1 ? '' : 's'}`));
    await new Promise((r) => setTimeout(r, n * RETRY_DELAY_MS));
    job.signal.throwIfAborted();
    try {
      return await deps.client.fetchBlob(job.ref, job.desc, { offset, ...(job.auth ? { auth: job.auth } : {}) });
    } catch (err) {
      if (!(err instanceof UnavailableError) || n + 1 >= MAX_ATTEMPTS) throw err;
    }
  }
}

function verificationFailed(desc: Descriptor, err: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`filesystem layer verification failed for digest ${desc.digest}: ${(err as Error).message}`);
}

/** Commits the ingest: size and digest checked (a blob already there counts). */
async function commitBlob(writer: Writer, desc: Descriptor): Promise<void> {
  await writer.commit(desc.size, desc.digest).catch((err: unknown) => {
    if (!(err instanceof AlreadyExistsError)) throw verificationFailed(desc, err);
  });
}

/** The one transfer of a blob: download + verify + unpack in one pass. */
async function streamLayer(deps: LayerPullDeps, job: LayerJob): Promise<PreparedLayer> {
  const { desc, emit } = job;
  const { content, layers } = deps.graph;
  const id = shortDigest(desc.digest);
  const ingest = `pull/${desc.digest}`;
  let writer = await content.writer(ingest, { size: desc.size, expected: desc.digest });
  let ended = false; // the ingest was committed (or failed its check, which ends it too)
  try {
    let first: { stream: Readable; offset: number } | undefined;
    if (writer.offset < desc.size) {
      first = await deps.client.fetchBlob(job.ref, desc, { offset: writer.offset, ...(job.auth ? { auth: job.auth } : {}) });
      if (first.offset !== writer.offset) {
        // The registry sent the blob whole: the ingest starts over.
        await writer.abort();
        writer = await content.writer(ingest);
      }
    }
    const pipe = new PassThrough({ highWaterMark: 1 << 20 });
    const state: Feed = {};
    const feeding = feed(writer, first, pipe, job, deps).catch((err: unknown) => {
      state.cut = err as Error;
      state.overflow = (err as { overflow?: boolean }).overflow === true;
      pipe.destroy(state.cut);
    });
    const sink: BlobSink = {
      through: (raw) => raw,
      finish: async () => {
        pipe.resume(); // whatever the unpacker left unread (padding after the tar's end)
        await feeding;
        if (state.cut) throw state.cut;
        emit(statusLine(id, 'Verifying Checksum'));
        ended = true;
        await commitBlob(writer, desc);
        emit(statusLine(id, 'Download complete'));
        return { digest: desc.digest, size: desc.size };
      },
      abort: async () => undefined,
    };
    try {
      const prepared = await layers.unpack(pipe, { sink, expectedDiffId: job.diffId, size: desc.size });
      emit(progressLine(id, 'Extracting', desc.size, desc.size));
      return prepared;
    } catch (err) {
      pipe.destroy(); // the feed goes on into the ingest alone
      await feeding;
      if (ended) throw err;
      if (state.cut) {
        if (state.overflow) await writer.abort();
        throw state.cut;
      }
      // The unpack failed first: the blob's digest says whether the registry's bytes or the layer are wrong.
      ended = true;
      await commitBlob(writer, desc);
      if (!deps.graph.layers.blobDigests().includes(desc.digest)) await content.delete(desc.digest).catch(() => {});
      throw new InvalidArgumentError(`failed to register layer ${desc.digest}: ${(err as Error).message}`);
    }
  } finally {
    // A cut transfer keeps its bytes for the next pull.
    if (!ended) await writer.close();
  }
}
