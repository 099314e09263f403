// Volume plugins by name: found (discovery.ts), activated once
// (/Plugin.Activate must list "VolumeDriver" in Implements) and kept. A
// plugin that cannot be reached is retried as dockerd does, then the lookup
// fails with the connection error; a later lookup tries again.
import type { Logger } from 'pino';
import { InvalidArgumentError, NotFoundError } from '../../errors';
import type { PluginLookup } from '../service';
import type { VolumeDriver } from '../types';
import { PluginClient, pluginTimeoutMs } from './client';
import { findPlugin, pluginDirs, type PluginDirs } from './discovery';
import { PluginVolumeDriver } from './driver';

export class PluginRegistry implements PluginLookup {
  private readonly active = new Map<string, PluginVolumeDriver>();

  constructor(
    private readonly log: Logger,
    private readonly dirs: PluginDirs = pluginDirs(),
    private readonly timeoutMs = pluginTimeoutMs(),
  ) {}

  async driver(name: string): Promise<VolumeDriver> {
    const known = this.active.get(name);
    if (known) return known;
    let addr;
    try {
      addr = findPlugin(name, this.dirs);
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError(`error looking up volume plugin ${name}: ${err.message}`);
      throw err;
    }
    const client = new PluginClient(addr, this.timeoutMs, (msg) => this.log.warn({ plugin: name }, msg));
    const manifest = await client.call<{ Implements?: unknown; Err?: string }>('Plugin.Activate', {});
    const impl = Array.isArray(manifest.Implements) ? manifest.Implements : [];
    if (!impl.includes('VolumeDriver')) throw new InvalidArgumentError(`error looking up volume plugin ${name}: plugin ${JSON.stringify(name)} does not implement VolumeDriver`);
    const driver = new PluginVolumeDriver(name, client);
    this.active.set(name, driver);
    this.log.info({ plugin: name }, 'volume plugin activated');
    return driver;
  }
}
