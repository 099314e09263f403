// The conformance suite every content Store implementation runs (see
// src/graph/content/types.ts for the contract it checks).
import { describe, expect, test } from 'vitest';
import { sha256 } from '../../src/api/digest';
import { AlreadyExistsError } from '../../src/graph/errors';
import type { Store } from '../../src/graph/content/types';
import { writeBlob, writeBlobStream } from '../../src/graph/content/helpers';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../src/errors';

export interface SuiteStore {
  store: Store;
  cleanup(): Promise<void> | void;
}

async function readStream(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c);
  return Buffer.concat(chunks);
}

export function contentStoreSuite(name: string, open: () => Promise<SuiteStore>): void {
  const withStore = (fn: (s: Store) => Promise<void>) => async () => {
    const s = await open();
    try {
      await fn(s.store);
    } finally {
      await s.cleanup();
    }
  };

  describe(`content store conformance: ${name}`, () => {
    test('write, commit, read back', withStore(async (store) => {
      const data = Buffer.from('hello content');
      const w = await store.writer('ref-1');
      await w.write(data.subarray(0, 5));
      await w.write(data.subarray(5));
      expect(w.offset).toBe(data.length);
      expect(w.digest()).toBe(sha256(data));
      const info = await w.commit(data.length, sha256(data));
      expect(info).toMatchObject({ digest: sha256(data), size: data.length });
      expect(await store.readAll(sha256(data))).toEqual(data);
      expect(await readStream((await store.reader(sha256(data))) as AsyncIterable<Buffer>)).toEqual(data);
      expect((await store.info(sha256(data))).size).toBe(data.length);
      expect(await store.has(sha256(data))).toBe(true);
    }));

    test('nothing is visible before commit', withStore(async (store) => {
      const data = Buffer.from('pending');
      const w = await store.writer('ref-pending');
      await w.write(data);
      expect(await store.has(sha256(data))).toBe(false);
      await w.close();
      expect(await store.has(sha256(data))).toBe(false);
    }));

    test('wrong digest or size: rejected, writer closed, nothing visible', withStore(async (store) => {
      const data = Buffer.from('abc');
      const w = await store.writer('ref-bad');
      await w.write(data);
      await expect(w.commit(data.length, sha256('other'))).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(w.write(data)).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(await store.has(sha256(data))).toBe(false);
      const w2 = await store.writer('ref-bad'); // the ref is free again
      await w2.write(data);
      await expect(w2.commit(99)).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(await store.has(sha256(data))).toBe(false);
    }));

    test('existing digest: AlreadyExists, writer closed', withStore(async (store) => {
      const data = Buffer.from('twice');
      await writeBlob(store, data);
      const w = await store.writer('ref-dup');
      await w.write(data);
      const err = await w.commit(data.length, sha256(data)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AlreadyExistsError);
      expect(err).toBeInstanceOf(ConflictError);
      expect(await store.readAll(sha256(data))).toEqual(data);
      await (await store.writer('ref-dup')).close();
    }));

    test('one writer per ref', withStore(async (store) => {
      const w = await store.writer('ref-locked');
      await expect(store.writer('ref-locked')).rejects.toBeInstanceOf(ConflictError);
      await w.close();
      await (await store.writer('ref-locked')).close();
    }));

    test('missing blobs: NotFound', withStore(async (store) => {
      const d = sha256('absent');
      await expect(store.info(d)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.readAll(d)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.reader(d)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.delete(d)).rejects.toBeInstanceOf(NotFoundError);
    }));

    test('walk and delete', withStore(async (store) => {
      const blobs = ['one', 'two', 'three'].map((s) => Buffer.from(s));
      for (const b of blobs) await writeBlobStream(store, [b]);
      const seen: string[] = [];
      await store.walk((i) => void seen.push(i.digest));
      expect(seen.sort()).toEqual(blobs.map((b) => sha256(b)).sort());
      await store.delete(sha256(blobs[0]!));
      expect(await store.has(sha256(blobs[0]!))).toBe(false);
    }));

    test('an ingest closed halfway is resumed by its ref at its offset, to the right digest', withStore(async (store) => {
      const data = Buffer.from('0123456789'.repeat(1000));
      const w = await store.writer('ref-resume', { size: data.length, expected: sha256(data) });
      await w.write(data.subarray(0, 4321));
      await w.close();
      expect(await store.has(sha256(data))).toBe(false);
      const again = await store.writer('ref-resume', { size: data.length, expected: sha256(data) });
      expect(again.offset).toBe(4321);
      expect(again.digest()).toBe(sha256(data.subarray(0, 4321)));
      await again.write(data.subarray(4321));
      expect((await again.commit(data.length, sha256(data))).digest).toBe(sha256(data));
      expect(await store.readAll(sha256(data))).toEqual(data);
      expect((await store.writer('ref-resume')).offset).toBe(0); // committed: the ingest is gone
    }));

    test('abort removes an ingest; a resume that cannot be the blob starts over', withStore(async (store) => {
      const data = Buffer.from('abcdefgh');
      const w = await store.writer('ref-abort');
      await w.write(data);
      await w.abort();
      expect((await store.writer('ref-abort')).offset).toBe(0);
      const long = await store.writer('ref-other');
      await long.write(data);
      await long.close();
      // More bytes than the blob has: another blob's, started over.
      const shorter = await store.writer('ref-other', { size: 4, expected: sha256('abcd') });
      expect(shorter.offset).toBe(0);
      await shorter.write(Buffer.from('wxyz'));
      await shorter.close();
      // All the bytes, but another digest: started over too.
      const same = await store.writer('ref-other', { size: 4, expected: sha256('abcd') });
      expect(same.offset).toBe(0);
      await same.abort();
    }));

    test('large streamed blob', withStore(async (store) => {
      const chunk = Buffer.alloc(1 << 20, 7);
      const chunks = Array.from({ length: 8 }, () => chunk);
      const { digest, size } = await writeBlobStream(store, chunks, { size: 8 << 20 });
      expect(size).toBe(8 << 20);
      expect(digest).toBe(sha256(Buffer.concat(chunks)));
    }));
  });
}
