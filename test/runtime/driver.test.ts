// The RuntimeDriver conformance suite (driver-suite.ts) run against
// tsd-runtime and runc through OciRuntime, the driver the daemon uses for
// them. Needs root, busybox and a built tsd-runtime; runc's run says why it
// is skipped when runc is not installed.
import { describe, it } from 'vitest';
import { runtimePath } from '../../src/native/paths';
import { OciRuntime } from '../../src/runtime/driver-oci';
import { canRunContainers, runcInstalled } from '../native/bundle';
import { runtimeDriverSuite } from './driver-suite';

if (canRunContainers()) {
  runtimeDriverSuite('tsd-runtime', (root) => new OciRuntime('tsd-runtime', runtimePath(), root));
  if (runcInstalled()) runtimeDriverSuite('runc', (root) => new OciRuntime('runc', 'runc', root));
  else describe('RuntimeDriver conformance: runc', () => it.skip('runc is not installed (apt-get install runc)', () => undefined));
} else {
  describe('RuntimeDriver conformance', () => it.skip('needs root, /bin/busybox and a built tsd-runtime', () => undefined));
}
