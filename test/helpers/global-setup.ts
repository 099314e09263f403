// Builds the JS bundles once before any test file runs, so tests always drive
// the code as it is now (the native part is built by `npm ci`).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export default function setup(): void {
  execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build.mjs'), '--js'], { stdio: 'inherit' });
}
