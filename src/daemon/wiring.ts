// The engine of a daemon, wired: the event bus (kept in the database), the job
// engine, the drivers (image graph, containers, execs) and the jobs of each
// resource, hooked to one another. The daemon restores the drivers next.
import type { Logger } from 'pino';
import { ContainerService } from '../container/service';
import { ExecService } from '../container/exec';
import { HealthMonitor } from '../container/health';
import { runtimeDrivers } from '../container/runtimes';
import { resolvConfFor } from '../container/files';
import { dnsOf, netInfo } from '../container/networking';
import { NetworkJobs } from '../engine/network-jobs';
import { ContainerNetworks } from '../network/container-net';
import { EmbeddedDns } from '../network/dns';
import { RecordsDnsDirectory } from '../network/dns-directory';
import { Firewall } from '../network/firewall';
import { nftTableName } from '../network/host-names';
import { NetworkService } from '../network/service';
import { ContainerJobs } from '../engine/container-jobs';
import { emptyDrivers } from '../engine/drivers';
import { SqliteEventStore } from '../engine/event-store';
import { EventBus } from '../engine/events';
import { ExecJobs } from '../engine/exec-jobs';
import { ImageJobs } from '../engine/image-jobs';
import { JobEngine } from '../engine/jobs';
import { messageOf } from '../errors';
import { Graph } from '../graph/graph';
import { daemonId, type Db } from '../state/db';
import { readHostFacts } from '../system/host';
import { wireVolumes } from './wiring-volumes';
import type { DaemonConfig } from './config';
import type { DaemonContext } from './context';
import type { ContainerRecord } from '../container/store';

export async function wireEngine(config: DaemonConfig, log: Logger, db: Db): Promise<DaemonContext> {
  const events = new EventBus();
  // Before the drivers restore, so the events they publish are kept on disk too.
  events.persistTo(new SqliteEventStore(db), (err) => log.error({ err: messageOf(err) }, 'events: write to the database failed'));
  const jobs = new JobEngine(log, events);
  // The graph asks the container store who uses an image; the store needs the graph.
  let containers: ContainerService | undefined;
  const graph = await Graph.open(config.dataRoot, db, {
    logError: (msg) => log.error(msg),
    users: { containersUsing: (id) => containers?.containersUsing(id) ?? [] },
  });
  const networks = wireNetworks(config, log, graph, (id) => containers?.store.get(id));
  const networking = new ContainerNetworks(networks);
  const vols = wireVolumes(config, log, graph.gdb, jobs);
  containers = new ContainerService({
    networking,
    defaultDns: { dns: config.dns, dnsSearch: config.dnsSearch, dnsOptions: config.dnsOpts },
    dataRoot: config.dataRoot,
    execRoot: config.execRoot,
    graph,
    log,
    defaultRuntime: config.defaultRuntime,
    runtimes: config.runtimes,
    logOpts: config.logOpts,
    defaultInit: config.init,
    volumes: vols.mounts,
    runtimeDrivers: (paths) => runtimeDrivers(config, paths),
  });
  const execs = new ExecService(containers, config);
  const service = containers;
  const health = new HealthMonitor({
    probe: (rec, cmd, timeoutMs) => execs.probe(rec, cmd, timeoutMs),
    save: (rec) => service.store.save(rec),
    emit: (rec, action) => containerJobs.healthStatus(rec, action),
    current: (rec) => service.store.get(rec.id) === rec && rec.state.Running,
  });
  service.lifecycle.probes = health;
  const containerJobs = new ContainerJobs(jobs, service, execs, health, graph, log, { liveRestore: config.liveRestore });
  const drivers = { ...emptyDrivers(), networks, volumes: vols.service, images: graph, containers: service, execs };
  return {
    config,
    log,
    db,
    jobs,
    events,
    drivers,
    graph,
    containers: service,
    execs,
    containerJobs,
    execJobs: new ExecJobs(jobs, service, execs),
    imageJobs: new ImageJobs(jobs, graph),
    networks,
    networkJobs: new NetworkJobs(jobs, networks, networking, service),
    volumes: vols.service,
    volumeJobs: vols.jobs,
    host: readHostFacts(),
    daemonId: daemonId(db),
    startedAt: new Date(),
  };
}

/** The network driver with its firewall (unless daemon.json `iptables` is false) and embedded DNS server. */
function wireNetworks(config: DaemonConfig, log: Logger, graph: Graph, record: (id: string) => ContainerRecord | undefined): NetworkService {
  const networks = new NetworkService({
    gdb: graph.gdb,
    log,
    config: {
      execRoot: config.execRoot,
      ...(config.bridge ? { bridge: config.bridge } : {}),
      ...(config.bip ? { bip: config.bip } : {}),
      ...(config.fixedCidr ? { fixedCidr: config.fixedCidr } : {}),
      ...(config.defaultAddressPools.length > 0 ? { defaultAddressPools: config.defaultAddressPools } : {}),
      ...(config.mtu > 0 ? { mtu: config.mtu } : {}),
      ipMasq: config.ipMasq,
      icc: config.icc,
    },
    container: (id) => {
      const rec = record(id);
      return rec ? netInfo(rec) : undefined;
    },
  });
  const table = nftTableName(config.execRoot);
  if (config.iptables) networks.firewall = Firewall.open({ table, log, ...(config.ip ? { defaultHostIp: config.ip } : {}) });
  else {
    // A table an earlier run with iptables on left would keep DNATing ports: gone.
    try {
      Firewall.open({ table, log }).destroy();
    } catch (err) {
      log.debug({ err: messageOf(err) }, 'no nft table to remove');
    }
  }
  const resolv = (id: string) => {
    const rec = record(id);
    if (!rec) return undefined;
    return resolvConfFor(rec.hostConfig.NetworkMode ?? 'default', dnsOf(rec, { dns: config.dns, dnsSearch: config.dnsSearch, dnsOptions: config.dnsOpts }));
  };
  const directory = new RecordsDnsDirectory(networks.store, { upstreams: (id) => resolv(id)?.upstreams ?? [], ndotsSet: (id) => resolv(id)?.ndotsSet ?? false, forwardFromContainer: (id) => resolv(id)?.fromContainer ?? false });
  networks.dns = new EmbeddedDns({ directory, log });
  return networks;
}
