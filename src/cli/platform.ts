// `--platform os[/arch[/variant]]` checked as the docker CLI checks it
// (containerd's platforms.Parse) before any request.
import { CliError } from './cli-error';

const OSES = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'wasip1', 'windows', 'zos']);
const ARCHES = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le', 'mips64p32', 'mips64p32le',
  'ppc', 'ppc64', 'ppc64le', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm',
  'i386', 'x86_64', 'x86-64', 'aarch64', 'armhf', 'armel',
]);

// containerd's platforms.Parse: an OS (with an optional "(version)"), then components.
const OS_COMPONENT = /^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.-]*)\))?$/;
const COMPONENT = /^[A-Za-z0-9_.-]+$/;

/** Throws docker's error for a platform it could not parse; `what` is the message's start. */
export function checkPlatform(platform: string, what = 'error parsing specified platform'): void {
  const fail = (message: string) => {
    throw new CliError(`${what ? `${what}: ` : ''}${message}: invalid argument`);
  };
  const q = JSON.stringify;
  const parts = platform.split('/');
  if (platform.includes('*')) fail(`${q(platform)}: wildcards not yet supported`);
  if (!OS_COMPONENT.test(parts[0]!)) fail(`${q(parts[0])} is an invalid OS component of ${q(platform)}: OSAndVersion specifier component must match ${q(OS_COMPONENT.source)}`);
  const bad = parts.slice(1).find((p) => !COMPONENT.test(p));
  if (bad !== undefined) fail(`${q(bad)} is an invalid component of ${q(platform)}: platform specifier component must match ${q(COMPONENT.source)}`);
  if (parts.length > 3) fail(`${q(platform)}: cannot parse platform specifier`);
  if (parts.length === 1 && !OSES.has(parts[0]!.toLowerCase()) && !ARCHES.has(parts[0]!.toLowerCase())) fail(`${q(platform)}: unknown operating system or architecture`);
}

const ARCH_ALIASES: Record<string, [string, string?]> = { i386: ['386'], x86_64: ['amd64'], 'x86-64': ['amd64'], aarch64: ['arm64'], armhf: ['arm', 'v7'], armel: ['arm', 'v6'] };

/** The platform as the API's JSON (ocispec.Platform in Go's field order), after checking it as docker does (`what` starts its error). */
export function platformJson(platform: string, what = ''): string {
  checkPlatform(platform, what);
  const parts = platform.toLowerCase().split('/');
  const hostArch = process.arch === 'x64' ? 'amd64' : process.arch;
  let os = 'linux';
  let arch = hostArch;
  let variant = parts[2];
  if (parts.length === 1) {
    if (OSES.has(parts[0]!)) os = parts[0]!;
    else arch = parts[0]!;
  } else [os, arch] = [parts[0]!, parts[1]!];
  const alias = ARCH_ALIASES[arch];
  if (alias) [arch, variant] = [alias[0], variant ?? alias[1]];
  return JSON.stringify({ architecture: arch, os, ...(variant ? { variant } : {}) });
}
