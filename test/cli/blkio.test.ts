// Per-device block IO limits (--device-read-bps/-iops, --device-write-bps/-iops)
// reach the container's cgroup: v1's blkio.throttle.*_device or v2's io.max,
// on the host's first block device; and both CLIs send the same request for
// them (the HostConfig compared in inspect).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../helpers/daemon';
import { endTarget, hasDocker, startTarget, TEST_IMAGE, type Target } from './target';

const P = 'tsdcli-blkio-';
/** A block device node of this host (a disk, not a loop or zram device), if any. */
const device = (() => {
  const names = existsSync('/sys/block') ? readdirSync('/sys/block').filter((n) => !/^(loop|zram|ram)/.test(n)) : [];
  const found = names.map((n) => `/dev/${n}`).find((p) => existsSync(p) && statSync(p).isBlockDevice());
  return found;
})();

let t: Target;
beforeAll(async () => {
  t = await startTarget();
});
afterAll(() => endTarget(t, P));

/** The file of the container's blkio (v1) or unified (v2) cgroup. */
function cgroupFile(pid: string, v1: string, v2: string): string {
  const lines = readFileSync(`/proc/${pid.trim()}/cgroup`, 'utf8').split('\n');
  const blkio = lines.find((l) => /^\d+:([^:]*,)?blkio(,[^:]*)?:/.test(l));
  if (blkio) return readFileSync(`/sys/fs/cgroup/blkio${blkio.split(':')[2]}/${v1}`, 'utf8');
  const unified = lines.find((l) => l.startsWith('0::'))!;
  return readFileSync(`/sys/fs/cgroup${unified.slice(3)}/${v2}`, 'utf8');
}

describe.skipIf(!device)(`device throttles (skipped: no block device in /sys/block)`, () => {
  it('writes each limit to the cgroup as MAJ:MIN VALUE', () => {
    const { rdev } = statSync(device!);
    const majMin = `${Math.floor(rdev / 256) & 0xfff}:${(rdev & 0xff) | ((rdev >> 12) & 0xfff00)}`;
    ok(t.cli(['run', '-d', '--name', `${P}run`, '--device-read-bps', `${device}:1mb`, '--device-write-iops', `${device}:100`, TEST_IMAGE, 'sleep', '300']));
    const pid = ok(t.cli(['inspect', '-f', '{{.State.Pid}}', `${P}run`]));
    const v1 = readFileSync(`/proc/${pid.trim()}/cgroup`, 'utf8').includes('blkio');
    if (v1) {
      expect(cgroupFile(pid, 'blkio.throttle.read_bps_device', 'io.max')).toBe(`${majMin} 1048576\n`);
      expect(cgroupFile(pid, 'blkio.throttle.write_iops_device', 'io.max')).toBe(`${majMin} 100\n`);
    } else {
      expect(cgroupFile(pid, 'blkio.throttle.read_bps_device', 'io.max')).toContain(`${majMin} rbps=1048576 wbps=max riops=max wiops=100`);
    }
  });

  it.skipIf(!hasDocker)('sends what the docker CLI sends', () => {
    const flags = ['--device-read-bps', `${device}:2mb`, '--device-write-bps', `${device}:1gb`, '--device-read-iops', `${device}:7`, '--blkio-weight-device', `${device}:300`];
    // A kernel without weight_device warns (the same words to both): the rest is kept.
    const created = t.cli(['create', '--name', `${P}ours`, ...flags, TEST_IMAGE]);
    const theirs = t.docker(['create', '--name', `${P}theirs`, ...flags, TEST_IMAGE]);
    expect(created.code).toBe(0);
    expect(created.stderr).toBe(theirs.stderr);
    const fields = '{{json .HostConfig.BlkioWeightDevice}} {{json .HostConfig.BlkioDeviceReadBps}} {{json .HostConfig.BlkioDeviceWriteBps}} {{json .HostConfig.BlkioDeviceReadIOps}} {{json .HostConfig.BlkioDeviceWriteIOps}}';
    const ours = ok(t.cli(['inspect', '-f', fields, `${P}ours`]));
    expect(ours).toContain(`{"Path":"${device}","Rate":2097152}`);
    expect(ours).toBe(ok(t.cli(['inspect', '-f', fields, `${P}theirs`])));
  });
});
