// Big layers' unpacks on worker threads (./unpack-worker.ts): decompression,
// the diffID's sha256 and the tar apply are most of a pull's CPU, and on the
// daemon's thread they queue behind each other and behind the network for
// every layer at once. Here that thread only copies the bytes as received
// into batches it hands over (transferred, not cloned); the worker
// acknowledges what each unpack takes, and a source is paused while more than
// IN_FLIGHT of its bytes wait, so a fast registry never piles up memory.
//
// Starting a thread costs ~40 ms of CPU, so a few (one less than the CPUs)
// serve every unpack, several at once each, and end after IDLE_MS without
// one: a daemon that is not pulling keeps none. A worker has a young
// generation of its own size (the daemon's is kept small for its idle memory;
// an unpack allocates a lot, briefly). Whatever happens there (an unpack's
// error, running out of memory, the thread's exit) becomes the error of the
// unpacks it ran, never the daemon's. An unpack whose source fails (a pull
// cut or cancelled) is cancelled in the worker (the thread ends at once when
// it runs nothing else) and returns only once the worker confirms it stopped
// or has ended: nothing writes into its directory after.
import { availableParallelism } from 'node:os';
import { finished, type Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { Compression } from '../../archive/compression';
import { UnavailableError } from '../../errors';
import { bundlePath } from '../../native';
import { fromWire, isFromWorker, type FromWorker, type ToWorker } from './unpack-protocol';
import type { UnpackResult } from './unpack';

/** Bytes per message to a worker. */
const BATCH = 512 * 1024;
/** Bytes of one unpack sent and not yet taken by the worker, above which its source waits. */
const IN_FLIGHT = 4 * 1024 * 1024;
/** A worker's heap: a young generation for an unpack's short-lived chunks, and a bound. */
const RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 256 };
/** A worker without an unpack for this long ends. */
const IDLE_MS = 5000;
const MAX_WORKERS = Math.max(1, availableParallelism() - 1);

/** How the pool tells one unpack what its worker says. */
type Listener = (msg: FromWorker | { failed: unknown }) => void;

/** A worker thread and the unpacks it runs. */
class UnpackWorker {
  private readonly worker = new Worker(bundlePath('layer-worker'), { resourceLimits: RESOURCE_LIMITS });
  readonly jobs = new Map<number, Listener>();
  private readonly cancelled = new Set<number>();
  private idle: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(private readonly gone: (w: UnpackWorker) => void) {
    this.worker.on('message', (msg: unknown) => {
      if (!isFromWorker(msg)) return this.fail(new UnavailableError('layer worker: unexpected message'));
      this.jobs.get(msg.job)?.(msg);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new UnavailableError(`layer worker exited with code ${code}`)));
    this.worker.unref();
  }

  send(msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  add(job: number, listener: Listener): void {
    clearTimeout(this.idle);
    this.jobs.set(job, listener);
  }

  /** Stops an unpack: the worker ends it, or, when every unpack it runs is being given up (a pull's cancel), the thread ends at once. */
  cancel(job: number): void {
    this.cancelled.add(job);
    if ([...this.jobs.keys()].every((j) => this.cancelled.has(j))) this.fail(new UnavailableError('layer unpack cancelled'));
    else this.send({ job, cancel: true });
  }

  remove(job: number): void {
    this.jobs.delete(job);
    this.cancelled.delete(job);
    if (this.jobs.size > 0 || this.ended) return;
    this.idle = setTimeout(() => this.fail(new UnavailableError('layer worker ended')), IDLE_MS).unref();
  }

  /** Ends the thread; once it has stopped, its unpacks fail with `err`. */
  private fail(err: unknown): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.idle);
    this.gone(this);
    const listeners = [...this.jobs.values()];
    this.jobs.clear();
    this.cancelled.clear();
    const tell = () => listeners.forEach((listener) => listener({ failed: err }));
    this.worker.terminate().then(tell, tell);
  }
}

class UnpackWorkers {
  private readonly workers: UnpackWorker[] = [];
  private nextJob = 1;

  /** The worker with the fewest unpacks, or a new one while there are fewer than MAX_WORKERS and all are busy. */
  private pick(): UnpackWorker {
    const least = this.workers.reduce<UnpackWorker | undefined>((best, w) => (best && best.jobs.size <= w.jobs.size ? best : w), undefined);
    if (least && (least.jobs.size === 0 || this.workers.length >= MAX_WORKERS)) return least;
    const w = new UnpackWorker((dead) => {
      const at = this.workers.indexOf(dead);
      if (at >= 0) this.workers.splice(at, 1);
    });
    this.workers.push(w);
    return w;
  }

  /** unpackLayer(decompress(source, compression), root), on a worker. */
  async unpack(source: Readable, compression: Compression, root: string): Promise<UnpackResult> {
    const job = this.nextJob++;
    const worker = this.pick();
    let inFlight = 0;
    const outcome = new Promise<UnpackResult>((resolve, reject) => {
      worker.add(job, (msg) => {
        if ('consumed' in msg) {
          inFlight -= msg.consumed;
          if (inFlight <= IN_FLIGHT && source.isPaused()) source.resume();
        } else if ('done' in msg) resolve(msg.done);
        else reject('error' in msg ? fromWire(msg.error) : msg.failed);
      });
    });
    worker.send({ job, start: { root, compression } });
    const batches = new Batches((bytes) => {
      worker.send({ job, chunk: bytes }, [bytes]);
      inFlight += bytes.byteLength;
    });
    const onData = (chunk: Buffer) => {
      batches.add(chunk);
      if (inFlight > IN_FLIGHT) source.pause();
    };
    let cut: { err: unknown } | undefined;
    const stopWatching = finished(source, { writable: false }, (err) => {
      if (!err) {
        batches.flush();
        return worker.send({ job, end: true });
      }
      cut = { err };
      worker.cancel(job);
    });
    source.on('data', onData);
    try {
      const result = await outcome;
      if (cut) throw cut.err;
      return result;
    } catch (err) {
      source.destroy();
      throw cut ? cut.err : err;
    } finally {
      source.off('data', onData);
      stopWatching();
      worker.remove(job);
    }
  }
}

/** Bytes copied into fresh buffers of BATCH bytes, each handed to `send` when full (or flushed). */
class Batches {
  private batch: Uint8Array<ArrayBuffer> | undefined;
  private filled = 0;

  constructor(private readonly send: (bytes: ArrayBuffer) => void) {}

  add(chunk: Uint8Array): void {
    for (let at = 0; at < chunk.length; ) {
      this.batch ??= new Uint8Array(BATCH);
      const n = Math.min(BATCH - this.filled, chunk.length - at);
      this.batch.set(chunk.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === BATCH) this.flush();
    }
  }

  flush(): void {
    if (!this.batch || this.filled === 0) return;
    this.send(this.filled === BATCH ? this.batch.buffer : this.batch.buffer.slice(0, this.filled));
    this.batch = undefined;
    this.filled = 0;
  }
}

let pool: UnpackWorkers | undefined;

/** unpackLayer(decompress(source, compression), root), run on a worker thread. */
export function unpackOnWorker(source: Readable, compression: Compression, root: string): Promise<UnpackResult> {
  pool ??= new UnpackWorkers();
  return pool.unpack(source, compression, root);
}
