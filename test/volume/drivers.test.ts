// The VolumeDriver conformance suite (driver-suite.ts) run against the local
// driver and against a volume plugin (test/fixtures/volume-plugin.mjs, over
// Docker's plugin protocol).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { LocalDriver } from '../../src/volume/local';
import { PluginRegistry } from '../../src/volume/plugin/registry';
import type { VolumeDriver, VolumeInfo } from '../../src/volume/types';
import { volumeDriverSuite } from './driver-suite';

/** The local driver with the records the volume service would keep for it. */
class LocalWithRecords implements VolumeDriver {
  readonly name = 'local';
  private readonly records = new Map<string, { options: Record<string, string>; labels: Record<string, string>; createdAt: string }>();
  readonly inner: LocalDriver;
  constructor(root: string) {
    this.inner = new LocalDriver(root, { record: (n) => this.records.get(n) });
  }
  async create(name: string, options: Record<string, string>, labels: Record<string, string>): Promise<VolumeInfo> {
    const info = await this.inner.create(name, options, labels);
    if (!this.records.has(name)) this.records.set(name, { options, labels, createdAt: '' });
    return info;
  }
  async remove(name: string): Promise<void> {
    await this.inner.remove(name);
    this.records.delete(name);
  }
  mount = (name: string, id: string) => this.inner.mount(name, id);
  unmount = (name: string, id: string) => this.inner.unmount(name, id);
  path = (name: string) => this.inner.path(name);
  get = (name: string) => this.inner.get(name);
  list = () => this.inner.list();
}

volumeDriverSuite('local', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-vsuite-local-'));
  return { driver: new LocalWithRecords(join(dir, 'volumes')), close: async () => rmSync(dir, { recursive: true, force: true }) };
});

volumeDriverSuite('plugin', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-vsuite-plugin-'));
  const sockets = join(dir, 'run');
  mkdirSync(sockets);
  const child = spawn(process.execPath, [join(__dirname, '..', 'fixtures', 'volume-plugin.mjs'), join(sockets, 'suite.sock'), join(dir, 'data')], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => child.stdout!.once('data', r));
  const registry = new PluginRegistry(pino({ level: 'silent' }), { sockets, specs: [] }, 2000);
  const driver = await registry.driver('suite');
  return {
    driver,
    close: async () => {
      await new Promise((r) => {
        child.once('exit', r);
        child.kill('SIGTERM');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
