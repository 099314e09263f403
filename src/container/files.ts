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
import { buildHostname, buildHosts, generateResolvConf, hostResolvConfPath, type EtcMode, type HostsOptions, type ResolvConfResult } from '../network/etc-files';

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

/** What the network step knows beyond the container's config (all optional: defaults give Docker's files without networks). */
export interface EtcFilesOptions {
  /** The container's addresses on its networks (its own /etc/hosts records). */
  addresses?: string[];
  /** HostConfig.ExtraHosts (`host:ip`, ip may be host-gateway). */
  extraHosts?: string[];
  /** Legacy links (default bridge). */
  links?: HostsOptions['links'];
  /** Addresses host-gateway stands for. */
  hostGateway?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** A network of the container has IPv6 (keeps IPv6 nameservers). Default false. */
  ipv6?: boolean;
  /** The container's loopback has IPv6 (the IPv6 localhost records in /etc/hosts). Default true, as Docker assumes. */
  loopbackIPv6?: boolean;
  /** resolv.conf names 127.0.0.11 (embedded DNS). Default: on user networks. */
  embedded?: boolean;
}

/** The /etc files' mode for a HostConfig.NetworkMode. */
export function etcModeOf(networkMode: string): EtcMode {
  if (networkMode === 'host' || networkMode === 'none') return networkMode;
  if (networkMode === '' || networkMode === 'default' || networkMode === 'bridge' || networkMode.startsWith('container:')) return 'bridge';
  return 'user';
}

/**
 * /etc/hostname, /etc/hosts and /etc/resolv.conf for the container, as Docker 28
 * writes them (src/network/etc-files.ts). The embedded DNS server's upstreams:
 * resolvConfFor().
 */
export function writeEtcFiles(paths: ContainerPaths, id: string, hostname: string, domainname: string, networkMode: string, o: EtcFilesOptions = {}): void {
  const mode = etcModeOf(networkMode);
  writeFileSync(paths.hostnamePath(id), buildHostname(hostname));
  // Until the network step gives addresses, the container's name resolves to 127.0.1.1 (Debian's convention).
  const addresses = o.addresses ?? (mode === 'none' || mode === 'host' ? [] : ['127.0.1.1']);
  const hosts = buildHosts({
    hostname, domainname, addresses, extraHosts: o.extraHosts ?? [], links: o.links ?? [], ipv6: o.loopbackIPv6 ?? true, mode,
    hostHosts: readHostFile('/etc/hosts', '127.0.0.1\tlocalhost\n'), ...(o.hostGateway ? { hostGateway: o.hostGateway } : {}),
  });
  writeFileSync(paths.hostsPath(id), hosts);
  writeFileSync(paths.resolvConfPath(id), resolvConfFor(networkMode, o).content);
}

/** The container's resolv.conf as writeEtcFiles writes it, with the embedded DNS server's upstreams and ndots flag. */
export function resolvConfFor(networkMode: string, o: EtcFilesOptions = {}): ResolvConfResult {
  const mode = etcModeOf(networkMode);
  const source = hostResolvConfPath();
  return generateResolvConf({
    hostResolvConf: readHostFile(source, ''), hostResolvConfPath: existsSync(source) ? source : '',
    dns: o.dns ?? [], dnsSearch: o.dnsSearch ?? [], dnsOptions: o.dnsOptions ?? [],
    embedded: o.embedded ?? mode === 'user', host: mode === 'host', ipv6: o.ipv6 ?? false,
  });
}

function readHostFile(path: string, fallback: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : fallback;
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
