// A container's directories and the files the daemon makes for it.
//   <data-root>/containers/<id>/   init/ (Docker's "-init" layer: mount points), upper/,
//                                  work/ (overlay), rootfs/ (the mount point),
//                                  hostname, hosts, resolv.conf, <id>-json.log
//   <exec-root>/<id>/              the OCI bundle (config.json) and the shim's state
//                                  (shim.sock, exit.json, …): lost at reboot, like the container
//   <exec-root>/e/<exec id>/       one exec's process.json and shim state
// Unix socket paths are limited to 107 bytes: exec ids are cut to 32 hex digits.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../errors';
import { mkdirPrivate } from '../state/dirs';
import { MNT_DETACH, umount2 } from '../native';

export class ContainerPaths {
  constructor(
    readonly dataRoot: string,
    readonly execRoot: string,
  ) {}

  dir(id: string): string {
    return join(this.dataRoot, 'containers', id);
  }
  /** Below upper/: the files and dirs the runtime mounts over, so they never show in `docker diff`. */
  init(id: string): string {
    return join(this.dir(id), 'init');
  }
  upper(id: string): string {
    return join(this.dir(id), 'upper');
  }
  work(id: string): string {
    return join(this.dir(id), 'work');
  }
  rootfs(id: string): string {
    return join(this.dir(id), 'rootfs');
  }
  logPath(id: string): string {
    return join(this.dir(id), `${id}-json.log`);
  }
  hostnamePath(id: string): string {
    return join(this.dir(id), 'hostname');
  }
  hostsPath(id: string): string {
    return join(this.dir(id), 'hosts');
  }
  resolvConfPath(id: string): string {
    return join(this.dir(id), 'resolv.conf');
  }
  /** The bundle and the shim's state. */
  state(id: string): string {
    return join(this.execRoot, id);
  }
  /** The directory of every exec's state (execState). */
  get execStates(): string {
    return join(this.execRoot, 'e');
  }
  execState(execId: string): string {
    return join(this.execStates, execId.slice(0, 32));
  }
  runtimeRoot(runtime: string): string {
    return join(this.execRoot, 'runtime', runtime);
  }
}

/** Makes the directories of a new container, with the init layer dockerd makes (daemon/initlayer). */
export function makeContainerDirs(paths: ContainerPaths, id: string): void {
  mkdirPrivate(paths.dir(id));
  // The upper dir is the root directory the container sees: 0755 as dockerd makes it (overlay2 diff/).
  mkdirSync(paths.upper(id), { recursive: true, mode: 0o755 });
  for (const d of [paths.work(id), paths.rootfs(id)]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const init = paths.init(id);
  for (const d of ['dev/pts', 'dev/shm', 'proc', 'sys', 'etc']) mkdirSync(join(init, d), { recursive: true, mode: 0o755 });
  for (const f of ['.dockerenv', 'dev/console', 'etc/hosts', 'etc/hostname', 'etc/resolv.conf']) writeFileSync(join(init, f), '', { mode: 0o755 });
  symlinkSync('/proc/mounts', join(init, 'etc/mtab'));
}

/** Unmounts the rootfs if mounted (lazily: a process may still hold it briefly). */
export function unmountRootfs(paths: ContainerPaths, id: string): void {
  const target = paths.rootfs(id);
  if (!isMounted(target)) return;
  try {
    umount2(target, MNT_DETACH);
  } catch (err) {
    if (!isErrno(err, 'EINVAL') && !isErrno(err, 'ENOENT')) throw err;
  }
}

export function isMounted(path: string): boolean {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  const escaped = path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return mounts.split('\n').some((line) => line.split(' ')[4] === escaped);
}

export function removeContainerDirs(paths: ContainerPaths, id: string): void {
  unmountRootfs(paths, id);
  rmSync(paths.dir(id), { recursive: true, force: true });
  rmSync(paths.state(id), { recursive: true, force: true });
}

/** /etc/hostname, /etc/hosts and /etc/resolv.conf for the container, as Docker writes them. */
export function writeEtcFiles(paths: ContainerPaths, id: string, hostname: string, domainname: string, networkMode: string): void {
  writeFileSync(paths.hostnamePath(id), `${hostname}\n`);
  if (networkMode === 'host') {
    writeFileSync(paths.hostsPath(id), readHostFile('/etc/hosts', '127.0.0.1\tlocalhost\n'));
  } else {
    const fqdn = domainname ? `${hostname}.${domainname} ${hostname}` : hostname;
    writeFileSync(
      paths.hostsPath(id),
      '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n' +
        (networkMode === 'none' ? '' : `127.0.1.1\t${fqdn}\n`),
    );
  }
  writeFileSync(paths.resolvConfPath(id), resolvConf(networkMode));
}

function readHostFile(path: string, fallback: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : fallback;
}

/** The host's resolv.conf; without host networking, loopback nameservers cannot work and are dropped (Docker then uses its defaults). */
function resolvConf(networkMode: string): string {
  const host = readHostFile('/etc/resolv.conf', '');
  if (networkMode === 'host') return host;
  const lines = host.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1\b)/.test(l));
  if (!lines.some((l) => /^\s*nameserver\s/.test(l))) lines.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  return `${lines.filter((l, i) => l !== '' || i < lines.length - 1).join('\n').trim()}\n`;
}

/** Bytes used by the files under `root` (hard links counted once), like Docker's directory.Size. */
export function dirSize(root: string): number {
  const seen = new Set<string>();
  let total = 0;
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    for (const name of names) {
      const path = join(dir, name);
      const st = lstatSync(path, { bigint: true });
      if (st.nlink > 1n) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      if (st.isDirectory()) walk(path);
      else total += Number(st.size);
    }
  };
  walk(root);
  return total;
}
