import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { expect, test } from 'vitest';
import { sha256 } from '../../src/api/digest';
import { oneShotRef } from '../../src/graph/content/helpers';
import { LocalContentStore } from '../../src/graph/content/local';
import { contentStoreSuite } from './content-suite';
import { tempDir } from './helpers';

contentStoreSuite('local', async () => {
  const dir = tempDir('tsd-content-');
  return { store: await LocalContentStore.open(dir), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
});

/** The blob the killed writer was writing: 64 KiB of 1s, then 4 KiB chunks of 2s. */
const KILLED_BLOB = Buffer.concat([Buffer.alloc(1 << 16, 1), Buffer.alloc(4096 * 2000, 2)]);

test('a writer killed mid-write leaves no blob; after a restart its ingest resumes to the right digest', async () => {
  const dir = tempDir('tsd-content-kill-');
  try {
    // The child runs the real store code, bundled.
    const entry = join(dir, 'child.ts');
    writeFileSync(
      entry,
      `import { LocalContentStore } from ${JSON.stringify(join(__dirname, '../../src/graph/content/local'))};
       (async () => {
         const store = await LocalContentStore.open(process.argv[2]!);
         const w = await store.writer('killed');
         await w.write(Buffer.alloc(1 << 16, 1));
         process.stdout.write('written\\n');
         setInterval(() => void w.write(Buffer.alloc(4096, 2)), 1);
       })();`,
    );
    const bundle = join(dir, 'child.cjs');
    await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'silent', external: ['better-sqlite3'] });
    const root = join(dir, 'content');
    const child = spawn(process.execPath, [bundle, root], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(readdirSync(join(root, 'blobs', 'sha256'))).toEqual([]);
    expect(readdirSync(join(root, 'ingest')).length).toBe(1);

    const store = await LocalContentStore.open(root);
    expect(readdirSync(join(root, 'ingest')).length).toBe(1);
    const w = await store.writer('killed', { size: KILLED_BLOB.length, expected: sha256(KILLED_BLOB) });
    expect(w.offset).toBeGreaterThan(1 << 16);
    expect(w.offset).toBeLessThan(KILLED_BLOB.length);
    expect(w.digest()).toBe(sha256(KILLED_BLOB.subarray(0, w.offset)));
    await w.write(KILLED_BLOB.subarray(w.offset));
    expect((await w.commit(KILLED_BLOB.length, sha256(KILLED_BLOB))).digest).toBe(sha256(KILLED_BLOB));
    expect(readdirSync(join(root, 'ingest'))).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one-shot ingests, and ingests older than the age limit, are removed at open; younger ones kept', async () => {
  const dir = tempDir('tsd-content-age-');
  try {
    const store = await LocalContentStore.open(dir);
    for (const ref of ['old', 'young', oneShotRef('layer')]) {
      const w = await store.writer(ref);
      await w.write(Buffer.from(ref));
      await w.close();
    }
    const oldData = join(dir, 'ingest', sha256('old').slice(7), 'data');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    utimesSync(oldData, twoDaysAgo, twoDaysAgo);
    mkdirSync(join(dir, 'ingest', 'not-an-ingest'));
    const reopened = await LocalContentStore.open(dir);
    expect(readdirSync(join(dir, 'ingest'))).toEqual([sha256('young').slice(7)]);
    expect((await reopened.writer('young')).offset).toBe(5);
    expect((await reopened.writer('old')).offset).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
