// tsd-runtime keeps compiled seccomp programs under its root (native/src/
// seccomp_cache.c). A stored program is used only for exactly the profile it
// was made from: one that does not match (altered, truncated) is compiled
// again, and the filter still refuses what Docker's profile refuses.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostConfig } from '../../src/api/containers';
import { runtimePath } from '../../src/native/paths';
import { buildSpec, serializeSpec, validateCreate } from '../../src/runtime/spec';
import { isRoot, removeCgroupParent, rt } from '../native/bundle';
import { makeBundle, runConfig, runHostConfig, specInput } from './helpers';

const enabled = isRoot() && existsSync('/bin/busybox') && existsSync(runtimePath());
const PROBE = ['sh', '-c', 'unshare -U true 2>/dev/null; echo "rc=$?"'];

let dir: string;
let root: string;
let cache: string;
let b: ReturnType<typeof makeBundle>;
let cgParent: string;
let seq = 0;

beforeAll(() => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'tsd-seccomp-cache-'));
  b = makeBundle(join(dir, 'bundle'));
  root = join(dir, 'state');
  cache = join(root, 'seccomp');
  cgParent = `/tsdseccomptest-${process.pid}`;
});

afterAll(() => {
  if (!enabled) return;
  removeCgroupParent(cgParent);
  rmSync(dir, { recursive: true, force: true });
});

/** `tsd-runtime run` of the probe with Docker's spec for these HostConfig fields; its output. */
function probe(hc: Partial<HostConfig> = {}): string {
  const id = `sc${process.pid}-${++seq}`;
  const config = runConfig(PROBE);
  const hostConfig = runHostConfig(hc);
  validateCreate(config, hostConfig);
  writeFileSync(join(b.bundle, 'config.json'), serializeSpec(buildSpec({ ...specInput(b, config, hostConfig), cgroupsPath: `${cgParent}/${id}` })));
  const r = rt('tsd', root, ['run', '-b', b.bundle, id]);
  rt('tsd', root, ['delete', '--force', id]);
  expect(r.stderr).toBe('');
  return r.stdout;
}

const cached = () => (existsSync(cache) ? readdirSync(cache) : []);

describe.skipIf(!enabled)('the seccomp program cache', () => {
  it('stores the program of a profile once and uses it for the next container', () => {
    expect(cached()).toEqual([]);
    expect(probe()).toBe('rc=1\n');
    const files = cached();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{16}\.bpf$/);
    const file = join(cache, files[0]!);
    const stored = statSync(file);
    expect(probe()).toBe('rc=1\n');
    expect(statSync(file).ino).toBe(stored.ino); // not written again
    // Another profile (CAP_SYS_ADMIN opens unshare in Docker's profile) gets its own program.
    expect(probe({ CapAdd: ['SYS_ADMIN'] })).toBe('rc=0\n');
    expect(cached()).toHaveLength(2);
    // No profile, no program.
    expect(probe({ SecurityOpt: ['seccomp=unconfined'] })).toBe('rc=0\n');
    expect(cached()).toHaveLength(2);
  });

  it('compiles again when the stored file does not hold exactly this profile', () => {
    rmSync(cache, { recursive: true, force: true });
    expect(probe()).toBe('rc=1\n');
    const file = join(cache, cached()[0]!);
    const good = readFileSync(file);
    // The profile text follows the magic line and the header: flip one byte of it.
    const altered = Buffer.from(good);
    const at = good.indexOf('"defaultAction"');
    expect(at).toBeGreaterThan(0);
    altered[at + 1] = 'D'.charCodeAt(0);
    for (const bad of [altered, good.subarray(0, good.length - 8), Buffer.from('not a program')]) {
      writeFileSync(file, bad);
      expect(probe()).toBe('rc=1\n');
      expect(readFileSync(file).equals(good)).toBe(true);
    }
  });
});
