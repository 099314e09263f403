// A worker thread's entry (dist/layer-worker.js): layers' decompression,
// diffID hashing and tar apply (unpackLayer, the same code the daemon's thread
// runs for small layers), off the daemon's event loop, several layers at once.
// Each job's bytes come as messages (see ./unpack-protocol.ts) and are
// acknowledged as its unpack takes them, which is what lets the daemon send
// more. Each job ends with one message, its outcome: whatever fails here
// becomes that message, never a crash. The daemon ends the thread.
import { Readable } from 'node:stream';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { decompress } from '../../archive/compression';
import { isToWorker, toWire, type FromWorker, type UnpackJob } from './unpack-protocol';
import { unpackLayer } from './unpack';

/** One job's bytes, queued until its unpack wants them. */
class Feed {
  private readonly queue: Buffer[] = [];
  private ended = false;
  private wanted = false;
  readonly source: Readable;

  constructor(private readonly taken: (bytes: number) => void) {
    this.source = new Readable({
      read: () => {
        this.wanted = true;
        this.pump();
      },
    });
  }

  add(chunk: Buffer): void {
    this.queue.push(chunk);
    this.pump();
  }

  end(): void {
    this.ended = true;
    this.pump();
  }

  private pump(): void {
    while (this.wanted && this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      this.taken(chunk.length);
      this.wanted = this.source.push(chunk);
    }
    if (this.wanted && this.ended && this.queue.length === 0) {
      this.wanted = false;
      this.source.push(null);
    }
  }
}

function serve(port: MessagePort): void {
  const jobs = new Map<number, Feed>();
  const send = (msg: FromWorker) => port.postMessage(msg);
  const start = (job: number, what: UnpackJob) => {
    const feed = new Feed((consumed) => send({ job, consumed }));
    jobs.set(job, feed);
    Promise.resolve()
      .then(() => unpackLayer(decompress(feed.source, what.compression), what.root))
      .then(
        (done) => send({ job, done }),
        (err: unknown) => send({ job, error: toWire(err) }),
      )
      .finally(() => jobs.delete(job));
  };
  port.on('message', (msg: unknown) => {
    if (!isToWorker(msg)) throw new Error('layer worker: unexpected message'); // the daemon fails this worker's jobs
    if ('start' in msg) return start(msg.job, msg.start);
    const feed = jobs.get(msg.job);
    if (!feed) return; // ended already: its outcome is on its way
    if ('chunk' in msg) feed.add(Buffer.from(msg.chunk));
    else if ('end' in msg) feed.end();
    else feed.source.destroy(new Error('unpack cancelled'));
  });
}

if (parentPort) serve(parentPort);
