// Shared set-up of the graph tests: a fresh data root with its database, content
// store and layer store, removed afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar-stream';
import { openDb, type Db } from '../../src/state/db';
import { LocalContentStore } from '../../src/graph/content/local';
import { OverlayLayerStore } from '../../src/graph/layers/overlay-store';
import { TxDb } from '../../src/state/tx';

export interface TestRoot {
  dir: string;
  db: Db;
  gdb: TxDb;
  content: LocalContentStore;
  layers: OverlayLayerStore;
  cleanup(): void;
}

export function tempDir(prefix = 'tsd-graph-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function openTestRoot(dir = tempDir()): Promise<TestRoot> {
  const { db } = openDb(dir);
  const gdb = new TxDb(db);
  const content = await LocalContentStore.open(join(dir, 'content'));
  const layers = OverlayLayerStore.open(join(dir, 'layers'), gdb, content);
  return {
    dir,
    db,
    gdb,
    content,
    layers,
    cleanup: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type TarItem = Parameters<ReturnType<typeof tar.pack>['entry']>[0] & { data?: string | Buffer };

/** A tar built from items in order (crafted archives for the hostile-input tests). */
export async function makeTar(items: TarItem[]): Promise<Buffer> {
  const p = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const { data, ...header } of items) {
    const body = typeof data === 'string' ? Buffer.from(data) : (data ?? Buffer.alloc(0));
    const h = header.type === undefined || header.type === 'file' ? { ...header, size: body.length } : header;
    await new Promise<void>((resolve, reject) => p.entry(h, body, (err) => (err ? reject(err) : resolve())));
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Entries of a tar: name → header fields of interest. */
export async function listTar(data: Buffer): Promise<Array<{ name: string; type: string; linkname: string | null; size: number; mode: number; uid: number; gid: number; pax: unknown; body: Buffer }>> {
  const ex = tar.extract();
  const out: Awaited<ReturnType<typeof listTar>> = [];
  const feeding = (async () => {
    ex.end(data);
  })();
  for await (const e of ex) {
    const chunks: Buffer[] = [];
    for await (const c of e as AsyncIterable<Buffer>) chunks.push(c);
    const h = e.header;
    out.push({ name: h.name, type: h.type, linkname: h.linkname ?? null, size: h.size, mode: h.mode, uid: h.uid, gid: h.gid, pax: h.pax, body: Buffer.concat(chunks) });
  }
  await feeding;
  return out;
}
