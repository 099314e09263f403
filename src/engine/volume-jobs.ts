// The volume jobs: create, remove and prune, each a named job holding the
// volume's key (lock-keys.ts), with dockerd's events (create, destroy, prune).
import type { VolumeSummary } from '../api/types';
import type { VolumeService } from '../volume/service';
import type { JobEngine } from './jobs';
import { ALL_VOLUMES_LOCK, volumeLock } from './lock-keys';

export interface VolumeCreateBody {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export class VolumeJobs {
  constructor(
    private readonly jobs: JobEngine,
    private readonly volumes: VolumeService,
  ) {}

  create(body: VolumeCreateBody): Promise<VolumeSummary> {
    const name = body.Name ?? '';
    return this.jobs.run({ name: 'volume.create', object: name, locks: name ? [volumeLock(name)] : [] }, async (ctx) => {
      const rec = await this.volumes.create(ctx, name, body.Driver ?? '', body.DriverOpts ?? {}, body.Labels ?? {});
      ctx.setObject(rec.name);
      return this.volumes.toApi(rec);
    });
  }

  remove(name: string, force: boolean): Promise<void> {
    return this.jobs.run({ name: 'volume.remove', object: name, locks: [volumeLock(name)] }, (ctx) => this.volumes.remove(ctx, name, force));
  }

  prune(filters: Record<string, string[]>, apiVersion: string): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    return this.jobs.run({ name: 'volume.prune', locks: [ALL_VOLUMES_LOCK] }, (ctx) => this.volumes.prune(ctx, filters, apiVersion));
  }
}
