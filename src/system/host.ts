// Facts about the host the daemon runs on, read once at start (they do not
// change while it runs) for /version and /info.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { hostCgroupLayout } from './cgroup-layout';

export interface HostFacts {
  kernelVersion: string;
  operatingSystem: string;
  osVersion: string;
  architecture: string;
  goArch: string;
  ncpu: number;
  memTotal: number;
  hostname: string;
  cgroupVersion: '1' | '2';
  ipv4Forwarding: boolean;
}

function readOsRelease(): Record<string, string> {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const out: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const m = /^([A-Z_]+)=("?)(.*)\2$/.exec(line.trim());
      if (m) out[m[1]!] = m[3]!;
    }
    return out;
  } catch {
    return {};
  }
}

function readFlag(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

export function readHostFacts(): HostFacts {
  const release = readOsRelease();
  return {
    kernelVersion: os.release(),
    operatingSystem: release['PRETTY_NAME'] ?? 'Linux',
    osVersion: release['VERSION_ID'] ?? '',
    architecture: os.machine(),
    goArch: GO_ARCH[process.arch] ?? process.arch,
    ncpu: os.cpus().length,
    memTotal: os.totalmem(),
    hostname: os.hostname(),
    cgroupVersion: hostCgroupLayout().version,
    ipv4Forwarding: readFlag('/proc/sys/net/ipv4/ip_forward'),
  };
}
