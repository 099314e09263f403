// Prints the path of a busybox rootfs tar made from Debian's busybox-static
// (the fixture the tests use), for the README's main job to import.
import { busyboxRootfsTar } from '../test/fixtures/busybox';

busyboxRootfsTar().then(
  (path) => process.stdout.write(`${path}\n`),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  },
);
