// Docker's seccomp profiles (the builtin default.json, or one sent inline as
// `seccomp=<json>`) flattened to the OCI linux.seccomp the runtime loads, as
// moby's profiles/seccomp setupSeccomp does: the archMap entry of the host
// architecture, and rules kept or dropped by `includes`/`excludes` (arches,
// capabilities of the bounding set, minimum kernel).
import os from 'node:os';
import { InvalidArgumentError, TsdError, messageOf } from '../errors';
import type { OciSeccomp, OciSeccompArg, OciSyscall, SeccompAction } from './oci-types';
import builtinProfile from './seccomp-default.json';

interface Filter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

interface ProfileSyscall {
  name?: string;
  names?: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: OciSeccompArg[] | null;
  comment?: string;
  includes?: Filter | null;
  excludes?: Filter | null;
}

/** Docker's profile format: OCI fields plus archMap and filtered syscalls. */
export interface SeccompProfile {
  defaultAction?: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[] | null;
  archMap?: Array<{ architecture: string; subArchitectures: string[] | null }> | null;
  flags?: string[] | null;
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: ProfileSyscall[] | null;
}

/** libseccomp's name of this machine's architecture (Go's GOARCH mapped as moby does). */
const NATIVE_ARCH: Record<string, string> = { x64: 'amd64', ia32: 'x86', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loongarch64', mips: 'mipsle' };
const SCMP_ARCH: Record<string, string> = {
  x86: 'SCMP_ARCH_X86', amd64: 'SCMP_ARCH_X86_64', arm: 'SCMP_ARCH_ARM', arm64: 'SCMP_ARCH_AARCH64', ppc64le: 'SCMP_ARCH_PPC64LE',
  s390x: 'SCMP_ARCH_S390X', riscv64: 'SCMP_ARCH_RISCV64', loongarch64: 'SCMP_ARCH_LOONGARCH64', mipsle: 'SCMP_ARCH_MIPSEL',
};

/** Actions tsd-runtime's libseccomp loader knows (native/src/seccomp.c parse_action). */
const SUPPORTED_ACTIONS = new Set<string>([
  'SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_TRACE', 'SCMP_ACT_LOG',
]);

/** The kernel release as [major, minor] (6.18.44-fc → [6, 18]). */
function kernelVersion(): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(os.release());
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

function kernelAtLeast(v: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(v);
  if (!m) throw new InvalidArgumentError(`invalid kernel version: ${v}`);
  const [maj, min] = kernelVersion();
  return maj > Number(m[1]) || (maj === Number(m[1]) && min >= Number(m[2]));
}

function keep(call: ProfileSyscall, arch: string, bounding: readonly string[]): boolean {
  const ex = call.excludes;
  if (ex) {
    if (ex.arches?.includes(arch)) return false;
    if (ex.caps?.some((c) => bounding.includes(c))) return false;
    if (ex.minKernel && kernelAtLeast(ex.minKernel)) return false;
  }
  const inc = call.includes;
  if (inc) {
    if (inc.arches && inc.arches.length > 0 && !inc.arches.includes(arch)) return false;
    if (inc.caps?.some((c) => !bounding.includes(c))) return false;
    if (inc.minKernel && !kernelAtLeast(inc.minKernel)) return false;
  }
  return true;
}

/** The OCI seccomp config of `profile` for a process whose bounding set is `bounding`; undefined = no filter. */
export function flattenProfile(profile: SeccompProfile, bounding: readonly string[]): OciSeccomp | undefined {
  if (!profile.defaultAction && (profile.syscalls ?? []).length === 0) return undefined;
  if ((profile.architectures ?? []).length > 0 && (profile.archMap ?? []).length > 0) {
    throw new InvalidArgumentError("both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  const arch = NATIVE_ARCH[process.arch] ?? process.arch;
  const out: OciSeccomp = { defaultAction: profile.defaultAction ?? 'SCMP_ACT_ERRNO' };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  const architectures = [...(profile.architectures ?? [])];
  const entry = (profile.archMap ?? []).find((a) => a.architecture === SCMP_ARCH[arch]);
  if (entry) architectures.push(entry.architecture, ...(entry.subArchitectures ?? []));
  if (architectures.length > 0) out.architectures = architectures;
  if (profile.flags && profile.flags.length > 0) out.flags = [...profile.flags];
  if (profile.listenerPath) throw new InvalidArgumentError('seccomp notify (listenerPath) is not supported by tsdocker');
  const syscalls: OciSyscall[] = [];
  for (const call of profile.syscalls ?? []) {
    if (call.name && (call.names ?? []).length > 0) {
      throw new InvalidArgumentError("both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'");
    }
    if (!SUPPORTED_ACTIONS.has(call.action)) throw new InvalidArgumentError(`seccomp action ${call.action} is not supported by tsdocker`);
    if (!keep(call, arch, bounding)) continue;
    const s: OciSyscall = { names: call.name ? [call.name] : [...(call.names ?? [])], action: call.action };
    if (call.errnoRet !== undefined) s.errnoRet = call.errnoRet;
    if (call.args && call.args.length > 0) s.args = call.args.map((a) => ({ ...a }));
    syscalls.push(s);
  }
  if (!SUPPORTED_ACTIONS.has(out.defaultAction)) throw new InvalidArgumentError(`seccomp action ${out.defaultAction} is not supported by tsdocker`);
  out.syscalls = syscalls;
  return out;
}

/** Docker's builtin default profile for this bounding set. */
export function defaultSeccomp(bounding: readonly string[]): OciSeccomp {
  return flattenProfile(builtinProfile as SeccompProfile, bounding)!;
}

/** A profile given inline (the docker CLI reads `seccomp=file.json` and sends its content). */
export function parseProfile(body: string): SeccompProfile {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the profile must be a JSON object');
    return parsed as SeccompProfile;
  } catch (err) {
    throw new InvalidArgumentError(`Decoding seccomp profile failed: ${messageOf(err)}`);
  }
}

/** The seccomp config of a container: SecurityOpt's seccomp value ('' = default) checked against its caps. */
export function containerSeccomp(value: string, bounding: readonly string[]): OciSeccomp | undefined {
  if (value === 'unconfined') return undefined;
  if (value === '' || value === 'builtin') return defaultSeccomp(bounding);
  try {
    return flattenProfile(parseProfile(value), bounding);
  } catch (err) {
    if (err instanceof TsdError) throw err;
    throw new InvalidArgumentError(messageOf(err));
  }
}
