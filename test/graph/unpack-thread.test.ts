// Big layers unpacked on worker threads (src/graph/layers/unpack-thread.ts):
// the same layer as the daemon's thread makes, several at once; a source that
// fails mid-layer, or a layer that cannot be read, fails that unpack only and
// leaves nothing behind; the threads end once idle, or at once when all they
// run is given up.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { makeTar, openTestRoot, type TestRoot } from './helpers';

const MiB = 1024 * 1024;
let r: TestRoot;
beforeEach(async () => {
  r = await openTestRoot();
});
afterEach(() => r.cleanup());

/** This process's worker threads (Node names them so). */
function workerThreads(): number {
  return readdirSync('/proc/self/task').filter((tid) => readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'WorkerThread').length;
}

/** A gzip layer of `files` files of 1 MiB (half random, half zeros), sent in 64 KiB chunks as a network would. */
async function bigLayer(files: number): Promise<Buffer> {
  const items = Array.from({ length: files }, (_, i) => ({ name: `d/f${i}`, mode: 0o640, data: Buffer.concat([randomBytes(MiB / 2), Buffer.alloc(MiB / 2)]) }));
  return gzipSync(await makeTar([{ name: 'd/', type: 'directory' }, ...items]), { level: 1 });
}

function chunked(data: Buffer, failAfter?: number): Readable {
  return Readable.from(
    (async function* () {
      for (let at = 0; at < data.length; at += 64 * 1024) {
        if (failAfter !== undefined && at >= failAfter) throw new Error('connection reset');
        yield data.subarray(at, at + 64 * 1024);
      }
    })(),
  );
}

const leftovers = () => readdirSync(r.layers.root).filter((n) => n.startsWith('tmp-'));

describe('unpack on a worker thread', () => {
  test('the same layer as on the daemon thread; three at once; the threads end once idle', async () => {
    const layers = await Promise.all([2, 3, 4].map((n) => bigLayer(n)));
    const here = await r.layers.unpack(chunked(layers[0]!));
    const there = await Promise.all(layers.map((l) => r.layers.unpack(chunked(l), { size: l.length })));
    expect(workerThreads()).toBeGreaterThan(0);
    expect([there[0]!.diffId, there[0]!.tarSize, there[0]!.size, there[0]!.blob]).toEqual([here.diffId, here.tarSize, here.size, here.blob]);
    for (const name of readdirSync(join(here.dir, 'diff/d'))) {
      const [a, b] = [here, there[0]!].map((p) => join(p.dir, 'diff/d', name));
      expect(readFileSync(b!)).toEqual(readFileSync(a!));
      expect(statSync(b!).mode).toBe(statSync(a!).mode);
    }
    expect(there.map((p) => p.size)).toEqual([2 * MiB, 3 * MiB, 4 * MiB]);
    for (const p of [here, ...there]) r.layers.discard(p);
    await new Promise((resolve) => setTimeout(resolve, 5500));
    expect(workerThreads()).toBe(0);
  }, 30_000);

  test('a source cut mid-layer fails that unpack with its error, keeps nothing, and the worker goes on with the others', async () => {
    const layer = await bigLayer(4);
    const [cut, whole] = await Promise.allSettled([
      r.layers.unpack(chunked(layer, layer.length >> 1), { size: layer.length }),
      r.layers.unpack(chunked(layer), { size: layer.length }),
    ]);
    expect(cut.status === 'rejected' && (cut.reason as Error).message).toBe('connection reset');
    expect(whole.status).toBe('fulfilled');
    expect(leftovers().map((n) => join(r.layers.root, n))).toEqual(whole.status === 'fulfilled' ? [whole.value.dir] : []);
  });

  test('a pull giving up on the only unpack a worker runs ends the thread at once', async () => {
    const layer = await bigLayer(3);
    await expect(r.layers.unpack(chunked(layer, layer.length >> 1), { size: layer.length })).rejects.toThrow('connection reset');
    for (let i = 0; i < 100 && workerThreads() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(workerThreads()).toBe(0);
    expect(leftovers()).toEqual([]);
  });

  test('a layer that cannot be read fails as on the daemon thread, keeping nothing', async () => {
    const layer = await bigLayer(2);
    const broken = Buffer.from(layer);
    broken.fill(0x55, broken.length >> 1, (broken.length >> 1) + 4096);
    const errorOf = (size?: number) => r.layers.unpack(chunked(broken), size === undefined ? {} : { size }).then(() => undefined, (err: unknown) => err as Error);
    const here = await errorOf();
    const there = await errorOf(broken.length);
    expect(here).toBeInstanceOf(Error);
    expect([there?.constructor, there?.message, (there as NodeJS.ErrnoException).code]).toEqual([here?.constructor, here?.message, (here as NodeJS.ErrnoException).code]);
    expect(leftovers()).toEqual([]);
  });
});
