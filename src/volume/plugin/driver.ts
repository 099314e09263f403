// A legacy volume plugin as a VolumeDriver: each method is one call of
// Docker's volume plugin protocol (/VolumeDriver.Create, .Remove, .Mount,
// .Unmount, .Path, .Get, .List, .Capabilities). The mount ID a plugin gets is
// the container's ID, so that a mount and its unmount carry the same one,
// also across a daemon restart. A plugin counts its own mounts.
import { NotFoundError } from '../../errors';
import type { VolumeDriver, VolumeInfo } from '../types';
import type { PluginClient } from './client';

interface PluginVolume {
  Name: string;
  Mountpoint?: string;
  CreatedAt?: string;
  Status?: Record<string, unknown>;
}

export class PluginVolumeDriver implements VolumeDriver {
  private scopeCache: 'local' | 'global' | undefined;

  constructor(
    readonly name: string,
    private readonly client: PluginClient,
  ) {}

  private info(v: PluginVolume): VolumeInfo {
    return { name: v.Name, driver: this.name, mountpoint: v.Mountpoint ?? '', options: {}, labels: {}, createdAt: v.CreatedAt ?? '', scope: this.scopeCache ?? 'local' };
  }

  async create(name: string, options: Record<string, string>, labels: Record<string, string>): Promise<VolumeInfo> {
    await this.client.call('VolumeDriver.Create', { Name: name, Opts: options });
    return { name, driver: this.name, mountpoint: '', options, labels, createdAt: '', scope: await this.scope() };
  }

  async remove(name: string): Promise<void> {
    await this.client.call('VolumeDriver.Remove', { Name: name });
  }

  async mount(name: string, containerId: string): Promise<string> {
    const r = await this.client.call<{ Mountpoint?: string; Err?: string }>('VolumeDriver.Mount', { Name: name, ID: containerId });
    return r.Mountpoint ?? '';
  }

  async unmount(name: string, containerId: string): Promise<void> {
    await this.client.call('VolumeDriver.Unmount', { Name: name, ID: containerId });
  }

  async path(name: string): Promise<string> {
    const r = await this.client.call<{ Mountpoint?: string; Err?: string }>('VolumeDriver.Path', { Name: name });
    return r.Mountpoint ?? '';
  }

  async get(name: string): Promise<VolumeInfo> {
    const r = await this.client.call<{ Volume?: PluginVolume; Err?: string }>('VolumeDriver.Get', { Name: name });
    if (!r.Volume) throw new NotFoundError(`get ${name}: no such volume`);
    return this.info(r.Volume);
  }

  async list(): Promise<VolumeInfo[]> {
    const r = await this.client.call<{ Volumes?: PluginVolume[]; Err?: string }>('VolumeDriver.List', {});
    return (r.Volumes ?? []).map((v) => this.info(v));
  }

  /** Capabilities.Scope, asked once (a plugin without the call is `local`, as dockerd). */
  async scope(): Promise<'local' | 'global'> {
    if (this.scopeCache) return this.scopeCache;
    try {
      const r = await this.client.call<{ Capabilities?: { Scope?: string }; Err?: string }>('VolumeDriver.Capabilities', {});
      this.scopeCache = r.Capabilities?.Scope === 'global' ? 'global' : 'local';
    } catch {
      this.scopeCache = 'local';
    }
    return this.scopeCache;
  }
}
