// The volume service wired: records in the graph's database (a container's
// volume references change in its create's and removal's transactions), the
// local driver, volume plugins (src/volume/plugin/), the container side and the jobs.
import type { Logger } from 'pino';
import { VolumeJobs } from '../engine/volume-jobs';
import type { JobEngine } from '../engine/jobs';
import type { TxDb } from '../state/tx';
import { ContainerVolumeMounts } from '../volume/container-mounts';
import { PluginRegistry } from '../volume/plugin/registry';
import { VolumeService } from '../volume/service';
import type { DaemonConfig } from './config';

export function wireVolumes(config: DaemonConfig, log: Logger, tdb: TxDb, jobs: JobEngine): { service: VolumeService; mounts: ContainerVolumeMounts; jobs: VolumeJobs } {
  const service = new VolumeService({ dataRoot: config.dataRoot, tdb, log, plugins: new PluginRegistry(log) });
  return { service, mounts: new ContainerVolumeMounts(service, log), jobs: new VolumeJobs(jobs, service) };
}
