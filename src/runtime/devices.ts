// Device nodes and device cgroup rules (moby daemon/pkg/oci/devices_linux.go,
// containerd's HostDevices): --device mappings, --device-cgroup-rule, and every
// host device for a privileged container.
import { lstatSync, readdirSync, realpathSync, statSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, TsdError, messageOf } from '../errors';
import type { OciDevice, OciDeviceRule } from './oci-types';

const S_IFMT = 0o170000n;
const S_IFCHR = 0o020000n;
const S_IFBLK = 0o060000n;

const RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** Linux's major()/minor() of a dev_t. */
function majorMinor(rdev: bigint): [number, number] {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return [Number(major), Number(minor)];
}

/** The device at hostPath as it should appear at containerPath; undefined when it is not a device node. */
function deviceFromStat(st: BigIntStats, containerPath: string): OciDevice | undefined {
  const fmt = st.mode & S_IFMT;
  if (fmt !== S_IFCHR && fmt !== S_IFBLK) return undefined;
  const [major, minor] = majorMinor(st.rdev);
  return {
    type: fmt === S_IFCHR ? 'c' : 'b',
    path: containerPath,
    major,
    minor,
    fileMode: Number(st.mode & ~S_IFMT),
    uid: Number(st.uid),
    gid: Number(st.gid),
  };
}

function ruleFor(d: OciDevice, access: string): OciDeviceRule {
  return { allow: true, type: d.type === 'b' ? 'b' : 'c', major: d.major, minor: d.minor, access };
}

/** `--device host[:container[:perms]]`: one node, or every node under a directory. */
export function devicesFromPath(pathOnHost: string, pathInContainer: string, permissions: string): { devices: OciDevice[]; rules: OciDeviceRule[] } {
  let resolved = pathOnHost;
  try {
    if (lstatSync(pathOnHost).isSymbolicLink()) resolved = realpathSync(pathOnHost);
  } catch {
    /* reported below */
  }
  const access = permissions || 'rwm';
  let st: BigIntStats;
  try {
    st = statSync(resolved, { bigint: true });
  } catch (err) {
    throw new TsdError(`error gathering device information while adding custom device ${JSON.stringify(pathOnHost)}: ${messageOf(err)}`);
  }
  const one = deviceFromStat(st, pathInContainer);
  if (one) return { devices: [one], rules: [ruleFor(one, access)] };
  const devices: OciDevice[] = [];
  if (st.isDirectory()) {
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else {
          const d = deviceFromStat(lstatSync(p, { bigint: true }), pathInContainer + p.slice(resolved.length));
          if (d) devices.push(d);
        }
      }
    };
    walk(resolved);
  }
  if (devices.length === 0) throw new TsdError(`error gathering device information while adding custom device ${JSON.stringify(pathOnHost)}: not a device node`);
  return { devices, rules: devices.map((d) => ruleFor(d, access)) };
}

/** Every device node under the host's /dev, as a privileged container gets them. */
export function hostDevices(dir = '/dev'): OciDevice[] {
  const out: OciDevice[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev'].includes(e.name)) out.push(...hostDevices(p));
      continue;
    }
    if (e.name === 'console') continue;
    try {
      const d = deviceFromStat(lstatSync(p, { bigint: true }), p);
      if (d) out.push(d);
    } catch {
      /* vanished while walking */
    }
  }
  return out;
}

/** `--device-cgroup-rule 'c 1:3 rwm'` entries as OCI device rules (-1 = `*`). */
export function parseDeviceCgroupRules(rules: readonly string[] | null | undefined): OciDeviceRule[] {
  return (rules ?? []).map((rule) => {
    const m = RULE.exec(rule);
    if (!m) throw new InvalidArgumentError(`invalid device cgroup rule format: '${rule}'`);
    const num = (v: string): number => (v === '*' ? -1 : Number(v));
    return { allow: true, type: m[1] as 'a' | 'c' | 'b', major: num(m[2]!), minor: num(m[3]!), access: m[4]! };
  });
}
