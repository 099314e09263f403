// Test helpers: a busybox OCI bundle with a config.json shaped like the one
// Docker writes by default (capabilities, mounts, masked/readonly paths,
// device rules, sysctls), and runners for tsd-runtime and runc that remove
// what they started.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runtimePath } from '../../src/native/paths';
import {
  DEFAULT_PATH_ENV, DEFAULT_SHM_SIZE, defaultCapabilities, defaultDeviceRules, defaultMaskedPaths, defaultMounts, defaultReadonlyPaths,
} from '../../src/runtime/defaults';

export const BUSYBOX = '/bin/busybox';

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** What running containers needs: root, busybox and a built tsd-runtime. */
export function canRunContainers(): boolean {
  return isRoot() && existsSync(BUSYBOX) && existsSync(runtimePath());
}

export function runcInstalled(): boolean {
  return spawnSync('runc', ['--version']).status === 0;
}

/** rootfs with busybox and its applets as symlinks, /etc/passwd and /etc/group. */
export function makeRootfs(dir: string): string {
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'mnt']) mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  const list = spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => a && a !== 'busybox');
  for (const applet of list) symlinkSync('busybox', join(rootfs, 'bin', applet));
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  return rootfs;
}

export interface ProcessOptions {
  args: string[];
  env?: string[];
  cwd?: string;
  uid?: number;
  gid?: number;
  additionalGids?: number[];
  terminal?: boolean;
  noNewPrivileges?: boolean;
}

/**
 * config.json as Docker 2x writes it for `docker run` on a cgroup v1 host:
 * Docker's defaults (test/runtime/spec.test.ts checks they are Docker's, value
 * for value), a sized /dev/shm, the pty devices runc allows, and limits.
 */
export function dockerConfig(id: string, cgroupParent: string, p: ProcessOptions): Record<string, unknown> {
  const caps = defaultCapabilities();
  const shmSize = `size=${DEFAULT_SHM_SIZE}`;
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: p.terminal ?? false,
      user: { uid: p.uid ?? 0, gid: p.gid ?? 0, ...(p.additionalGids ? { additionalGids: p.additionalGids } : {}) },
      args: p.args,
      env: p.env ?? [`PATH=${DEFAULT_PATH_ENV}`, `HOSTNAME=${id.slice(0, 12)}`],
      cwd: p.cwd ?? '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: p.noNewPrivileges ?? false,
      oomScoreAdj: 0,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: id.slice(0, 12),
    mounts: defaultMounts().map((m) => (m.destination === '/dev/shm' ? { ...m, options: [...(m.options ?? []), shmSize] } : m)),
    linux: {
      sysctl: { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647' },
      resources: {
        devices: [
          ...defaultDeviceRules(),
          { allow: true, type: 'c', major: 136, access: 'rwm' },
          { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
        ],
        pids: { limit: 512 },
        memory: { limit: 268435456 },
        cpu: { shares: 512 },
      },
      cgroupsPath: `${cgroupParent}/${id}`,
      namespaces: [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }],
      maskedPaths: defaultMaskedPaths(),
      readonlyPaths: defaultReadonlyPaths(),
    },
  };
}

export function writeConfig(bundle: string, config: Record<string, unknown>): void {
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 2));
}

export type Runtime = 'tsd' | 'runc';

export function runtimeBinary(rt: Runtime): string {
  return rt === 'tsd' ? runtimePath() : 'runc';
}

/** Runs `<runtime> --root ROOT ...args` synchronously (stdin closed). */
export function rt(runtime: Runtime, root: string, args: string[], timeoutMs = 20000): SpawnSyncReturns<string> {
  return spawnSync(runtimeBinary(runtime), ['--root', root, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
}

/** What a probe script printed as `key=value` or `Key:\tvalue` lines, by key. */
export function parseProbe(out: string): Record<string, string> {
  const m: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const i = line.search(/[=:]/);
    if (i > 0) m[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return m;
}

/**
 * The containers a test file runs under tsd-runtime and runc: a state root per
 * runtime under `dir`, ids `<prefix><pid>-<runtime>-<n>`, and `deleteAll` to
 * remove every container an id was handed out for.
 */
export class RuntimeRuns {
  readonly roots: Record<Runtime, string>;
  private readonly ids: Array<[Runtime, string]> = [];
  private seq = 0;

  constructor(dir: string, private readonly prefix: string) {
    this.roots = { tsd: join(dir, 'state-tsd'), runc: join(dir, 'state-runc') };
  }

  nextId(runtime: Runtime): string {
    const id = `${this.prefix}${process.pid}-${runtime}-${++this.seq}`;
    this.ids.push([runtime, id]);
    return id;
  }

  /** `run` in the foreground: what the container printed and its status. */
  run(runtime: Runtime, bundle: string, id: string): { stdout: string; stderr: string; status: number | null } {
    const r = rt(runtime, this.roots[runtime], ['run', '-b', bundle, id]);
    return { stdout: r.stdout, stderr: r.stderr, status: r.status };
  }

  /** `run -d` with no pipes (the container would hold them open): the runtime's status. */
  runDetached(runtime: Runtime, bundle: string, id: string): number | null {
    return spawnSync(runtimeBinary(runtime), ['--root', this.roots[runtime], 'run', '-d', '-b', bundle, id], { stdio: 'ignore', timeout: 20000 }).status;
  }

  deleteAll(): void {
    for (const [runtime, id] of this.ids) rt(runtime, this.roots[runtime], ['delete', '--force', id]);
  }
}

/** Removes the cgroup parent directory in every v1 hierarchy (and v2). */
export function removeCgroupParent(parent: string): void {
  const base = '/sys/fs/cgroup';
  const dirs = existsSync(join(base, 'cgroup.controllers')) ? [base] : readdirSync(base).map((d) => join(base, d)); // v1 (and unified)
  for (const d of dirs) {
    const p = join(d, parent);
    if (!existsSync(p)) continue;
    for (const child of readdirSync(p, { withFileTypes: true })) if (child.isDirectory()) rmdirQuiet(join(p, child.name));
    rmdirQuiet(p);
  }
}

function rmdirQuiet(p: string): void {
  try {
    rmdirSync(p);
  } catch {
    /* busy or gone */
  }
}
