// `--platform os[/arch[/variant]]` checked as the docker CLI checks it
// (containerd's platforms.Parse) before any request.
import { CliError } from './cli-error';

const OSES = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'wasip1', 'windows', 'zos']);
const ARCHES = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le', 'mips64p32', 'mips64p32le',
  'ppc', 'ppc64', 'ppc64le', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm',
  'i386', 'x86_64', 'x86-64', 'aarch64', 'armhf', 'armel',
]);

/** Throws docker's error for a platform it could not parse; `what` is the message's start. */
export function checkPlatform(platform: string, what = 'error parsing specified platform'): void {
  const fail = (why: string) => {
    throw new CliError(`${what}: ${JSON.stringify(platform)}: ${why}: invalid argument`);
  };
  const parts = platform.split('/');
  if (parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) fail('invalid platform specifier');
  if (parts.length === 1 && !OSES.has(parts[0]!.toLowerCase()) && !ARCHES.has(parts[0]!.toLowerCase())) fail('unknown operating system or architecture');
}
