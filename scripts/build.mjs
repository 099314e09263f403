// Builds what ships: the native helpers (node-gyp, when native/binding.gyp exists)
// and the JS bundles. The CLI is bundled with its dependencies into one file so
// that `tsdocker` loads a single script at start-up; the daemon keeps its
// dependencies external (better-sqlite3 is a native addon).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const onlyJs = process.argv.includes('--js');

if (!onlyJs && existsSync(join(root, 'native', 'binding.gyp'))) {
  const gyp = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const args = existsSync(gyp) ? [gyp] : [join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
  execFileSync(process.execPath, [...args, 'rebuild', '--directory', join(root, 'native'), '--silent'], { stdio: 'inherit' });
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
};

await Promise.all([
  build({ ...common, entryPoints: { tsdockerd: 'src/daemon/main.ts' }, outdir: 'dist', packages: 'external' }),
  build({ ...common, entryPoints: { tsdocker: 'src/cli/main.ts' }, outdir: 'dist', minifyWhitespace: true, minifySyntax: true, legalComments: 'none' }),
  build({ ...common, entryPoints: { bench: 'bench/main.ts' }, outdir: 'dist', packages: 'external' }),
]);
