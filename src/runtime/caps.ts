// Capability names and Docker's CapAdd/CapDrop arithmetic (moby
// daemon/pkg/oci/caps/utils.go): names are case-insensitive, the CAP_ prefix is
// optional, "ALL" is magic, and a name the host kernel lacks is refused.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../errors';

/** Every capability Linux knows of, by number (capability.h). */
const KNOWN = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
].map((n) => `CAP_${n}`);

const ALL = 'ALL';

let supported: string[] | undefined;

/** Bits of this process's bounding set (/proc/self/status CapBnd); undefined without procfs. */
function boundingSet(): bigint | undefined {
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The capabilities a container can get, in number order (Privileged gets them
 * all): those the kernel supports and the daemon itself holds, as moby
 * filters them (a daemon in a container may lack some).
 */
export function allCapabilities(): string[] {
  if (supported === undefined) {
    let last = KNOWN.length - 1;
    try {
      last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    } catch {
      /* no procfs: assume the kernel knows them all */
    }
    const bounding = boundingSet();
    supported = KNOWN.slice(0, last + 1).filter((_, bit) => bounding === undefined || (bounding >> BigInt(bit)) & 1n);
  }
  return [...supported];
}

/** Upper-cases, adds CAP_ and checks each name; `field` names the list in errors (CapAdd, CapDrop). */
export function normalizeCapabilities(caps: readonly string[] | null | undefined, field: string): string[] {
  const available = new Set(allCapabilities());
  return (caps ?? []).map((raw) => {
    let c = raw.toUpperCase();
    if (c === ALL) return c;
    if (!c.startsWith('CAP_')) c = `CAP_${c}`;
    if (!KNOWN.includes(c)) throw new InvalidArgumentError(`invalid ${field}: unknown capability: ${JSON.stringify(c)}`);
    if (!available.has(c)) {
      throw new InvalidArgumentError(`invalid ${field}: capability not supported by your kernel or not available in the current environment: ${JSON.stringify(c)}`);
    }
    return c;
  });
}

/** The container's capability set: Docker's defaults tweaked by CapAdd/CapDrop, or all when privileged. */
export function tweakCapabilities(basics: string[], adds: readonly string[] | null | undefined, drops: readonly string[] | null | undefined, privileged: boolean): string[] {
  if (privileged) return allCapabilities();
  if ((adds ?? []).length === 0 && (drops ?? []).length === 0) return basics;
  const capDrop = normalizeCapabilities(drops, 'CapDrop');
  const capAdd = normalizeCapabilities(adds, 'CapAdd');
  if (capAdd.includes(ALL)) return allCapabilities().filter((c) => !capDrop.includes(c));
  if (capDrop.includes(ALL)) return capAdd;
  return [...basics.filter((c) => !capDrop.includes(c)), ...capAdd];
}
