// HostConfig.SecurityOpt as dockerd parses it (daemon parseSecurityOpt):
// `no-new-privileges[=bool]`, `seccomp=unconfined|builtin|<profile json>`,
// `apparmor=…`, `label=…`, `writable-cgroups=bool`, key=value or the old
// key:value. AppArmor and SELinux are no-ops on a host without them, as in
// Docker; on a host with them tsdocker refuses what it cannot apply.
import { existsSync, readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../errors';

export interface SecurityOptions {
  noNewPrivileges: boolean;
  /** '' = the builtin default profile. */
  seccomp: string;
  writableCgroups: boolean;
}

/** Go's strconv.ParseBool. */
function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

function appArmorEnabled(): boolean {
  try {
    return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
}

function selinuxEnabled(): boolean {
  return existsSync('/sys/fs/selinux/enforce');
}

export function parseSecurityOpt(opts: readonly string[] | null | undefined): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, seccomp: '', writableCgroups: false };
  for (const opt of opts ?? []) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') continue; // label disable: SELinux labelling off
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : undefined;
    if (sep === undefined) throw new InvalidArgumentError(`invalid --security-opt 1: ${JSON.stringify(opt)}`);
    const at = opt.indexOf(sep);
    const key = opt.slice(0, at);
    const value = opt.slice(at + 1);
    const bool = parseBool(value);
    switch (key) {
      case 'seccomp':
        out.seccomp = value;
        break;
      case 'no-new-privileges':
        if (bool === undefined) throw new InvalidArgumentError(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        out.noNewPrivileges = bool;
        break;
      case 'writable-cgroups':
        if (bool === undefined) throw new InvalidArgumentError(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        out.writableCgroups = bool;
        break;
      case 'apparmor':
        if (value !== 'unconfined' && appArmorEnabled()) throw new InvalidArgumentError(`AppArmor profiles are not supported by tsdocker: ${JSON.stringify(opt)}`);
        break;
      case 'label':
        if (value !== 'disable' && selinuxEnabled()) throw new InvalidArgumentError(`SELinux labels are not supported by tsdocker: ${JSON.stringify(opt)}`);
        break;
      default:
        throw new InvalidArgumentError(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
    }
  }
  return out;
}
