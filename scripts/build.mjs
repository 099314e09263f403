// Builds what ships: the native helpers (node-gyp, when native/binding.gyp exists)
// and the JS bundles. The CLI is bundled with its dependencies into one file so
// that `tsdocker` loads a single script at start-up; the daemon keeps its
// dependencies external (better-sqlite3 is a native addon).
import { build } from 'esbuild';
import { existsSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const onlyJs = process.argv.includes('--js');

if (!onlyJs && existsSync(join(root, 'native', 'binding.gyp'))) {
  const gyp = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const args = existsSync(gyp) ? [gyp] : [join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
  // Headers come from npm's nodedir when npm runs us, else from the system's
  // node headers: with neither, node-gyp would try to download them.
  const nodedir = process.env.npm_config_nodedir || (existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);
  const withNodedir = nodedir ? [`--nodedir=${nodedir}`] : [];
  execFileSync(process.execPath, [...args, 'rebuild', '--directory', join(root, 'native'), '--silent', ...withNodedir], { stdio: 'inherit' });
}

// undici's Client loads node:http2 at start-up and falls back to a stub when the
// require throws. The CLI never speaks HTTP/2, so its bundle takes the fallback
// and skips loading http2 (and tls and crypto behind it): ~25 ms per command.
const withoutHttp2 = {
  name: 'without-http2',
  setup(b) {
    b.onResolve({ filter: /^(node:)?http2$/ }, () => ({ path: 'http2', namespace: 'without-http2' }));
    b.onLoad({ filter: /.*/, namespace: 'without-http2' }, () => ({
      contents: "throw new Error('http2 is not part of the tsdocker CLI bundle');",
      loader: 'js',
    }));
  },
};

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
  build({ ...common, entryPoints: { tsdockerd: './src/daemon/main.ts' }, outdir: 'dist', external: ['better-sqlite3'] }),
  build({ ...common, entryPoints: { tsdocker: './src/cli/main.ts' }, outdir: 'dist', minifyWhitespace: true, minifySyntax: true, legalComments: 'none', plugins: [withoutHttp2] }),
  build({ ...common, entryPoints: { bench: './bench/main.ts' }, outdir: 'dist', packages: 'external' }),
  build({ ...common, entryPoints: { 'busybox-rootfs': './scripts/busybox-rootfs.ts' }, outdir: 'dist', packages: 'external' }),
]);

// A first run of the CLI writes its V8 code cache (see bin/tsdocker).
rmSync(join(root, 'dist', 'tsdocker.cache'), { force: true });
execFileSync(process.execPath, [join(root, 'bin', 'tsdocker'), '--help'], { stdio: 'ignore' });
