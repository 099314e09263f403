// Everything a route plugin may reach: configuration, logger, job engine and
// drivers. Routes read through drivers and change state only through jobs
// (src/engine/*-jobs.ts, one module per resource).
import type { Logger } from 'pino';
import type { Db } from '../state/db';
import type { JobEngine } from '../engine/jobs';
import type { EventBus } from '../engine/events';
import type { Drivers } from '../engine/drivers';
import type { Graph } from '../graph/graph';
import type { ContainerService } from '../container/service';
import type { ExecService } from '../container/exec';
import type { ContainerJobs } from '../engine/container-jobs';
import type { ExecJobs } from '../engine/exec-jobs';
import type { ImageJobs } from '../engine/image-jobs';
import type { HostFacts } from '../system/host';
import type { NetworkJobs } from '../engine/network-jobs';
import type { NetworkService } from '../network/service';
import type { VolumeJobs } from '../engine/volume-jobs';
import type { VolumeService } from '../volume/service';
import type { DaemonConfig } from './config';

export interface DaemonContext {
  config: DaemonConfig;
  log: Logger;
  db: Db;
  jobs: JobEngine;
  events: EventBus;
  drivers: Drivers;
  /** The image graph (also drivers.images). */
  graph: Graph;
  containers: ContainerService;
  execs: ExecService;
  /** The jobs of each resource (src/engine/*-jobs.ts): what route handlers call to change state. */
  containerJobs: ContainerJobs;
  execJobs: ExecJobs;
  imageJobs: ImageJobs;
  /** The network driver (also drivers.networks) and its jobs. */
  networks: NetworkService;
  networkJobs: NetworkJobs;
  /** Volumes (also drivers.volumes) and their jobs. */
  volumes: VolumeService;
  volumeJobs: VolumeJobs;
  host: HostFacts;
  daemonId: string;
  startedAt: Date;
}
