// Where the native artifacts (and the bundles worker threads start from) live. Code runs from src/ (vitest, tsc) or bundled
// into dist/*.js (esbuild, CJS), so paths are found from __dirname by walking up
// to the package root (the directory holding package.json). TSD_NATIVE_DIR
// overrides the build directory (tests, packaging).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

let root: string | undefined;

/** The package root: the nearest ancestor of this file holding package.json. */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${__dirname}`);
    dir = parent;
  }
}

/** native/build/Release, where node-gyp puts the addon and the executables. */
export function nativeBuildDir(): string {
  return process.env.TSD_NATIVE_DIR ?? join(packageRoot(), 'native', 'build', 'Release');
}

/** Path of the N-API addon. */
export function addonPath(): string {
  return join(nativeBuildDir(), 'tsd_native.node');
}

/** Path of our OCI runtime executable (runc-compatible command line). */
export function runtimePath(): string {
  return join(nativeBuildDir(), 'tsd-runtime');
}

/** Path of the per-container shim executable. */
export function shimPath(): string {
  return join(nativeBuildDir(), 'tsd-shim');
}

/** Path of tsd-init, the static PID 1 of `--init` containers (bound to /sbin/docker-init). */
export function initPath(): string {
  return join(nativeBuildDir(), 'tsd-init');
}

/** Path of one of the package's bundles (dist/<name>.js): a worker thread's entry. */
export function bundlePath(name: string): string {
  return join(packageRoot(), 'dist', `${name}.js`);
}
