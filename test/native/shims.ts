// Test helpers: containers under tsd-shim, a bundle each (their config.json
// differ) sharing one busybox rootfs, and the clean-up that stops every shim.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startShim, type ShimClient } from '../../src/native/shim-client';
import { dockerConfig, removeCgroupParent, writeConfig, type ProcessOptions } from './bundle';
import { alive } from './procs';

export interface LaunchOptions {
  runtime?: 'runc';
  stdin?: boolean;
  logMaxSize?: string;
  logMaxFile?: number;
  /** The local driver's files (local-logs/container.log) instead of json-file's. */
  local?: { compress: boolean };
}

export interface Launched {
  id: string;
  bundle: string;
  stateDir: string;
  logFile: string;
  client: ShimClient;
  pid: number;
  runtimeRoot: string;
  cgroupsPath: string;
}

/** The shims a test file starts: under `dir`, ids `<prefix><pid>-<n>`, cgroups under `cgParent`. */
export class Shims {
  private readonly started: Array<{ stateDir: string; client: ShimClient }> = [];
  private seq = 0;

  /** `rootfs` is what makeRootfs returned. */
  constructor(
    private readonly dir: string,
    private readonly rootfs: string,
    readonly cgParent: string,
    private readonly prefix: string,
  ) {}

  async launch(p: ProcessOptions, o: LaunchOptions = {}): Promise<Launched> {
    const id = `${this.prefix}${process.pid}-${++this.seq}`;
    const bundle = join(this.dir, id);
    const stateDir = join(this.dir, `${id}.state`);
    const logFile = o.local ? join(this.dir, `${id}-local`, 'container.log') : join(this.dir, `${id}-json.log`);
    const runtimeRoot = join(this.dir, o.runtime === 'runc' ? 'runc-root' : 'tsd-root');
    mkdirSync(bundle, { recursive: true });
    writeConfig(bundle, { ...dockerConfig(id, this.cgParent, p), root: { path: this.rootfs, readonly: false } });
    const { pid, client } = await startShim({
      id,
      bundle,
      stateDir,
      logFile,
      runtimeRoot,
      ...(o.runtime === 'runc' ? { runtime: 'runc' } : {}),
      stdin: o.stdin ?? false,
      terminal: p.terminal ?? false,
      ...(o.logMaxSize ? { logMaxSize: o.logMaxSize } : {}),
      ...(o.logMaxFile ? { logMaxFile: o.logMaxFile } : {}),
      ...(o.local ? { logDriver: 'local' as const, logCompress: o.local.compress } : {}),
    });
    this.track(stateDir, client);
    return { id, bundle, stateDir, logFile, client, pid, runtimeRoot, cgroupsPath: `${this.cgParent}/${id}` };
  }

  /** A shim started by hand (an exec's), to stop with the others. */
  track(stateDir: string, client: ShimClient): void {
    this.started.push({ stateDir, client });
  }

  /** Shuts every shim down (SIGKILL for one that stays), then removes the cgroups. */
  async cleanup(): Promise<void> {
    for (const s of this.started) {
      await s.client.shutdown(true).catch(() => undefined);
      const pidFile = join(s.stateDir, 'shim.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
      if (pid > 0 && alive(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone meanwhile */
        }
      }
    }
    removeCgroupParent(this.cgParent);
  }
}
