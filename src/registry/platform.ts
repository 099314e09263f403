// Platforms: the daemon's own (Node's arch names in Go's spelling), `--platform`
// strings, and the choice of a manifest list's entry for one.
import { InvalidArgumentError, NotFoundError } from '../errors';
import type { Descriptor } from './types';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function hostPlatform(): Platform {
  const architecture = GO_ARCH[process.arch] ?? process.arch;
  return { os: 'linux', architecture, ...(architecture === 'arm64' ? { variant: 'v8' } : {}) };
}

/** `os[/arch[/variant]]` as `--platform` takes it; empty means the host's. */
export function parsePlatform(s: string | undefined): Platform {
  if (s === undefined || s === '') return hostPlatform();
  const [os, architecture, variant, extra] = s.toLowerCase().split('/');
  if (!os || extra !== undefined || architecture === '' || variant === '') {
    throw new InvalidArgumentError(`"${s}": unknown operating system or architecture: invalid argument`);
  }
  const arch = architecture ?? hostPlatform().architecture;
  return { os, architecture: arch, ...(variant ? { variant } : arch === 'arm64' && architecture === undefined ? { variant: 'v8' } : {}) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== '').join('/');
}

/** arm64's variant defaults to v8 on both sides of the comparison, as containerd's normalizer does. */
function variantOf(p: { architecture: string; variant?: string }): string {
  return p.variant ?? (p.architecture === 'arm64' ? 'v8' : '');
}

/** The manifest of a list for `want`: os and architecture equal, the variant too when the entry names one. */
export function selectManifest(entries: readonly Descriptor[], want: Platform): Descriptor {
  const match = entries.find(
    (e) => e.platform !== undefined && e.platform.os === want.os && e.platform.architecture === want.architecture && (variantOf(e.platform) === variantOf(want) || !e.platform.variant),
  );
  if (!match) throw new NotFoundError(`no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
  return match;
}
