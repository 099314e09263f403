// What a test daemon leaves on the host besides its directories: the bridges
// of its networks (the default one and br-<id12>) and its nft table. A daemon
// keeps them at exit (dockerd keeps docker0; live-restore keeps containers
// talking), so a test's cleanup removes them, also after a SIGKILL: the names
// come from the daemon's database, read after it stopped.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defaultBridgeName, nftTableName } from '../../src/network/host-names';

/** The Linux bridges a daemon's database names (bridge driver networks). */
export function daemonBridges(dataRoot: string): string[] {
  const path = join(dataRoot, 'tsdocker.db');
  if (!existsSync(path)) return [];
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const has = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'networks'").get();
    if (!has) return [];
    return (db.prepare("SELECT record FROM networks WHERE driver = 'bridge'").all() as { record: string }[])
      .map((r) => (JSON.parse(r.record) as { ifname?: string }).ifname ?? '')
      .filter((n) => n !== '');
  } finally {
    db.close();
  }
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** Deletes the daemon's bridges and nft table (what is already gone is fine). */
export function removeHostNetworking(dataRoot: string, execRoot: string): void {
  const bridges = new Set([defaultBridgeName(execRoot), ...daemonBridges(dataRoot)]);
  for (const b of bridges) if (linkExists(b)) spawnSync('ip', ['link', 'del', b]);
  spawnSync('nft', ['delete', 'table', 'inet', nftTableName(execRoot)], { stdio: 'ignore' });
}
