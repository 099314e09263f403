import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { expect, test } from 'vitest';
import { LocalContentStore } from '../../src/graph/content/local';
import { contentStoreSuite } from './content-suite';
import { tempDir } from './helpers';

contentStoreSuite('local', async () => {
  const dir = tempDir('tsd-content-');
  return { store: await LocalContentStore.open(dir), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
});

test('a writer killed mid-write leaves no blob; the next open removes its ingest', async () => {
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
    await LocalContentStore.open(root);
    expect(readdirSync(join(root, 'ingest'))).toEqual([]);
    expect(existsSync(join(root, 'blobs', 'sha256'))).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
