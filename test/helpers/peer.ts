// Tests against Debian's dockerd as a peer (test/helpers/dockerd.ts starts it;
// that file stays free of vitest, the bench uses it too).
import { expect, it } from 'vitest';
import { dockerdMissingReason } from './dockerd';

/**
 * `it` for a test that needs Debian's dockerd as its peer: without it the test
 * fails with the reason (a failing beforeAll would only mark tests skipped).
 * The file's beforeAll should return early when dockerdMissingReason() says so.
 */
export function itWithDockerd(name: string, fn: () => void | Promise<void>): void {
  const missing = dockerdMissingReason();
  it(name, async () => {
    if (missing) throw new Error(`this test needs Debian's dockerd as its peer: ${missing}`);
    await fn();
  });
}

/** A command that must succeed: its stdout, or a failed expectation naming `what` with its stderr. */
export function succeeded(r: { code: number; stdout: string; stderr: string }, what: string): string {
  expect(r.code, `${what}: ${r.stderr}`).toBe(0);
  return r.stdout;
}
